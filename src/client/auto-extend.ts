import { watchActivity } from "./activity.js";
import type { Clock } from "./clock.js";
import { type AutoExtendOptions, defaultThrottleMs, throttleOf } from "./options.js";

export interface AutoExtendDeps {
  clock: Clock;
  isLeader(): boolean;
  authenticated(): boolean;
  /** Whether the expiry warning is due (or past) for this tab. */
  nearExpiry(): boolean;
  /** Tells the other tabs (the leader) that the user is active here. */
  signal(): void;
  /** Extends the session; failures are the caller's to report. */
  extend(): void;
}

/**
 * Extension on user activity in any tab. Activity in a follower becomes one `activity`
 * signal per throttle window; the leader turns activity (its own or signalled) into at most
 * one `POST /api/session/extend` per window, so ten busy tabs cost what one does.
 */
export class AutoExtender {
  readonly #deps: AutoExtendDeps;
  #throttleMs: number | null;
  #lastSignalAt = Number.NEGATIVE_INFINITY;
  #target: EventTarget | null = null;
  #unwatch: (() => void) | null = null;
  /** Local time of this tab's last extension, explicit or automatic. */
  lastExtendAt = Number.NEGATIVE_INFINITY;

  constructor(deps: AutoExtendDeps, option: boolean | AutoExtendOptions | undefined) {
    this.#deps = deps;
    this.#throttleMs = throttleOf(option);
  }

  set(option: boolean | AutoExtendOptions): void {
    this.#throttleMs = throttleOf(option);
    this.#rewatch();
  }

  /** Starts listening to user input on `target` (while enabled); null stops. */
  attach(target: EventTarget | null): void {
    this.#target = target;
    this.#rewatch();
  }

  /** User activity in this tab. */
  activity(): void {
    if (this.#throttleMs === null || !this.#deps.authenticated()) return;
    // Near expiry this tab extends itself rather than trust a leader that may be frozen.
    if (this.#deps.isLeader() || this.#deps.nearExpiry()) {
      this.#extend();
      return;
    }
    const now = this.#deps.clock.now();
    if (now - this.#lastSignalAt < this.#throttleMs) return;
    this.#lastSignalAt = now;
    this.#deps.signal();
  }

  /** Another tab's `activity` signal: the leader extends on everyone's behalf. */
  heard(): void {
    if (this.#deps.isLeader()) this.#extend();
  }

  #extend(): void {
    if (!this.#deps.authenticated()) return;
    // A follower may have auto-extend on while the leader has it off: the sender decided.
    const throttleMs = this.#throttleMs ?? defaultThrottleMs;
    if (this.#deps.clock.now() - this.lastExtendAt < throttleMs) return;
    this.lastExtendAt = this.#deps.clock.now();
    this.#deps.extend();
  }

  #rewatch(): void {
    const wanted = this.#throttleMs !== null && this.#target !== null;
    if (wanted && !this.#unwatch && this.#target) this.#unwatch = watchActivity(this.#target, () => this.activity());
    if (!wanted && this.#unwatch) {
      this.#unwatch();
      this.#unwatch = null;
    }
  }
}
