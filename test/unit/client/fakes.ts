/**
 * Fakes for the browser client's unit tests, which run in Node without a DOM: a clock that
 * only moves when told, a lock manager with Web Locks' queueing, a tab-channel hub joining
 * several fake tabs, and an in-memory server answering API.md's endpoints, including the
 * event stream. A `FakeBrowser` bundles them the way one browser profile shares cookies,
 * channel and locks between its tabs.
 */
import type { Clock } from "../../../src/client/clock.js";
import type { EventSourceLike } from "../../../src/client/event-stream.js";
import type { LockManagerLike } from "../../../src/client/leader.js";
import { webLocksLeader } from "../../../src/client/leader.js";
import { type ChannelMessage, parseTabMessage, toWire } from "../../../src/client/messages.js";
import type { SessionClientOptions } from "../../../src/client/options.js";
import { SessionClient } from "../../../src/client/session-client.js";
import type { TabChannel } from "../../../src/client/tab-channel.js";

/** Lets every pending promise, microtask and immediate run. */
export async function settle(rounds = 20): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}

interface Timer {
  at: number;
  seq: number;
  callback: () => void;
  owner: symbol | null;
}

/** Time that moves only through `advance`; timers run in order, with promises settled between them. */
export class FakeClock implements Clock {
  #now: number;
  #seq = 0;
  readonly #timers = new Map<number, Timer>();

  constructor(start = Date.UTC(2030, 0, 1, 12, 0, 0)) {
    this.#now = start;
  }

  now(): number {
    return this.#now;
  }

  setTimeout(callback: () => void, ms: number, owner: symbol | null = null): unknown {
    const id = ++this.#seq;
    this.#timers.set(id, { at: this.#now + Math.max(0, ms), seq: id, callback, owner });
    return id;
  }

  clearTimeout(handle: unknown): void {
    this.#timers.delete(handle as number);
  }

  get pending(): number {
    return this.#timers.size;
  }

  /** A view of this clock whose timers can all be dropped at once, as when a tab crashes. */
  scope(): Clock & { kill(): void } {
    const owner = Symbol("scope");
    return {
      now: () => this.now(),
      setTimeout: (callback, ms) => this.setTimeout(callback, ms, owner),
      clearTimeout: (handle) => this.clearTimeout(handle),
      kill: () => {
        for (const [id, timer] of this.#timers) if (timer.owner === owner) this.#timers.delete(id);
      },
    };
  }

  async advance(ms: number): Promise<void> {
    const target = this.#now + ms;
    for (;;) {
      await settle();
      let next: [number, Timer] | undefined;
      for (const entry of this.#timers) {
        const [, timer] = entry;
        if (timer.at > target) continue;
        if (!next || timer.at < next[1].at || (timer.at === next[1].at && timer.seq < next[1].seq)) next = entry;
      }
      if (!next) break;
      this.#timers.delete(next[0]);
      this.#now = Math.max(this.#now, next[1].at);
      next[1].callback();
    }
    this.#now = target;
    await settle();
  }
}

/** Web Locks' exclusive mode: one holder per name, waiters granted in order, aborts honoured. */
export class FakeLockManager implements LockManagerLike {
  readonly #held = new Set<string>();
  readonly #queues = new Map<string, Array<{ grant: () => void; signal: AbortSignal | undefined }>>();

  request(
    name: string,
    options: { signal?: AbortSignal },
    callback: (lock: unknown) => Promise<unknown>,
  ): Promise<unknown> {
    return new Promise((resolve, reject) => {
      const queue = this.#queues.get(name) ?? [];
      this.#queues.set(name, queue);
      const entry = {
        signal: options.signal,
        grant: () => {
          this.#held.add(name);
          Promise.resolve()
            .then(() => callback({ name }))
            .then(resolve, reject)
            .finally(() => {
              this.#held.delete(name);
              this.#pump(name);
            });
        },
      };
      options.signal?.addEventListener("abort", () => {
        const index = queue.indexOf(entry);
        if (index === -1) return;
        queue.splice(index, 1);
        reject(new DOMException("The request was aborted.", "AbortError"));
      });
      queue.push(entry);
      this.#pump(name);
    });
  }

  isHeld(name: string): boolean {
    return this.#held.has(name);
  }

  #pump(name: string): void {
    if (this.#held.has(name)) return;
    this.#queues.get(name)?.shift()?.grant();
  }
}

/** Joins fake tabs like BroadcastChannel: delivery is asynchronous, never to the sender, parsed like the real thing. */
export class FakeHub {
  /** Every message exactly as the client handed it to `post` (before `toWire`), as JSON. */
  readonly sent: string[] = [];
  readonly #members = new Set<(raw: unknown) => void>();

  channel(): TabChannel {
    const listeners = new Set<(message: ChannelMessage) => void>();
    const receive = (raw: unknown) => {
      const message = parseTabMessage(raw);
      if (message) for (const listener of [...listeners]) listener(message);
    };
    this.#members.add(receive);
    return {
      post: (message) => {
        this.sent.push(JSON.stringify(message));
        const wire = JSON.stringify(toWire(message));
        for (const member of this.#members) {
          if (member !== receive) setImmediate(() => member(JSON.parse(wire)));
        }
      },
      subscribe: (listener) => {
        listeners.add(listener);
        return () => listeners.delete(listener);
      },
      close: () => {
        listeners.clear();
        this.#members.delete(receive);
      },
    };
  }

  /** How many channels are open: each tab's until its client closes it. */
  get openChannels(): number {
    return this.#members.size;
  }

  /** Delivers anything, as a hostile or buggy same-origin script might post it. */
  inject(raw: unknown): void {
    for (const member of this.#members) member(raw);
  }

  sentMessages(): ChannelMessage[] {
    return this.sent.map((wire) => JSON.parse(wire) as ChannelMessage);
  }
}

/** An EventSource the fake server drives. */
export class FakeEventSource implements EventSourceLike {
  closed = false;
  readonly #listeners = new Map<string, Set<(event: Event) => void>>();

  constructor(
    readonly url: string,
    readonly sessionId: string | null,
    readonly tabId: string,
  ) {}

  addEventListener(type: string, listener: (event: Event) => void): void {
    const set = this.#listeners.get(type) ?? new Set();
    this.#listeners.set(type, set);
    set.add(listener);
  }

  close(): void {
    this.closed = true;
  }

  fire(type: string, data?: unknown): void {
    if (this.closed) return;
    const event = data === undefined ? new Event(type) : new MessageEvent(type, { data: JSON.stringify(data) });
    for (const listener of [...(this.#listeners.get(type) ?? [])]) listener(event);
  }
}

interface ServerSession {
  id: string;
  secret: string;
  userId: string | null;
  createdAt: number;
  lastSeenAt: number;
  authenticatedAt: number | null;
  csrf: string;
  state: Record<string, unknown>;
  version: number;
  updatedAt: number;
}

export interface RecordedRequest {
  method: string;
  path: string;
  csrf: string | null;
  credentials: RequestCredentials | undefined;
  at: number;
}

let counter = 0;
const randomToken = (prefix: string) =>
  `${prefix}${(++counter).toString(36)}${Math.random().toString(36).slice(2, 10)}`;

/** API.md's endpoints, in memory, on a clock that may run ahead of (or behind) the browser's. */
export class FakeServer {
  readonly sessions = new Map<string, ServerSession>();
  readonly users = new Map<string, { id: string; password: string }>();
  /** Each user's state (API.md, "A user's state on every device"), by user id. */
  readonly userStates = new Map<string, { state: Record<string, unknown>; version: number; updatedAt: number }>();
  readonly requests: RecordedRequest[] = [];
  readonly streams: FakeEventSource[] = [];
  idleMs = 10 * 60_000;
  absoluteMs = 7 * 24 * 3600_000;
  /** Server clock minus browser clock. */
  skewMs = 0;
  /** While set, every API request answers 503 store_unavailable. */
  unavailable = false;

  constructor(readonly clock: FakeClock) {
    this.users.set("alice", { id: "u_alice", password: "correct horse" });
    this.users.set("bob", { id: "u_bob", password: "battery staple" });
  }

  now(): number {
    return this.clock.now() + this.skewMs;
  }

  /** Creates a signed-in session directly (as if logged in before the page loaded); returns the cookie. */
  signIn(username = "alice"): string {
    const user = this.users.get(username);
    if (!user) throw new Error(`no user ${username}`);
    return this.#cookieOf(this.#create(user.id));
  }

  sessionOf(cookie: string | null): ServerSession | null {
    if (!cookie) return null;
    const [id, secret] = cookie.split(".");
    const session = id ? this.sessions.get(id) : undefined;
    if (!session || session.secret !== secret) return null;
    if (this.now() >= this.#expiresAt(session)) {
      this.sessions.delete(session.id);
      return null;
    }
    return session;
  }

  revoke(sessionId: string): void {
    this.sessions.delete(sessionId);
    this.#push(sessionId, "revoked");
  }

  /** Changes a session's CSRF token, as a rotation in another request would. */
  rotateCsrf(sessionId: string): void {
    const session = this.sessions.get(sessionId);
    if (session) session.csrf = randomToken("csrf_");
  }

  /**
   * A state change made by some other client of this session (another device's API call, say).
   * `announce: false` holds its stream event back (still on its way) until `announceState`.
   */
  patchState(sessionId: string, set: Record<string, unknown>, options: { announce?: boolean } = {}): void {
    const session = this.sessions.get(sessionId);
    if (!session) return;
    Object.assign(session.state, set);
    session.version += 1;
    session.updatedAt = this.now();
    if (options.announce !== false) this.announceState(sessionId);
  }

  /** The stream event of the session's current state version. */
  announceState(sessionId: string): void {
    const session = this.sessions.get(sessionId);
    if (session) this.#push(sessionId, "state", { version: session.version });
  }

  /** A user-state change made on another device: every stream of the user hears it. */
  patchUserState(userId: string, set: Record<string, unknown>): void {
    const entry = this.#userStateOf(userId);
    Object.assign(entry.state, set);
    entry.version += 1;
    entry.updatedAt = this.now();
    this.#pushToUser(userId, { version: entry.version });
  }

  openStreams(): FakeEventSource[] {
    return this.streams.filter((stream) => !stream.closed);
  }

  countRequests(method: string, path: string): number {
    return this.requests.filter((request) => request.method === method && request.path === path).length;
  }

  openStream(url: string, browser: FakeBrowser, tabId: string): FakeEventSource {
    const session = this.sessionOf(browser.cookie);
    const stream = new FakeEventSource(url, session?.id ?? null, tabId);
    this.streams.push(stream);
    setImmediate(() => (session ? stream.fire("open") : stream.fire("error")));
    return stream;
  }

  async handle(input: RequestInfo | URL, init: RequestInit | undefined, browser: FakeBrowser): Promise<Response> {
    await Promise.resolve();
    const url = new URL(input instanceof Request ? input.url : String(input), "http://stint.invalid");
    const method = (init?.method ?? "GET").toUpperCase();
    const headers = new Headers(init?.headers);
    const csrf = headers.get("x-csrf-token");
    this.requests.push({ method, path: url.pathname, csrf, credentials: init?.credentials, at: this.clock.now() });
    if (this.unavailable) return this.#error(503, "store_unavailable");
    const body = typeof init?.body === "string" && init.body ? (JSON.parse(init.body) as Record<string, unknown>) : {};
    const session = this.sessionOf(browser.cookie);
    const unsafe = !["GET", "HEAD"].includes(method);
    if (unsafe && session && csrf !== session.csrf) return this.#error(403, "csrf_invalid");
    const route = `${method} ${url.pathname}`;
    // Every request with a session is activity except the passive ones (API.md).
    const passive = route === "GET /api/session" || route === "GET /api/session/events";
    if (session && !passive) session.lastSeenAt = this.now();

    switch (route) {
      case "GET /api/session":
        return session ? this.#json(200, this.#info(session)) : this.#error(401, "no_session");
      case "GET /api/session/csrf-token": {
        const current = session ?? this.#create(null);
        if (!session) browser.cookie = this.#cookieOf(current);
        return this.#json(200, { csrfToken: current.csrf });
      }
      case "POST /api/session/extend":
        if (!session) return this.#error(401, "no_session");
        this.#push(session.id, "extended");
        return this.#json(200, this.#info(session));
      case "DELETE /api/session":
        if (!session) return this.#error(401, "no_session");
        this.sessions.delete(session.id);
        browser.cookie = null;
        this.#push(session.id, "logout");
        return new Response(null, { status: 204, headers: this.#headers() });
      case "GET /api/session/state":
        if (!session) return this.#error(401, "no_session");
        return this.#json(200, this.#state(session));
      case "PATCH /api/session/state": {
        if (!session) return this.#error(401, "no_session");
        if (typeof body["ifVersion"] === "number" && body["ifVersion"] !== session.version) {
          return this.#error(409, "conflict");
        }
        Object.assign(session.state, (body["set"] as Record<string, unknown> | undefined) ?? {});
        for (const key of (body["unset"] as string[] | undefined) ?? []) delete session.state[key];
        session.version += 1;
        session.updatedAt = this.now();
        this.#push(session.id, "state", { version: session.version });
        return this.#json(200, this.#state(session));
      }
      case "GET /api/user/state":
        if (!session?.userId) return this.#error(401, "no_session");
        return this.#json(200, this.#userStateBody(session.userId));
      case "PATCH /api/user/state": {
        if (!session?.userId) return this.#error(401, "no_session");
        const entry = this.#userStateOf(session.userId);
        if (typeof body["ifVersion"] === "number" && body["ifVersion"] !== entry.version) {
          return this.#error(409, "conflict");
        }
        Object.assign(entry.state, (body["set"] as Record<string, unknown> | undefined) ?? {});
        for (const key of (body["unset"] as string[] | undefined) ?? []) delete entry.state[key];
        entry.version += 1;
        entry.updatedAt = this.now();
        this.#pushToUser(session.userId, { version: entry.version });
        return this.#json(200, this.#userStateBody(session.userId));
      }
      case "POST /api/auth/login": {
        const user = this.users.get(String(body["username"]));
        if (!user || user.password !== body["password"]) return this.#error(401, "invalid_credentials");
        const next = this.#create(user.id);
        if (session) {
          // State survives sign-in; the old id and CSRF token do not (fixation protection).
          next.state = { ...session.state };
          next.version = session.version;
          this.sessions.delete(session.id);
        }
        browser.cookie = this.#cookieOf(next);
        return this.#json(200, this.#info(next));
      }
      case "POST /api/things":
        if (!session) return this.#error(401, "no_session");
        return this.#json(200, { ok: true });
      default:
        return this.#error(404, "not_found");
    }
  }

  #create(userId: string | null): ServerSession {
    const now = this.now();
    const session: ServerSession = {
      id: randomToken("sid_"),
      secret: randomToken("secret_"),
      userId,
      createdAt: now,
      lastSeenAt: now,
      authenticatedAt: userId ? now : null,
      csrf: randomToken("csrf_"),
      state: {},
      version: 0,
      updatedAt: now,
    };
    this.sessions.set(session.id, session);
    return session;
  }

  #cookieOf(session: ServerSession): string {
    return `${session.id}.${session.secret}`;
  }

  #expiresAt(session: ServerSession): number {
    return Math.min(session.lastSeenAt + this.idleMs, session.createdAt + this.absoluteMs);
  }

  #info(session: ServerSession) {
    const now = this.now();
    const expiresAt = this.#expiresAt(session);
    const user = session.userId ? [...this.users].find(([, u]) => u.id === session.userId) : undefined;
    return {
      session: {
        id: session.id,
        userId: session.userId,
        createdAt: new Date(session.createdAt).toISOString(),
        lastSeenAt: new Date(session.lastSeenAt).toISOString(),
        expiresAt: new Date(expiresAt).toISOString(),
        absoluteExpiresAt: new Date(session.createdAt + this.absoluteMs).toISOString(),
        elapsedSeconds: Math.floor((now - session.createdAt) / 1000),
        remainingSeconds: Math.floor((expiresAt - now) / 1000),
        persistent: false,
        authenticatedAt: session.authenticatedAt ? new Date(session.authenticatedAt).toISOString() : null,
      },
      user: user ? { id: user[1].id, username: user[0] } : null,
      csrfToken: session.csrf,
    };
  }

  #state(session: ServerSession) {
    return {
      state: { ...session.state },
      version: session.version,
      updatedAt: new Date(session.updatedAt).toISOString(),
    };
  }

  #userStateOf(userId: string) {
    let entry = this.userStates.get(userId);
    if (!entry) this.userStates.set(userId, (entry = { state: {}, version: 0, updatedAt: 0 }));
    return entry;
  }

  #userStateBody(userId: string) {
    const { state, version, updatedAt } = this.#userStateOf(userId);
    return { state: { ...state }, version, updatedAt: new Date(updatedAt).toISOString() };
  }

  #pushToUser(userId: string, data: unknown): void {
    for (const stream of this.openStreams()) {
      if (stream.sessionId && this.sessions.get(stream.sessionId)?.userId === userId) stream.fire("user-state", data);
    }
  }

  #push(sessionId: string, type: string, data?: unknown): void {
    for (const stream of this.openStreams()) if (stream.sessionId === sessionId) stream.fire(type, data);
  }

  #headers(): Headers {
    // Date has one-second resolution, as a real server's does (RFC 9110 §6.6.1).
    return new Headers({ date: new Date(this.now()).toUTCString(), "cache-control": "no-store" });
  }

  #json(status: number, body: unknown): Response {
    const headers = this.#headers();
    headers.set("content-type", "application/json; charset=utf-8");
    return new Response(JSON.stringify(body), { status, headers });
  }

  #error(status: number, code: string): Response {
    return this.#json(status, { error: { code, message: `fake ${code}` } });
  }
}

export interface RecordedEvent {
  type: string;
  payload: unknown;
}

/** One fake tab: a client wired to its browser's shared fakes, recording every event it emits. */
export interface FakeTab {
  client: SessionClient<Record<string, unknown>>;
  window: EventTarget;
  events: RecordedEvent[];
  clock: Clock & { kill(): void };
  eventsOf(type: string): unknown[];
  close(): void;
}

const eventNames = [
  "change",
  "state",
  "user-state",
  "message",
  "warning",
  "expired",
  "revoked",
  "logout",
  "login",
  "error",
  "leader",
] as const;

/** One browser profile: a cookie jar, a channel hub and a lock manager shared by its tabs. */
export class FakeBrowser {
  cookie: string | null = null;
  readonly hub = new FakeHub();
  readonly locks = new FakeLockManager();
  readonly tabs: FakeTab[] = [];

  constructor(
    readonly server: FakeServer,
    readonly clock: FakeClock,
  ) {}

  readonly fetch = (input: RequestInfo | URL, init?: RequestInit): Promise<Response> =>
    this.server.handle(input, init, this);

  openTab(options: SessionClientOptions = {}): FakeTab {
    const tabId = `tab${this.tabs.length + 1}`;
    const clock = this.clock.scope();
    const win = new EventTarget();
    const client = new SessionClient<Record<string, unknown>>({
      tabId,
      clock,
      fetch: this.fetch,
      channel: this.hub.channel(),
      leader: webLocksLeader("stint:leader", this.locks),
      eventSource: (url) => this.server.openStream(url, this, tabId),
      window: win,
      document: null,
      ...options,
    });
    const events: RecordedEvent[] = [];
    for (const type of eventNames) client.on(type, (payload) => events.push({ type, payload }));
    const tab: FakeTab = {
      client,
      window: win,
      events,
      clock,
      eventsOf: (type) => events.filter((event) => event.type === type).map((event) => event.payload),
      close: () => client.close(),
    };
    this.tabs.push(tab);
    return tab;
  }
}

/** A server, a browser and `count` started tabs. */
export async function setup(count: number, options: SessionClientOptions & { signedIn?: boolean } = {}) {
  const { signedIn = true, ...clientOptions } = options;
  const clock = new FakeClock();
  const server = new FakeServer(clock);
  const browser = new FakeBrowser(server, clock);
  if (signedIn) browser.cookie = server.signIn("alice");
  const tabs: FakeTab[] = [];
  for (let i = 0; i < count; i++) tabs.push(browser.openTab(clientOptions));
  await Promise.all(tabs.map((tab) => tab.client.init()));
  await settle();
  return { clock, server, browser, tabs };
}

/** A Storage in memory that fires `storage` on every other tab's target, as browsers do. */
export class FakeStorageArea {
  readonly #data = new Map<string, string>();
  readonly #tabs: Array<{ storage: Storage; target: EventTarget }> = [];

  /** This tab's `localStorage` and `window`. */
  tab(): { storage: Storage; target: EventTarget } {
    const target = new EventTarget();
    const area = this;
    const storage = {
      get length() {
        return area.#data.size;
      },
      clear: () => area.#data.clear(),
      getItem: (key: string) => area.#data.get(key) ?? null,
      key: (index: number) => [...area.#data.keys()][index] ?? null,
      removeItem: (key: string) => area.#write(storage, key, null),
      setItem: (key: string, value: string) => area.#write(storage, key, String(value)),
    } as Storage;
    this.#tabs.push({ storage, target });
    return { storage, target };
  }

  get size(): number {
    return this.#data.size;
  }

  /** Fires a `storage` event with any contents, bypassing the API (a hostile writer). */
  fireRaw(key: string, newValue: string | null): void {
    for (const tab of this.#tabs) tab.target.dispatchEvent(this.#event(tab.storage, key, newValue));
  }

  #write(from: Storage, key: string, value: string | null): void {
    const old = this.#data.get(key) ?? null;
    if (value === null) this.#data.delete(key);
    else this.#data.set(key, value);
    if (old === value) return;
    for (const tab of this.#tabs) {
      if (tab.storage !== from) tab.target.dispatchEvent(this.#event(tab.storage, key, value));
    }
  }

  #event(storage: Storage, key: string, newValue: string | null): Event {
    return Object.assign(new Event("storage"), { key, newValue, storageArea: storage });
  }
}
