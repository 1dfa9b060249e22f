import { deleteExpiredInBatches } from "../stores/cleanup.js";
import type { JsonObject, SessionMeta, SessionPatch, SessionRecord, Store } from "../stores/store.js";
import { type Clock, systemClock } from "./clock.js";
import { serializeCookie } from "./cookie.js";
import { csrfTokenFor, verifyCsrfToken } from "./csrf.js";
import { ConflictError, NoSessionError, NotFoundError, PayloadTooLargeError, StoreConflictError } from "./errors.js";
import { EventBus, type RevokeReason } from "./events.js";
import { matchesUserAgent, networkPrefix, userAgentFingerprint } from "./fingerprint.js";
import { absoluteExpiryOf, expiryOf, isTouchDue, type Policy, type PolicyOptions, resolvePolicy } from "./policy.js";
import { checkData, type StandardSchemaV1 } from "./schema.js";
import { SecretRing } from "./secrets.js";
import { type ClientContext, Session } from "./session.js";
import { formatToken, generateToken, hashSecret, parseToken, verifySecret } from "./token.js";

export interface FingerprintOptions {
  /** End the session when the User-Agent differs from the one it was created with. */
  bindUserAgent?: boolean;
  /** Also compare the client's network prefix (/24, /48): reported, never binding. */
  network?: boolean;
}

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
  /** Cookies with `Secure` and the `__Host-` prefix (production). */
  secure?: boolean;
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

const DEFAULT_MAX_STATE_BYTES = 16 * 1024;

/**
 * The engine: loads and validates sessions from a cookie value, decides what (if anything)
 * to write, issues and clears cookies, and emits an event for every lifecycle step. It uses
 * the Store only through the contract, and knows nothing of HTTP.
 */
export class SessionManager<Data extends JsonObject = JsonObject> {
  readonly store: Store;
  readonly secrets: SecretRing;
  readonly policy: Policy;
  readonly clock: Clock;
  readonly events: EventBus;
  readonly cookieName: string;
  readonly secure: boolean;
  readonly maxStateBytes: number;
  readonly #schema: StandardSchemaV1<Data> | undefined;
  readonly #defaults: JsonObject;
  readonly #fingerprint: FingerprintOptions;

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
      fingerprint = {},
    } = options;
    this.store = store;
    this.secrets = secrets instanceof SecretRing ? secrets : new SecretRing(secrets);
    this.policy = resolvePolicy(policy);
    this.clock = clock;
    this.events = events;
    this.#schema = schema;
    this.#defaults = defaults as JsonObject;
    this.maxStateBytes = maxStateBytes;
    this.secure = secure;
    this.cookieName = secure ? "__Host-stint_session" : "stint_session";
    this.#fingerprint = fingerprint;
  }

  /**
   * The session named by a cookie value, or a new unsaved one. One store read; no write unless
   * the session turns out to be expired (then it is deleted) or bound and fingerprint-mismatched.
   */
  async load(token: string | undefined | null, context: ClientContext = {}): Promise<Session<Data>> {
    const parsed = parseToken(token);
    if (!parsed) return new Session<Data>(null, {}, context, typeof token === "string" && token.length > 0);
    const now = this.clock.now();
    const record = await this.store.get(parsed.id, now);
    if (!record || !verifySecret(parsed.secret, record.secretHash)) return new Session<Data>(null, {}, context, true);
    // Expiry from the stored timestamps, whatever the store's own TTL says.
    if (now >= Math.min(record.expiresAt, expiryOf(this.policy, record))) {
      await this.store.delete(record.id).catch(() => false);
      this.events.emit("expired", { sessionId: record.id, userId: record.userId }, now);
      return new Session<Data>(null, {}, context, true);
    }
    if (!this.#fingerprintAccepted(record, context, now)) {
      await this.store.delete(record.id);
      this.events.emit("revoked", { sessionId: record.id, userId: record.userId, reason: "fingerprint" }, now);
      return new Session<Data>(null, {}, context, true);
    }
    let data = record.data;
    if (this.#schema) {
      const checked = await checkData(this.#schema, record.data, this.#defaults);
      if (!checked.ok) this.events.emit("data_invalid", { sessionId: record.id, issues: checked.issues }, now);
      data = checked.data;
    }
    return new Session<Data>(record, data, context, false);
  }

  /** Writes what the request changed (create, rotate, patch, touch or delete) and returns cookies. */
  async commit(session: Session<Data>, options: CommitOptions = {}): Promise<CommitResult> {
    const now = this.clock.now();
    const record = session.record;
    if (session.isDestroyed) {
      if (record) {
        await this.store.delete(record.id);
        this.events.emit("revoked", { sessionId: record.id, userId: record.userId, reason: "logout" }, now);
      }
      session.committed(null);
      return { setCookies: record || session.presentedInvalidToken ? [this.clearCookie()] : [] };
    }
    const identity = session.pendingIdentity;
    if (identity.kind !== "none" || (!record && (session.hasContentChanges || session.persistRequested))) {
      return this.#issue(session, now);
    }
    if (!record) return { setCookies: session.presentedInvalidToken ? [this.clearCookie()] : [] };

    const touch = options.activity === true && isTouchDue(this.policy, record.lastSeenAt, now);
    if (!session.hasContentChanges && !touch) return { setCookies: [] };
    const patch: SessionPatch = { now, ...this.#contentPatch(session) };
    if (options.ifVersion !== undefined) patch.ifVersion = options.ifVersion;
    if (touch) {
      patch.lastSeenAt = now;
      patch.expiresAt = expiryOf(this.policy, { ...record, lastSeenAt: now });
    }
    const result = await this.store.patch(record.id, patch);
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
    const result = await this.store.patch(record.id, { now, lastSeenAt: now, expiresAt });
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

  /** A user's live sessions, newest first. */
  listForUser(userId: string): Promise<SessionRecord[]> {
    return this.store.listByUser(userId, this.clock.now());
  }

  /** Ends one session of `userId`; NotFoundError when it is not theirs (or does not exist). */
  async revokeOwned(userId: string, sessionId: string): Promise<void> {
    const record = await this.store.get(sessionId, this.clock.now());
    if (!record || record.userId !== userId) throw new NotFoundError("No such session.");
    await this.revoke(sessionId);
  }

  /** Ends one session by id, whoever owns it (operators, the CLI). True if it existed. */
  async revoke(sessionId: string, reason: RevokeReason = "revoked"): Promise<boolean> {
    const now = this.clock.now();
    const record = await this.store.get(sessionId, now);
    const existed = await this.store.delete(sessionId);
    if (existed) this.events.emit("revoked", { sessionId, userId: record?.userId ?? null, reason }, now);
    return existed;
  }

  /** Ends every session of a user, except `except` (the caller's own) if given. */
  async revokeUser(userId: string, options: { except?: string } = {}): Promise<string[]> {
    const ids = await this.store.deleteByUser(userId, options);
    const now = this.clock.now();
    for (const sessionId of ids) this.events.emit("revoked", { sessionId, userId, reason: "revoked_all" }, now);
    return ids;
  }

  /**
   * Deletes expired sessions in bounded batches, yielding to the event loop between them so a
   * large cleanup never stalls the requests being served.
   */
  async cleanup(options: { batchSize?: number; maxBatches?: number } = {}): Promise<number> {
    const deleted = await deleteExpiredInBatches(this.store, () => this.clock.now(), options);
    this.events.emit("cleanup", { deleted }, this.clock.now());
    return deleted;
  }

  /** `Set-Cookie` for a new token; persistent sessions get Max-Age = remaining lifetime. */
  sessionCookie(token: string, record: SessionRecord): string {
    const maxAge = record.persistent
      ? Math.max(0, Math.floor((record.absoluteExpiresAt - this.clock.now()) / 1000))
      : undefined;
    return serializeCookie(this.cookieName, token, { ...this.#cookieAttributes(), maxAge });
  }

  clearCookie(): string {
    return serializeCookie(this.cookieName, "", { ...this.#cookieAttributes(), maxAge: 0 });
  }

  #cookieAttributes() {
    return { path: "/", httpOnly: true, sameSite: "Lax" as const, secure: this.secure };
  }

  /** Creates the record for a new session, or the replacement for a rotated / logged-in one. */
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
    const token = generateToken();
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
      meta: this.#metaFor(session.client),
    };
    record.expiresAt = expiryOf(this.policy, record);
    // The session being replaced still counts among its user's live sessions until it is
    // deleted below: leave room for it, or replacing one at the limit signs out another.
    const limit = record.userId ? this.policy.maxSessionsPerUser : undefined;
    const replacing = previous !== null && previous.userId === record.userId;
    const maxPerUser = limit !== undefined && replacing ? limit + 1 : limit;
    let evicted: string[];
    try {
      ({ evicted } = await this.store.create(record, { now, maxPerUser }));
    } catch (error) {
      // 128 random bits collide only if the CSPRNG is broken; refuse rather than overwrite.
      if (error instanceof StoreConflictError) throw new Error("Session id collision: the random source is broken.");
      throw error;
    }
    if (previous) {
      const replaced = evicted.includes(previous.id) || (await this.store.delete(previous.id));
      // Revoked or expired while this request ran: a rotation must not carry it on under a new
      // id (no resurrection, expressjs/session#632). A login proves the user anew, so it may.
      if (!replaced && !login) {
        await this.store.delete(record.id);
        throw new NoSessionError("The session ended while the request was running.");
      }
    }
    session.committed(record);
    if (previous) {
      this.events.emit("rotated", { sessionId: record.id, previousId: previous.id, userId: record.userId }, now);
    } else {
      this.events.emit("created", { sessionId: record.id, userId: record.userId }, now);
    }
    if (login) this.events.emit("login", { sessionId: record.id, userId: login.userId, persistent }, now);
    for (const sessionId of evicted) {
      if (sessionId === previous?.id) continue;
      this.events.emit("limit_evicted", { sessionId, userId: record.userId as string }, now);
    }
    return { setCookies: [this.sessionCookie(formatToken(token), record)] };
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

  #fingerprintAccepted(record: SessionRecord, context: ClientContext, now: number): boolean {
    const { fingerprint, ip, userAgent } = record.meta;
    const current = truncateUserAgent(context.userAgent);
    // The common case, the same browser, needs no MAC: compare with the stored User-Agent.
    if (fingerprint && current !== userAgent && !matchesUserAgent(this.secrets, current, fingerprint)) {
      this.events.emit(
        "suspicious",
        { sessionId: record.id, userId: record.userId, reason: "user_agent_changed" },
        now,
      );
      if (this.#fingerprint.bindUserAgent) return false;
    }
    if (this.#fingerprint.network && ip && networkPrefix(ip) !== networkPrefix(context.ip ?? null)) {
      this.events.emit("suspicious", { sessionId: record.id, userId: record.userId, reason: "network_changed" }, now);
    }
    return true;
  }

  #metaFor(context: ClientContext): SessionMeta {
    const userAgent = truncateUserAgent(context.userAgent);
    return {
      userAgent,
      ip: context.ip ?? null,
      fingerprint: userAgentFingerprint(this.secrets, userAgent),
    };
  }

  #assertStateSize(state: JsonObject): void {
    if (Buffer.byteLength(JSON.stringify(state)) > this.maxStateBytes) throw this.#stateTooLarge();
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

/** User agents are stored (device list) and fingerprinted at most 512 characters long. */
function truncateUserAgent(userAgent: string | null | undefined): string | null {
  return userAgent ? userAgent.slice(0, 512) : null;
}
