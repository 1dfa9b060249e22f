import type { PubSub } from "../transports/pubsub.js";

/**
 * The Store contract: storage only. A store keeps session records, applies patches
 * atomically and keeps a per-user index. It knows nothing of cookies, CSRF, users or
 * timeouts: the SessionManager decides when a session expires and writes that decision
 * as `expiresAt`; the store only refuses to return or change a record past it.
 */

/** JSON object as stored. Keys are plain strings; `__proto__` is an ordinary key. */
export type JsonObject = Record<string, unknown>;

/** Device facts remembered at creation, shown in the device list and used for fingerprinting. */
export interface SessionMeta {
  userAgent: string | null;
  ip: string | null;
  /** base64url HMAC of the User-Agent (seed 001's fingerprint); null when not recorded. */
  fingerprint: string | null;
  /** "bearer" for a session whose token travels in `Authorization`; absent for a cookie. */
  transport?: "bearer";
}

export interface SessionRecord {
  /** Public lookup key (never the secret). */
  id: string;
  /** base64url SHA-256 of the token's secret part. */
  secretHash: string;
  userId: string | null;
  /** Epoch milliseconds, all of them. */
  createdAt: number;
  lastSeenAt: number;
  /** min(lastSeenAt + idle, absoluteExpiresAt), computed by the manager. */
  expiresAt: number;
  absoluteExpiresAt: number;
  authenticatedAt: number | null;
  persistent: boolean;
  /** Counts content changes (data or state). A touch does not change it. */
  version: number;
  /** Server-only data, never sent to the client. */
  data: JsonObject;
  /** Client-visible, client-writable state. */
  state: JsonObject;
  updatedAt: number;
  meta: SessionMeta;
}

/**
 * A change to one session. Keys are set and removed one by one, so two patches that touch
 * different keys never lose each other's update. Without content changes (only times) it is
 * a touch: the version stays.
 */
export interface SessionPatch {
  dataSet?: JsonObject;
  dataUnset?: string[];
  stateSet?: JsonObject;
  stateUnset?: string[];
  /** Compare-and-set: apply only when the stored version is this one. */
  ifVersion?: number;
  /** New activity time; a store never moves it backwards. */
  lastSeenAt?: number;
  expiresAt?: number;
  /** Refuse (and change nothing) when the state would exceed this many bytes as JSON. */
  maxStateBytes?: number;
  /** The time the patch is made at; a record with expiresAt <= now is treated as gone. */
  now: number;
}

export type PatchResult =
  | { ok: true; record: SessionRecord }
  | { ok: false; reason: "not_found" | "conflict" | "too_large" };

export interface CreateOptions {
  /** Keep at most this many live sessions for the record's user: the oldest are deleted. */
  maxPerUser?: number;
  /**
   * The session this record replaces (a login or a rotation): deleted in the same atomic step,
   * and not counted against `maxPerUser`. With `required`, nothing is created when it no
   * longer exists (revoked or expired meanwhile: a rotation must not carry it on).
   */
  replace?: { id: string; required: boolean };
  now: number;
}

export interface CreateResult {
  /** Whether it was created: false only when a required `replace` was gone. */
  created: boolean;
  /** Whether the session of `replace` existed and was deleted. */
  replaced: boolean;
  /** Ids deleted to respect maxPerUser, oldest first (never the replaced one). */
  evicted: string[];
}

export interface ScanOptions {
  /** Start after this id (exclusive). */
  after?: string;
  limit: number;
  now: number;
}

/** What /metrics reports of a store's read cache. */
export interface CacheStats {
  hits: number;
  misses: number;
  /** Records dropped because a change was announced, by this process or another. */
  invalidations: number;
  /** Reads sent straight to the store because the invalidation link was down. */
  bypasses: number;
  /** Times the invalidation link was found down (everything cached was dropped each time). */
  linkDrops: number;
  entries: number;
  bytes: number;
}

export interface StoreHealth {
  ok: boolean;
  latencyMs: number;
  /** "degraded" when a fallback serves instead of the configured store. */
  detail?: string;
}

/** What every store does: the required operations. */
export interface StoreOperations {
  /** "memory", "sqlite", "redis", … — reported by /api/health. */
  readonly kind: string;
  /**
   * Insert a new record (with its user index, the per-user limit and the replacement of
   * `options.replace`, all in one atomic step). Fails with StoreConflictError if the id exists.
   */
  create(record: SessionRecord, options: CreateOptions): Promise<CreateResult>;
  /** The record, or null when unknown or expired (expiresAt <= now). */
  get(id: string, now: number): Promise<SessionRecord | null>;
  /** Apply a patch atomically. Never creates: a missing record is `not_found`. */
  patch(id: string, patch: SessionPatch): Promise<PatchResult>;
  /** Delete one record; true when it existed. */
  delete(id: string): Promise<boolean>;
  /** Live sessions of a user, newest (createdAt) first. */
  listByUser(userId: string, now: number): Promise<SessionRecord[]>;
  /** Delete every session of a user except `except`; returns the deleted ids. */
  deleteByUser(userId: string, options?: { except?: string }): Promise<string[]>;
  /** Delete at most `limit` records with expiresAt <= now; returns how many. */
  deleteExpired(now: number, limit: number): Promise<number>;
  health(): Promise<StoreHealth>;
  close(): Promise<void>;
}

/**
 * What a store may add. A third-party store can leave any of them out: Stint then reports no
 * session count (health, metrics), and the CLI cannot list every session or migrate from it.
 */
export interface StoreCapabilities {
  /** Live sessions. */
  count?(now: number): Promise<number>;
  /** Live records in id order after `after`, for migration and listing (at most `limit`). */
  scan?(options: ScanOptions): Promise<SessionRecord[]>;
  /**
   * Messages between the processes that share this store (Redis pub/sub, PostgreSQL
   * LISTEN/NOTIFY): Stint's events travel on it, so a revocation in one process reaches the
   * event streams of every other. Stores that live in one process have none.
   */
  readonly pubsub?: PubSub;
  /**
   * Answers a read from this process's memory when it can (a cache hit, or a store that lives
   * in this process): the record, null when there is none, or undefined to ask `get`. It never
   * waits, so a hit costs no promise and no round trip.
   */
  peek?(id: string, now: number): SessionRecord | null | undefined;
  /** The store's read cache, for /metrics. */
  readonly cache?: { stats(): CacheStats };
  /**
   * The public id of a new session of `userId` (null: anonymous), which replaces the session
   * `replacing` if given. A store that shards by user mints ids that name their shard, so a
   * lookup by id alone stays one command on one shard. The id must be 22 base64url
   * characters with at least 96 random bits (API.md). Without it, ids are 128 random bits.
   */
  newId?(userId: string | null, replacing?: string): string;
  /**
   * State shared by every session of a user (preferences that follow a person to every
   * device): it outlives the sessions. Without it, `/api/user/state` answers 404.
   */
  readonly userState?: UserStateStore;
  /**
   * Attempt counts (failed sign-ins per username and per address) shared by every process
   * on this store, so a limit holds however many servers answer: `createAccounts({ attempts })`.
   * Without it, each process counts alone.
   */
  readonly attempts?: AttemptCounts;
}

/** One key's fixed window of attempts. */
export interface AttemptWindow {
  /** Attempts that count (failures). */
  count: number;
  /** Attempts taken and not yet settled (still being verified, somewhere). */
  pending: number;
  /** When the window opened (its first attempt), epoch ms; it lasts the limit's windowMs. */
  startedAt: number;
}

/** How a taken attempt ended: it counts (`fail`), or it never did (`free`). */
export type AttemptOutcome = "fail" | "free";

/**
 * Attempts per key in fixed windows (one opens at a key's first attempt and lasts
 * `windowMs`), kept where every process sees them. An attempt is taken before it is tried
 * (pending), then settled. `take` is atomic: of any number of concurrent takes, from any
 * processes, at most `limit` per window (counted and pending together) succeed.
 */
export interface AttemptCounts {
  /** The key's live window, or null. */
  get(key: string, windowMs: number, now: number): Promise<AttemptWindow | null>;
  /** One pending attempt, unless `limit` are counted or pending in the live window; the window after. */
  take(key: string, limit: number, windowMs: number, now: number): Promise<AttemptWindow & { taken: boolean }>;
  /** Settles a taken attempt of the live window (never below zero): it counts, or is freed. */
  settle(key: string, outcome: AttemptOutcome, windowMs: number, now: number): Promise<void>;
  /** Counts one attempt that was not taken first (a failure found after the fact). */
  add(key: string, windowMs: number, now: number): Promise<void>;
  /** Forgets the key: its next attempt opens a new window. */
  reset(key: string): Promise<void>;
}

/** A user's state as stored. */
export interface UserStateRecord {
  state: JsonObject;
  /** Counts changes; a user whose state was never written reads as version 0. */
  version: number;
  /** Epoch milliseconds of the last change. */
  updatedAt: number;
}

/** A change to a user's state: at least one key set or unset (never an empty patch). */
export interface UserStatePatch {
  set?: JsonObject;
  unset?: string[];
  /** Compare-and-set: apply only when the stored version is this one (0: never written). */
  ifVersion?: number;
  /** Refuse (and change nothing) when the state would exceed this many bytes as JSON. */
  maxStateBytes?: number;
  /** The time of the change, stored as `updatedAt`. */
  now: number;
}

export type UserStatePatchResult =
  | { ok: true; record: UserStateRecord }
  | { ok: false; reason: "conflict" | "too_large" };

/**
 * The user-state capability: one JSON object per user, patched key by key atomically as
 * session state is, so two devices changing different keys never lose each other's update.
 * Storage only: who may change it is decided above the store.
 */
export interface UserStateStore {
  /** The user's state, or null when it was never written. */
  get(userId: string): Promise<UserStateRecord | null>;
  /** Applies a patch atomically; the first write creates the user's state (version 1). */
  patch(userId: string, patch: UserStatePatch): Promise<UserStatePatchResult>;
  /** Forgets a user's state (an account deleted); true when there was one. */
  delete(userId: string): Promise<boolean>;
  /**
   * Every user's state, in no particular order (migration). A store that cannot list them
   * leaves it out; `stint migrate` then copies sessions only and says so.
   */
  entries?(): AsyncIterable<UserStateEntry>;
  /**
   * Writes a state exactly as it was (version and time kept, so a client's compare-and-set
   * goes on working) for a user who has none: migration. False, changing nothing, when the
   * user already has a state.
   */
  insert?(userId: string, record: UserStateRecord): Promise<boolean>;
}

/** A user's state with whose it is. */
export interface UserStateEntry {
  userId: string;
  record: UserStateRecord;
}

export type Store = StoreOperations & StoreCapabilities;

/** A store with every listing capability: each of Stint's own stores. */
export type CompleteStore = Store & Required<Pick<StoreCapabilities, "count" | "scan" | "userState">>;
