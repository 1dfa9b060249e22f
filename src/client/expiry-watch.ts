import type { Clock } from "./clock.js";
import { runAt } from "./timers.js";

// Two answers for the same session whose skew estimates differ by up to a second must not
// count as an extension, or the warning would fire again for the same deadline.
const sameDeadlineMs = 2000;
// When the server still calls the session alive at our deadline (its clock, or our skew
// estimate, is a little behind), look again after this long instead of at once.
const recheckMs = 1000;

export interface ExpiryHandlers {
  /** The warning threshold was reached for the current deadline (once per deadline). */
  warn(): void;
  /** The deadline was reached (then again every second while it stays in the past). */
  expire(): void;
}

/** Arms the warning and expiry timers for one local deadline, re-armed on every change. */
export class ExpiryWatch {
  readonly #clock: Clock;
  readonly #handlers: ExpiryHandlers;
  #cancel: Array<() => void> = [];
  #warnedFor: number | null = null;
  #expiredFor: number | null = null;

  constructor(clock: Clock, handlers: ExpiryHandlers) {
    this.#clock = clock;
    this.#handlers = handlers;
  }

  /** `deadline` is local epoch ms (already skew-corrected), or null to disarm. */
  set(deadline: number | null, warningMs: number): void {
    this.clear();
    if (deadline === null) {
      this.#warnedFor = this.#expiredFor = null;
      return;
    }
    if (this.#warnedFor !== null && deadline > this.#warnedFor + sameDeadlineMs) this.#warnedFor = null;
    if (this.#expiredFor !== null && deadline > this.#expiredFor + sameDeadlineMs) this.#expiredFor = null;
    if (this.#warnedFor === null) {
      this.#cancel.push(
        runAt(this.#clock, deadline - warningMs, () => {
          this.#warnedFor = deadline;
          this.#handlers.warn();
        }),
      );
    }
    const expireAt = this.#expiredFor === null ? deadline : Math.max(deadline, this.#clock.now()) + recheckMs;
    this.#cancel.push(
      runAt(this.#clock, expireAt, () => {
        this.#expiredFor = deadline;
        this.#handlers.expire();
      }),
    );
  }

  clear(): void {
    for (const cancel of this.#cancel) cancel();
    this.#cancel = [];
  }
}
