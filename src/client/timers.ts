import type { Clock } from "./clock.js";

// setTimeout stores its delay in a signed 32-bit integer; anything longer fires at once
// (HTML "timer initialisation steps"), and a remembered session can outlive 24.8 days.
const maxDelayMs = 2_147_483_647;

/** Runs `callback` at local time `at`, even when that is further away than a timer can wait. */
export function runAt(clock: Clock, at: number, callback: () => void): () => void {
  let handle: unknown;
  const arm = () => {
    const delay = at - clock.now();
    if (delay > maxDelayMs) handle = clock.setTimeout(arm, maxDelayMs);
    else handle = clock.setTimeout(callback, Math.max(0, delay));
  };
  arm();
  return () => clock.clearTimeout(handle);
}

export interface Debounced {
  /** Asks for a run; calls within the window collapse into one. */
  (): void;
  cancel(): void;
}

/** Trailing-edge debounce on the injected clock: a burst of calls runs `callback` once. */
export function debounce(clock: Clock, ms: number, callback: () => void): Debounced {
  let handle: unknown;
  let pending = false;
  const run = () => {
    pending = false;
    callback();
  };
  const debounced = () => {
    if (pending) clock.clearTimeout(handle);
    pending = true;
    handle = clock.setTimeout(run, ms);
  };
  debounced.cancel = () => {
    if (pending) clock.clearTimeout(handle);
    pending = false;
  };
  return debounced;
}

/** Exponential backoff with full jitter, capped; `attempt` starts at 0. */
export function backoffMs(attempt: number, baseMs: number, maxMs: number, random: () => number = Math.random): number {
  const ceiling = Math.min(maxMs, baseMs * 2 ** Math.min(attempt, 20));
  // Half fixed, half random: tabs that lost the network together do not return together.
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}
