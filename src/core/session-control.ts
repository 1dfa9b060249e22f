import type { SessionPatch, SessionRecord, Store } from "../stores/store.js";
import type { Clock } from "./clock.js";
import { ConflictError, NotFoundError, PayloadTooLargeError } from "./errors.js";
import type { EventBus, RevokeReason } from "./events.js";
import { DEFAULT_MAX_STATE_BYTES } from "./manager.js";
import { assertJsonValue } from "./session.js";
import type { StateChange } from "./user-state.js";

/**
 * Sessions seen from outside a request: a user's device list, revocations and state changes,
 * for the API's own routes, operators, jobs and the CLI (`stint.sessions`). Every change emits
 * the same events a user's own action does, so it reaches the open tabs of that session on
 * every process.
 *
 * @example
 * ```ts
 * // Seed 001's update_platform_context(session_id, …), from a job: the tabs follow.
 * await stint.sessions.patchState(sessionId, { set: { platform: "mastodon" } });
 * await stint.sessions.revokeUser(userId);
 * ```
 */
export class SessionControl {
  readonly #store: Store;
  readonly #clock: Clock;
  readonly #events: EventBus;
  readonly #maxStateBytes: number;

  constructor(store: Store, clock: Clock, events: EventBus, options: { maxStateBytes?: number } = {}) {
    this.#store = store;
    this.#clock = clock;
    this.#events = events;
    this.#maxStateBytes = options.maxStateBytes ?? DEFAULT_MAX_STATE_BYTES;
  }

  /** A live session by its public id, or null. */
  get(sessionId: string): Promise<SessionRecord | null> {
    return this.#store.get(sessionId, this.#clock.now());
  }

  /** A user's live sessions, newest first. */
  list(userId: string): Promise<SessionRecord[]> {
    return this.#store.listByUser(userId, this.#clock.now());
  }

  /**
   * Changes a session's client-visible state from outside its requests, key by key as
   * `PATCH /api/session/state` does: its open tabs get `state` as if the user had made the
   * change. Throws NotFoundError (no such live session), ConflictError (stale `ifVersion`) or
   * PayloadTooLargeError (over the state limit); nothing changes then.
   */
  async patchState(sessionId: string, change: StateChange): Promise<SessionRecord> {
    const stateSet = change.set ?? {};
    const stateUnset = [...(change.unset ?? [])];
    for (const value of Object.values(stateSet)) assertJsonValue(value);
    const keys = [...Object.keys(stateSet), ...stateUnset];
    const now = this.#clock.now();
    if (keys.length === 0) {
      const current = await this.#store.get(sessionId, now);
      if (!current) throw new NotFoundError("No such session.");
      if (change.ifVersion !== undefined && change.ifVersion !== current.version) throw new ConflictError();
      return current;
    }
    const patch: SessionPatch = { stateSet, stateUnset, maxStateBytes: this.#maxStateBytes, now };
    if (change.ifVersion !== undefined) patch.ifVersion = change.ifVersion;
    const result = await this.#store.patch(sessionId, patch);
    if (!result.ok) {
      if (result.reason === "not_found") throw new NotFoundError("No such session.");
      if (result.reason === "conflict") throw new ConflictError();
      throw new PayloadTooLargeError(`Session state must stay under ${this.#maxStateBytes} bytes as JSON.`);
    }
    const { record } = result;
    this.#events.emit("state_changed", { sessionId, userId: record.userId, version: record.version, keys }, now);
    return record;
  }

  /** Ends one session by id, whoever owns it. True if it existed. */
  async revoke(sessionId: string, reason: RevokeReason = "revoked"): Promise<boolean> {
    const now = this.#clock.now();
    const record = await this.#store.get(sessionId, now);
    const existed = await this.#store.delete(sessionId);
    if (existed) this.#events.emit("revoked", { sessionId, userId: record?.userId ?? null, reason }, now);
    return existed;
  }

  /** Ends one session of `userId`; NotFoundError when it is not theirs (or does not exist). */
  async revokeOwned(userId: string, sessionId: string): Promise<void> {
    const record = await this.#store.get(sessionId, this.#clock.now());
    if (!record || record.userId !== userId) throw new NotFoundError("No such session.");
    await this.revoke(sessionId);
  }

  /** Ends every session of a user, except `except` (the caller's own) if given; the ids ended. */
  async revokeUser(userId: string, options: { except?: string; reason?: RevokeReason } = {}): Promise<string[]> {
    const { except, reason = "revoked_all" } = options;
    const ids = await this.#store.deleteByUser(userId, except === undefined ? {} : { except });
    const now = this.#clock.now();
    for (const sessionId of ids) this.#events.emit("revoked", { sessionId, userId, reason }, now);
    return ids;
  }
}
