import type { SessionTransport } from "../protocol.js";
import type { JsonObject, SessionRecord } from "../stores/store.js";

/** Who is asking: remembered as device facts when a session is created. */
export interface ClientContext {
  userAgent?: string | null;
  ip?: string | null;
}

/** What a request did to its session, for the manager to turn into store calls. */
export interface SessionChanges {
  dataSet: Map<string, unknown>;
  dataUnset: Set<string>;
  stateSet: Map<string, unknown>;
  stateUnset: Set<string>;
}

export type PendingIdentity =
  | { kind: "none" }
  | { kind: "rotate" }
  | { kind: "login"; userId: string; persistent: boolean };

/**
 * One request's view of a session: typed server-only `Data` plus the client-visible state.
 * Changes are tracked key by key and written as a patch, never as a whole-blob overwrite,
 * so concurrent requests that change different keys do not undo each other.
 */
export class Session<Data extends JsonObject = JsonObject> {
  #record: SessionRecord | null;
  #data: JsonObject;
  #state: JsonObject;
  // Made on the first change: most requests only read their session.
  #changes: SessionChanges | null = null;
  #identity: PendingIdentity = { kind: "none" };
  #destroyed = false;
  #persistRequested = false;
  #issuedToken: string | null = null;
  /** The client of this request (User-Agent, address). */
  readonly client: ClientContext;
  /** A token was sent but named no live session: a cookie is then answered with a clearing one. */
  readonly presentedInvalidToken: boolean;
  /**
   * How this session's token travels: "cookie" (browsers) or "bearer" (`Authorization: Bearer`,
   * for mobile apps, tools and services: no CSRF or Origin check, since nothing attaches it on
   * its own; a new token is handed to the code, never set as a cookie).
   */
  readonly transport: SessionTransport;
  /** @internal When it was loaded (epoch ms): whether this request's activity is due a touch. */
  loadedAt = 0;

  /**
   * @internal Built by SessionManager, which hands over a record and data of the request's own
   * (fresh copies from the store): the session owns them from here.
   */
  constructor(
    record: SessionRecord | null,
    data: JsonObject,
    client: ClientContext,
    presentedInvalidToken: boolean,
    transport: SessionTransport = "cookie",
  ) {
    this.#record = record;
    this.#data = data;
    this.#state = record ? { ...record.state } : {};
    this.client = client;
    this.presentedInvalidToken = presentedInvalidToken;
    this.transport = transport;
  }

  /** The public id, or null while the session exists only in this request. */
  get id(): string | null {
    return this.#record?.id ?? null;
  }
  get userId(): string | null {
    return this.#identity.kind === "login" ? this.#identity.userId : (this.#record?.userId ?? null);
  }
  /** Not yet stored: a visitor who has not written anything. */
  get isNew(): boolean {
    return this.#record === null;
  }
  get isDestroyed(): boolean {
    return this.#destroyed;
  }
  /** The stored record as loaded (or as last committed). Read-only. */
  get record(): Readonly<SessionRecord> | null {
    return this.#record;
  }
  get version(): number {
    return this.#record?.version ?? 0;
  }

  get<K extends keyof Data & string>(key: K): Data[K] | undefined {
    return Object.hasOwn(this.#data, key) ? (this.#data[key] as Data[K]) : undefined;
  }
  set<K extends keyof Data & string>(key: K, value: Data[K]): this {
    assertKey(key);
    assertJsonValue(value);
    define(this.#data, key, value);
    const changes = this.#tracked();
    changes.dataSet.set(key, value);
    changes.dataUnset.delete(key);
    return this;
  }
  unset(key: keyof Data & string): this {
    delete this.#data[key];
    const changes = this.#tracked();
    changes.dataSet.delete(key);
    changes.dataUnset.add(key);
    return this;
  }
  /** A copy of the server-only data. */
  data(): Partial<Data> {
    return { ...this.#data } as Partial<Data>;
  }

  getState(key: string): unknown {
    return Object.hasOwn(this.#state, key) ? this.#state[key] : undefined;
  }
  setState(key: string, value: unknown): this {
    assertKey(key);
    assertJsonValue(value);
    define(this.#state, key, value);
    const changes = this.#tracked();
    changes.stateSet.set(key, value);
    changes.stateUnset.delete(key);
    return this;
  }
  unsetState(key: string): this {
    delete this.#state[key];
    const changes = this.#tracked();
    changes.stateSet.delete(key);
    changes.stateUnset.add(key);
    return this;
  }
  /** A copy of the client-visible state. */
  state(): JsonObject {
    return { ...this.#state };
  }

  /**
   * Removes every key of the server-only data and of the state (seed 003's `clear_session`,
   * seed 000's `session.clear()`), written as a patch of unset keys: the session, its user
   * and its cookie stay. A key another request adds meanwhile is kept.
   */
  clear(): this {
    for (const key of Object.keys(this.#data)) this.unset(key as keyof Data & string);
    for (const key of Object.keys(this.#state)) this.unsetState(key);
    return this;
  }

  /**
   * Sign a user in: at commit the session gets a new id and secret (the old token dies), the
   * server-only data and CSRF token of the old session do not carry over, its state does.
   */
  login(userId: string, options: { persistent?: boolean } = {}): this {
    if (typeof userId !== "string" || userId.length === 0) throw new TypeError("login() needs a user id.");
    this.#identity = { kind: "login", userId, persistent: options.persistent ?? false };
    this.#data = {};
    this.#changes?.dataSet.clear();
    this.#changes?.dataUnset.clear();
    return this;
  }
  /** New id and secret at commit, keeping data, state and user (after a privilege change). */
  rotate(): this {
    if (this.#identity.kind === "none") this.#identity = { kind: "rotate" };
    return this;
  }
  /** Delete the session at commit and clear the cookie (logout). */
  destroy(): this {
    this.#destroyed = true;
    return this;
  }
  /**
   * The new `<id>.<secret>` after a commit that issued one to a bearer session (a sign-in or a
   * rotation), for the code to hand to its client; null otherwise. A cookie session's token
   * only ever travels in `Set-Cookie`.
   */
  get issuedToken(): string | null {
    return this.#issuedToken;
  }

  /** Store the session even if nothing was written (e.g. a CSRF token was handed out). */
  persist(): this {
    this.#persistRequested = true;
    return this;
  }

  get hasContentChanges(): boolean {
    const c = this.#changes;
    return c !== null && c.dataSet.size + c.dataUnset.size + c.stateSet.size + c.stateUnset.size > 0;
  }
  /** @internal */
  get pendingIdentity(): PendingIdentity {
    return this.#identity;
  }
  /** @internal */
  get changes(): Readonly<SessionChanges> {
    return this.#changes ?? NO_CHANGES;
  }
  /** @internal */
  get persistRequested(): boolean {
    return this.#persistRequested;
  }
  /** @internal The current full data and state views, for creating a record. */
  get views(): { data: JsonObject; state: JsonObject } {
    return { data: this.#data, state: this.#state };
  }
  #tracked(): SessionChanges {
    this.#changes ??= newChanges();
    return this.#changes;
  }
  /** @internal After a commit: the stored record is the new baseline. */
  committed(record: SessionRecord | null, issuedToken: string | null = null): void {
    this.#record = record;
    this.#issuedToken = issuedToken;
    if (record) {
      this.#state = { ...record.state };
    }
    this.#changes = null;
    this.#identity = { kind: "none" };
    this.#persistRequested = false;
  }
}

const newChanges = (): SessionChanges => ({
  dataSet: new Map(),
  dataUnset: new Set(),
  stateSet: new Map(),
  stateUnset: new Set(),
});

/** What `changes` reads before any change: shared, never written to. */
const NO_CHANGES: Readonly<SessionChanges> = Object.freeze(newChanges());

/**
 * How deep a session value may nest. Far below what any store's JSON handling allows (SQLite,
 * Redis's cjson: 1,000) and what the check below could recurse into without overflowing.
 */
export const MAX_VALUE_DEPTH = 100;

/** A UTF-16 surrogate without its partner: not Unicode, so no store can keep it exactly. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Is `text` well-formed Unicode (what every store keeps byte for byte)? */
export function isWellFormed(text: string): boolean {
  return !LONE_SURROGATE.test(text);
}

function assertKey(key: string): void {
  if (typeof key !== "string" || !isWellFormed(key)) {
    throw new TypeError("Session keys must be strings of well-formed Unicode (no lone surrogates).");
  }
}

/** Session values must survive JSON: refuse functions, symbols, bigints and cycles early. */
export function assertJsonValue(value: unknown): void {
  if (value === undefined) throw new TypeError("Session values cannot be undefined: use unset().");
  const problem = jsonProblem(value, new Set(), 0);
  if (problem) throw new TypeError(`Session values must be plain JSON: ${problem}.`);
}

/**
 * What would not survive a trip through a store as JSON, anywhere inside the value: JSON.stringify
 * would silently drop a nested function or turn a Date into a string, and a store would then
 * keep something other than what the app set. Recursion stops at MAX_VALUE_DEPTH, so no value
 * can overflow the stack here.
 */
function jsonProblem(value: unknown, seen: Set<object>, depth: number): string | null {
  switch (typeof value) {
    case "string":
      return isWellFormed(value) ? null : "a string holds a lone surrogate (not Unicode)";
    case "boolean":
      return null;
    case "number":
      return Number.isFinite(value) ? null : `${value} is not a JSON number`;
    case "object": {
      if (value === null) return null;
      if (seen.has(value)) return "it contains a cycle";
      if (depth >= MAX_VALUE_DEPTH) return `it is nested deeper than ${MAX_VALUE_DEPTH} levels`;
      const prototype = Object.getPrototypeOf(value);
      if (!Array.isArray(value) && prototype !== Object.prototype && prototype !== null) {
        return `${prototype?.constructor?.name ?? "an object"} is not a plain object (convert it first)`;
      }
      seen.add(value);
      for (const [key, inner] of Object.entries(value)) {
        if (!isWellFormed(key)) return "a key holds a lone surrogate (not Unicode)";
        if (inner === undefined && !Array.isArray(value)) continue;
        const problem = jsonProblem(inner, seen, depth + 1);
        if (problem) return problem;
      }
      seen.delete(value);
      return null;
    }
    default:
      return `a ${typeof value} cannot be stored`;
  }
}

/** Defined, never assigned: `__proto__` stays an ordinary key and cannot reach a prototype. */
function define(object: JsonObject, key: string, value: unknown): void {
  Object.defineProperty(object, key, { value, writable: true, enumerable: true, configurable: true });
}
