import type { SessionTransport } from "../protocol.js";
import type { JsonObject, SessionPatch, SessionRecord, Store } from "../stores/store.js";
import { type Clock, systemClock } from "./clock.js";
import { csrfTokenFor, verifyCsrfToken } from "./csrf.js";
import { ConflictError, NoSessionError, PayloadTooLargeError, StoreConflictError } from "./errors.js";
import { EventBus } from "./events.js";
import { FingerprintCheck, type FingerprintOptions } from "./fingerprint.js";
import { absoluteExpiryOf, expiryOf, isTouchDue, type Policy, type PolicyOptions, resolvePolicy } from "./policy.js";
import { checkData, type StandardSchemaV1 } from "./schema.js";
import { SecretRing } from "./secrets.js";
import { type ClientContext, Session } from "./session.js";
import { type CookieSettings, SessionCookie } from "./session-cookie.js";
import { formatToken, generateToken, hashSecret, parseToken, verifySecret } from "./token.js";
import { jsonBytes } from "./utf8.js";

export type { FingerprintOptions } from "./fingerprint.js";

export interface SessionManagerOptions<Data extends JsonObject> {
  store: Store;
  /** One secret, a comma-separated list, or an array: the first signs, all verify. */
  secrets: SecretRing | string | readonly string[];
  policy?: PolicyOptions;
  clock?: Clock;
  events?: EventBus;
  /** Standard Schema (zod, valibot, …) checking the server-only data read from the store. */
  schema?: StandardSchemaV1<Data>;
  /** What invalid stored data is replaced with. */
  defaults?: Partial<Data>;
  /** Largest client-visible state, as JSON bytes (API.md: 16 KiB). */
  maxStateBytes?: number;
  /** Cookies with `Secure` and, by default, the `__Host-` prefix (production). */
  secure?: boolean;
  /** The cookie's name, domain, SameSite and path. */
  cookie?: CookieSettings;
  fingerprint?: FingerprintOptions;
}

export interface CommitOptions {
  /** This request counts as activity (every request except the passive ones). */
  activity?: boolean;
  /** Compare-and-set on the session's version for the content changes. */
  ifVersion?: number;
}

export interface CommitResult {
  /** `Set-Cookie` header values for the response (often none). */
  setCookies: string[];
}

/** API.md: client-visible state is at most 16 KiB as JSON. */
export const DEFAULT_MAX_STATE_BYTES = 16 * 1024;

/**
 * The request lifecycle of a session: loads and validates it from a token, decides what (if
 * anything) to write, issues and clears cookies, and emits an event for every step. It uses
 * the Store only through the contract, and knows nothing of HTTP.
 */
export class SessionManager<Data extends JsonObject = JsonObject> {
  readonly secrets: SecretRing;
  readonly policy: Policy;
  readonly clock: Clock;
  readonly events: EventBus;
  readonly cookie: SessionCookie;
  readonly maxStateBytes: number;
  readonly #store: Store;
  readonly #schema: StandardSchemaV1<Data> | undefined;
  readonly #defaults: JsonObject;
  readonly #fingerprint: FingerprintCheck;

  constructor(options: SessionManagerOptions<Data>) {
    const {
      store,
      secrets,
      policy,
      clock = systemClock,
      events = new EventBus(),
      schema,
      defaults = {},
      maxStateBytes = DEFAULT_MAX_STATE_BYTES,
      secure = false,
      cookie,
      fingerprint = {},
    } = options;
    this.#store = store;
    this.secrets = secrets instanceof SecretRing ? secrets : new SecretRing(secrets);
    this.policy = resolvePolicy(policy);
    this.clock = clock;
    this.events = events;
    this.#schema = schema;
    this.#defaults = defaults as JsonObject;
    this.maxStateBytes = maxStateBytes;
    this.cookie = new SessionCookie(cookie, secure);
    this.#fingerprint = new FingerprintCheck(this.secrets, fingerprint, events);
  }

  /**
   * The session named by a token (a cookie's value, or a bearer token with `transport:
   * "bearer"`), or a new unsaved one. One store read; no write unless the session turns out to
   * be expired (then it is deleted) or bound and fingerprint-mismatched. A token is accepted
   * only the way it was issued: a bearer token in a cookie, or a cookie's in `Authorization`,
   * names no session.
   */
  /**
   * The session a token names, or a new unsaved one: at once when the store can answer from
   * memory (the memory and SQLite stores, a cache hit), else a promise. One store read; no
   * write unless the session turns out to be expired (then it is deleted) or bound and
   * fingerprint-mismatched. Never throws: a failure is a rejected promise.
   */
  load(
    token: string | undefined | null,
    context: ClientContext = {},
    options: { transport?: SessionTransport } = {},
  ): Session<Data> | Promise<Session<Data>> {
    const { transport = "cookie" } = options;
    try {
      const parsed = parseToken(token);
      if (!parsed) return this.#none(context, typeof token === "string" && token.length > 0, transport);
      const now = this.clock.now();
      // A hit in this process's memory needs no round trip, and no promise.
      const known = this.#store.peek?.(parsed.id, now);
      if (known !== undefined) return this.#accept(known, parsed.secret, context, transport, now);
      return this.#store
        .get(parsed.id, now)
        .then((record) => this.#accept(record, parsed.secret, context, transport, now));
    } catch (error) {
      return Promise.reject(error);
    }
  }

  #none(context: ClientContext, presented: boolean, transport: SessionTransport): Session<Data> {
    return new Session<Data>(null, {}, context, presented, transport);
  }

  /** The session of a record the token named (or null), checked: at once unless a write or a schema must run. */
  #accept(
    record: SessionRecord | null,
    secret: string,
    context: ClientContext,
    transport: SessionTransport,
    now: number,
  ): Session<Data> | Promise<Session<Data>> {
    if (!record || !verifySecret(secret, record.secretHash)) return this.#none(context, true, transport);
    if ((record.meta.transport ?? "cookie") !== transport) return this.#none(context, true, transport);
    // Expiry from the stored timestamps, whatever the store's own TTL says.
    if (now >= Math.min(record.expiresAt, expiryOf(this.policy, record))) {
      return this.#store
        .delete(record.id)
        .catch(() => false)
        .then(() => {
          this.events.emit("expired", { sessionId: record.id, userId: record.userId }, now);
          return this.#none(context, true, transport);
        });
    }
    if (!this.#fingerprint.accepts(record, context, now)) {
      return this.#store.delete(record.id).then(() => {
        this.events.emit("revoked", { sessionId: record.id, userId: record.userId, reason: "fingerprint" }, now);
        return this.#none(context, true, transport);
      });
    }
    const open = (data: JsonObject) => {
      const session = new Session<Data>(record, data, context, false, transport);
      session.loadedAt = now;
      return session;
    };
    if (!this.#schema) return open(record.data);
    return checkData(this.#schema, record.data, this.#defaults).then((checked) => {
      if (!checked.ok) this.events.emit("data_invalid", { sessionId: record.id, issues: checked.issues }, now);
      return open(checked.data);
    });
  }

  /**
   * Would `commit` write anything or set a cookie? False for most requests, which only read
   * their session: they can skip the commit (and its promise) altogether.
   */
  needsCommit(session: Session<Data>, options: CommitOptions = {}): boolean {
    const record = session.record;
    if (!record)
      return (
        session.isDestroyed ||
        session.presentedInvalidToken ||
        session.hasContentChanges ||
        session.persistRequested ||
        session.pendingIdentity.kind !== "none"
      );
    if (session.isDestroyed || session.hasContentChanges || session.pendingIdentity.kind !== "none") return true;
    // The time of the load decides, so the check costs no second clock read.
    return (
      options.activity === true && isTouchDue(this.policy, record.lastSeenAt, session.loadedAt || this.clock.now())
    );
  }

  /** Writes what the request changed (create, rotate, patch, touch or delete) and returns cookies. */
  async commit(session: Session<Data>, options: CommitOptions = {}): Promise<CommitResult> {
    const now = this.clock.now();
    const record = session.record;
    // A bearer session's client forgets its token itself: there is no cookie to clear.
    const clear = session.transport === "cookie" ? [this.cookie.clear()] : [];
    if (session.isDestroyed) {
      if (record) {
        await this.#store.delete(record.id);
        this.events.emit("revoked", { sessionId: record.id, userId: record.userId, reason: "logout" }, now);
      }
      session.committed(null);
      return { setCookies: record || session.presentedInvalidToken ? clear : [] };
    }
    const identity = session.pendingIdentity;
    if (identity.kind !== "none" || (!record && (session.hasContentChanges || session.persistRequested))) {
      return this.#issue(session, now);
    }
    if (!record) return { setCookies: session.presentedInvalidToken ? clear : [] };

    const touch = options.activity === true && isTouchDue(this.policy, record.lastSeenAt, now);
    if (!session.hasContentChanges && !touch) return { setCookies: [] };
    const patch: SessionPatch = { now, ...this.#contentPatch(session) };
    if (options.ifVersion !== undefined) patch.ifVersion = options.ifVersion;
    if (touch) {
      patch.lastSeenAt = now;
      patch.expiresAt = expiryOf(this.policy, { ...record, lastSeenAt: now });
    }
    const result = await this.#store.patch(record.id, patch);
    if (!result.ok) {
      if (result.reason === "conflict") throw new ConflictError();
      if (result.reason === "too_large") throw this.#stateTooLarge();
      // Revoked or expired while this request ran: never recreate it (no resurrection).
      if (session.hasContentChanges) throw new NoSessionError("The session ended while the request was running.");
      return { setCookies: [] };
    }
    this.#afterPatch(session, record, result.record, touch, now);
    return { setCookies: [] };
  }

  /** Explicit activity: reset the idle window (never past the absolute end). */
  async extend(session: Session<Data>): Promise<SessionRecord> {
    const record = this.#require(session);
    const now = this.clock.now();
    const expiresAt = expiryOf(this.policy, { ...record, lastSeenAt: now });
    const result = await this.#store.patch(record.id, { now, lastSeenAt: now, expiresAt });
    if (!result.ok) throw new NoSessionError();
    session.committed(result.record);
    this.events.emit("extended", { sessionId: record.id, userId: record.userId, expiresAt }, now);
    return result.record;
  }

  /** The CSRF token of a stored session (it changes with the id). */
  csrfToken(session: Session<Data>): string {
    return csrfTokenFor(this.secrets, this.#require(session).id);
  }

  verifyCsrf(session: Session<Data>, token: string | null | undefined): boolean {
    const id = session.id;
    return id !== null && verifyCsrfToken(this.secrets, id, token);
  }

  /**
   * Creates the record for a new session, or the replacement of a rotated or signed-in one:
   * one store call that also deletes the session it replaces and keeps the user under the
   * per-user limit, so no race can leave the limit exceeded.
   */
  async #issue(session: Session<Data>, now: number): Promise<CommitResult> {
    const previous = session.record;
    const identity = session.pendingIdentity;
    const login = identity.kind === "login" ? identity : null;
    const persistent = login ? login.persistent : (previous?.persistent ?? false);
    const createdAt = login || !previous ? now : previous.createdAt;
    const absoluteExpiresAt =
      login || !previous ? absoluteExpiryOf(this.policy, now, persistent) : previous.absoluteExpiresAt;
    const { data, state } = session.views;
    this.#assertStateSize(state);
    const token = generateToken(this.#store.newId?.(session.userId, previous?.id));
    const record: SessionRecord = {
      id: token.id,
      secretHash: hashSecret(token.secret),
      userId: session.userId,
      createdAt,
      lastSeenAt: now,
      expiresAt: 0,
      absoluteExpiresAt,
      authenticatedAt: login ? now : (previous?.authenticatedAt ?? null),
      persistent,
      version: 1,
      data: { ...data },
      state: { ...state },
      updatedAt: now,
      meta: this.#fingerprint.metaFor(session.client),
    };
    if (session.transport === "bearer") record.meta.transport = "bearer";
    record.expiresAt = expiryOf(this.policy, record);
    const maxPerUser = record.userId ? this.policy.maxSessionsPerUser : undefined;
    // Revoked or expired while this request ran: a rotation must not carry it on under a new
    // id (no resurrection, expressjs/session#632). A login proves the user anew, so it may.
    const replace = previous ? { id: previous.id, required: !login } : undefined;
    let result: Awaited<ReturnType<Store["create"]>>;
    try {
      result = await this.#store.create(record, { now, maxPerUser, replace });
    } catch (error) {
      // 128 random bits collide only if the CSPRNG is broken; refuse rather than overwrite.
      if (error instanceof StoreConflictError) throw new Error("Session id collision: the random source is broken.");
      throw error;
    }
    if (!result.created) throw new NoSessionError("The session ended while the request was running.");
    const value = formatToken(token);
    session.committed(record, session.transport === "bearer" ? value : null);
    if (previous) {
      this.events.emit("rotated", { sessionId: record.id, previousId: previous.id, userId: record.userId }, now);
    } else {
      this.events.emit("created", { sessionId: record.id, userId: record.userId }, now);
    }
    if (login) this.events.emit("login", { sessionId: record.id, userId: login.userId, persistent }, now);
    for (const sessionId of result.evicted) {
      this.events.emit("limit_evicted", { sessionId, userId: record.userId as string }, now);
    }
    return { setCookies: session.transport === "bearer" ? [] : [this.cookie.issue(value, record, now)] };
  }

  #contentPatch(session: Session<Data>): Omit<SessionPatch, "now"> {
    const { dataSet, dataUnset, stateSet, stateUnset } = session.changes;
    const patch: Omit<SessionPatch, "now"> = {};
    if (dataSet.size) patch.dataSet = Object.fromEntries(dataSet);
    if (dataUnset.size) patch.dataUnset = [...dataUnset];
    if (stateSet.size) patch.stateSet = Object.fromEntries(stateSet);
    if (stateUnset.size) patch.stateUnset = [...stateUnset];
    if (stateSet.size || stateUnset.size) patch.maxStateBytes = this.maxStateBytes;
    return patch;
  }

  #afterPatch(session: Session<Data>, before: SessionRecord, after: SessionRecord, touched: boolean, now: number) {
    const { stateSet, stateUnset } = session.changes;
    const stateKeys = [...stateSet.keys(), ...stateUnset];
    session.committed(after);
    if (stateKeys.length > 0) {
      this.events.emit(
        "state_changed",
        { sessionId: after.id, userId: after.userId, version: after.version, keys: stateKeys },
        now,
      );
    }
    if (touched && after.expiresAt !== before.expiresAt) {
      this.events.emit(
        "touched",
        { sessionId: after.id, userId: after.userId, lastSeenAt: after.lastSeenAt, expiresAt: after.expiresAt },
        now,
      );
    }
  }

  #assertStateSize(state: JsonObject): void {
    if (jsonBytes(state) > this.maxStateBytes) throw this.#stateTooLarge();
  }

  #stateTooLarge(): PayloadTooLargeError {
    return new PayloadTooLargeError(`Session state must stay under ${this.maxStateBytes} bytes as JSON.`);
  }

  #require(session: Session<Data>): SessionRecord {
    const record = session.record;
    if (!record) throw new NoSessionError();
    return record;
  }
}
