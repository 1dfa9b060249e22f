/**
 * Time source and timers for the browser client. Everything time-driven in the client
 * (warnings, expiry, debouncing, backoff, heartbeats) goes through one of these, so
 * tests drive it with a fake instead of sleeping.
 *
 * @example
 * ```ts
 * const client = new SessionClient({ clock: systemClock });
 * ```
 */
export interface Clock {
  /** Local epoch milliseconds. */
  now(): number;
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** The browser's own clock and timers. */
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (callback, ms) => globalThis.setTimeout(callback, ms),
  clearTimeout: (handle) => globalThis.clearTimeout(handle as Parameters<typeof globalThis.clearTimeout>[0]),
};
