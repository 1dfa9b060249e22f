/**
 * Estimates how far the server's clock is ahead of this one (server − local, in ms) from a
 * response's `Date` header. The header has one-second resolution (RFC 9110 §6.6.1), so it
 * only proves that the server's clock, somewhere between sending the request (`sentAt`) and
 * reading the answer (`receivedAt`), read between `date` and `date + 1 s`. The estimate is
 * the smallest correction consistent with that: zero when the clocks agree as far as the
 * header can tell, which keeps a well-set clock from being "corrected" by up to a second.
 * Returns `null` without a usable header.
 */
export function estimateSkewMs(dateHeader: string | null, sentAt: number, receivedAt: number): number | null {
  if (!dateHeader) return null;
  const date = Date.parse(dateHeader);
  if (!Number.isFinite(date)) return null;
  const lowest = date - receivedAt;
  const highest = date + 1000 - sentAt;
  if (lowest > 0) return lowest;
  if (highest < 0) return highest;
  return 0;
}

/**
 * The local time at which a server timestamp comes, given the skew.
 *
 * @example
 * ```ts
 * const skew = estimateSkewMs(response.headers.get("date"), sentAt, Date.now()) ?? 0;
 * const localExpiry = toLocalTime("2030-01-01T00:00:00.000Z", skew);
 * ```
 */
export function toLocalTime(serverIso: string, skewMs: number): number | null {
  const at = Date.parse(serverIso);
  return Number.isFinite(at) ? at - skewMs : null;
}
