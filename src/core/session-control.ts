import type { SessionRecord, Store } from "../stores/store.js";
import type { Clock } from "./clock.js";
import { NotFoundError } from "./errors.js";
import type { EventBus, RevokeReason } from "./events.js";

/**
 * Sessions seen from outside a request: a user's device list and revocations, for the API's
 * own routes, operators, jobs and the CLI. Every change emits the same events a user's own
 * action does, so it reaches open event streams on every process.
 */
export class SessionControl {
  readonly #store: Store;
  readonly #clock: Clock;
  readonly #events: EventBus;

  constructor(store: Store, clock: Clock, events: EventBus) {
    this.#store = store;
    this.#clock = clock;
    this.#events = events;
  }

  /** A live session by its public id, or null. */
  get(sessionId: string): Promise<SessionRecord | null> {
    return this.#store.get(sessionId, this.#clock.now());
  }

  /** A user's live sessions, newest first. */
  list(userId: string): Promise<SessionRecord[]> {
    return this.#store.listByUser(userId, this.#clock.now());
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
  async revokeUser(userId: string, options: { except?: string } = {}): Promise<string[]> {
    const ids = await this.#store.deleteByUser(userId, options);
    const now = this.#clock.now();
    for (const sessionId of ids) this.#events.emit("revoked", { sessionId, userId, reason: "revoked_all" }, now);
    return ids;
  }
}
