import type { JsonObject, Store, UserStateRecord } from "../stores/store.js";
import type { Clock } from "./clock.js";
import { ConflictError, NotFoundError, PayloadTooLargeError } from "./errors.js";
import type { EventBus } from "./events.js";
import { assertJsonValue } from "./session.js";

/** A change to a state (a session's or a user's): keys set and unset, optionally compare-and-set. */
export interface StateChange {
  set?: JsonObject;
  unset?: readonly string[];
  /** Apply only when the stored version is this one (409 `conflict` otherwise). */
  ifVersion?: number;
}

/** What a user whose state was never written reads: empty, version 0. */
const NEVER_WRITTEN: UserStateRecord = Object.freeze({ state: Object.freeze({}), version: 0, updatedAt: 0 });

/**
 * State shared by every session of a user (API.md, "A user's state on every device"): read
 * and patched key by key through the store's user-state capability, and announced as a
 * `user_state_changed` event, which reaches every open event stream of that user on every
 * process. It outlives sessions. `stint.userState`, and the routes `/api/user/state`.
 */
export class UserStates {
  readonly #store: Store;
  readonly #clock: Clock;
  readonly #events: EventBus;
  readonly #maxStateBytes: number;

  constructor(store: Store, clock: Clock, events: EventBus, options: { maxStateBytes: number }) {
    this.#store = store;
    this.#clock = clock;
    this.#events = events;
    this.#maxStateBytes = options.maxStateBytes;
  }

  /** Whether the store keeps user states (all of Stint's own stores do). */
  get available(): boolean {
    return this.#store.userState !== undefined;
  }

  /** The user's state; `{ state: {}, version: 0 }` when it was never written. */
  async get(userId: string): Promise<UserStateRecord> {
    return (await this.#states().get(userId)) ?? NEVER_WRITTEN;
  }

  /**
   * Merges a change into the user's state. Throws ConflictError (stale `ifVersion`) or
   * PayloadTooLargeError (over the state limit as JSON); nothing changes then. `sessionId`
   * names the session that asked, for the event (null: the server itself).
   *
   * @example
   * ```ts
   * await stint.userState.patch(user.id, { set: { theme: "dark" } });
   * ```
   */
  async patch(userId: string, change: StateChange, sessionId: string | null = null): Promise<UserStateRecord> {
    const set = change.set ?? {};
    const unset = [...(change.unset ?? [])];
    for (const value of Object.values(set)) assertJsonValue(value);
    const keys = [...Object.keys(set), ...unset];
    if (keys.length === 0) {
      const current = await this.get(userId);
      if (change.ifVersion !== undefined && change.ifVersion !== current.version) throw conflict();
      return current;
    }
    const now = this.#clock.now();
    const result = await this.#states().patch(userId, {
      set,
      unset,
      ifVersion: change.ifVersion,
      maxStateBytes: this.#maxStateBytes,
      now,
    });
    if (!result.ok) {
      if (result.reason === "conflict") throw conflict();
      throw new PayloadTooLargeError(`User state must stay under ${this.#maxStateBytes} bytes as JSON.`);
    }
    this.#events.emit("user_state_changed", { userId, version: result.record.version, keys, sessionId }, now);
    return result.record;
  }

  #states() {
    const states = this.#store.userState;
    if (!states) throw new NotFoundError("This server's session store keeps no user state.");
    return states;
  }
}

const conflict = () => new ConflictError("The user's state changed since the given version.");
