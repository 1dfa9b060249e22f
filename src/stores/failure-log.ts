import { StoreUnavailableError } from "../core/errors.js";

/** One line per distinct failure per this long: an outage answers thousands of requests. */
const QUIET_MS = 10_000;
const lastLogged = new Map<string, { at: number; suppressed: number }>();

/**
 * Writes a store failure to the server's log (stderr) with the driver's own message, which
 * answers never carry (API.md: only a fixed reason word reaches clients and /api/health).
 * Repeats of the same failure are counted, not printed, for QUIET_MS.
 */
export function logStoreFailure(error: unknown, now = Date.now()): void {
  const reason = error instanceof StoreUnavailableError ? error.reason : "error";
  const cause = (error as { cause?: unknown } | null)?.cause;
  const message = [(error as Error | null)?.message, cause instanceof Error ? cause.message : undefined]
    .filter(Boolean)
    .join(" — ");
  const key = `${reason}|${message}`;
  const last = lastLogged.get(key);
  if (last && now - last.at < QUIET_MS) {
    last.suppressed++;
    return;
  }
  const repeats = last?.suppressed ? ` (${last.suppressed} more since the last report)` : "";
  lastLogged.set(key, { at: now, suppressed: 0 });
  if (lastLogged.size > 100) lastLogged.delete(lastLogged.keys().next().value as string);
  console.error(`stint: session store unavailable (${reason}): ${message}${repeats}`);
}
