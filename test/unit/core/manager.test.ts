import { describe, expect, it } from "vitest";
import { z } from "zod";
import { deleteExpiredInBatches } from "../../../src/core/cleanup.js";
import { readCookie } from "../../../src/core/cookie.js";
import { ConflictError, NoSessionError, NotFoundError, PayloadTooLargeError } from "../../../src/core/errors.js";
import { EventBus, type StintEvent, type StintEventName } from "../../../src/core/events.js";
import { type CommitResult, SessionManager, type SessionManagerOptions } from "../../../src/core/manager.js";
import type { Session } from "../../../src/core/session.js";
import { SessionControl } from "../../../src/core/session-control.js";
import { hashSecret, parseToken } from "../../../src/core/token.js";
import { memoryStore } from "../../../src/stores/memory.js";
import type { JsonObject, SessionRecord } from "../../../src/stores/store.js";
import { type CountingStore, countingStore } from "../../support/counting-store.js";
import { DAY, FakeClock, HOUR, MINUTE, SECOND } from "../../support/fake-clock.js";

const SECRET = "manager-test-secret-0123456789abcdefghij";
const TOKEN_SHAPE = /^[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}$/;
const FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0";
const CHROME = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36";

type Options = Omit<SessionManagerOptions<JsonObject>, "store" | "secrets" | "clock" | "events">;

interface Harness {
  manager: SessionManager<JsonObject>;
  control: SessionControl;
  store: CountingStore;
  clock: FakeClock;
  events: StintEvent[];
}

function setup(options: Options = {}, shared?: Pick<Harness, "store" | "clock">): Harness {
  const clock = shared?.clock ?? new FakeClock();
  const store = shared?.store ?? countingStore(memoryStore());
  const bus = new EventBus();
  const events: StintEvent[] = [];
  bus.onAny((event) => events.push(event));
  const manager = new SessionManager<JsonObject>({ store, secrets: SECRET, clock, events: bus, ...options });
  return { manager, control: new SessionControl(store, clock, bus), store, clock, events };
}

function eventsOf<K extends StintEventName>(events: StintEvent[], type: K): Extract<StintEvent, { type: K }>[] {
  return events.filter((event): event is Extract<StintEvent, { type: K }> => event.type === type);
}

/** The token of the one session cookie a commit set. */
function tokenOf(manager: SessionManager<JsonObject>, result: CommitResult): string {
  expect(result.setCookies).toHaveLength(1);
  const token = readCookie(result.setCookies[0], manager.cookie.name);
  expect(token).toMatch(TOKEN_SHAPE);
  return token as string;
}

const idOf = (token: string) => parseToken(token)?.id as string;

/** One request that writes a key, creating the session: returns its token. */
async function anonymousSession(h: Harness, data: JsonObject = { cart: ["apple"] }, state: JsonObject = {}) {
  const session = await h.manager.load(null, { userAgent: FIREFOX, ip: "203.0.113.7" });
  for (const [key, value] of Object.entries(data)) session.set(key, value);
  for (const [key, value] of Object.entries(state)) session.setState(key, value);
  return tokenOf(h.manager, await h.manager.commit(session, { activity: true }));
}

async function loggedIn(h: Harness, userId: string, options: { persistent?: boolean; userAgent?: string } = {}) {
  const session = await h.manager.load(null, { userAgent: options.userAgent ?? FIREFOX });
  session.login(userId, { persistent: options.persistent ?? false });
  return tokenOf(h.manager, await h.manager.commit(session, { activity: true }));
}

/** One request that only reads: load, then commit as activity. */
async function readOnly(h: Harness, token: string, userAgent = FIREFOX): Promise<Session<JsonObject>> {
  const session = await h.manager.load(token, { userAgent });
  await h.manager.commit(session, { activity: true });
  return session;
}

async function stored(h: Harness, token: string): Promise<SessionRecord | null> {
  return h.store.get(idOf(token), h.clock.now());
}

async function isAlive(h: Harness, token: string): Promise<boolean> {
  const session = await h.manager.load(token, { userAgent: FIREFOX });
  return !session.isNew;
}

describe("SessionManager cookies", () => {
  it("names the cookie stint_session over plain HTTP, with HttpOnly, Path=/ and SameSite=Lax", async () => {
    const h = setup();
    const session = await h.manager.load(null);
    session.persist();
    const result = await h.manager.commit(session);
    const token = tokenOf(h.manager, result);
    expect(h.manager.cookie.name).toBe("stint_session");
    expect(result.setCookies).toEqual([`stint_session=${token}; Path=/; HttpOnly; SameSite=Lax`]);
  });

  it("names the cookie __Host-stint_session with Secure when secure", async () => {
    const h = setup({ secure: true });
    const session = await h.manager.load(null);
    session.persist();
    const result = await h.manager.commit(session);
    const token = tokenOf(h.manager, result);
    expect(h.manager.cookie.name).toBe("__Host-stint_session");
    expect(result.setCookies).toEqual([`__Host-stint_session=${token}; Path=/; HttpOnly; Secure; SameSite=Lax`]);
  });

  it("clears with an empty value and Max-Age=0 under the same name and attributes", () => {
    expect(setup().manager.cookie.clear()).toBe("stint_session=; Max-Age=0; Path=/; HttpOnly; SameSite=Lax");
    expect(setup({ secure: true }).manager.cookie.clear()).toBe(
      "__Host-stint_session=; Max-Age=0; Path=/; HttpOnly; Secure; SameSite=Lax",
    );
  });

  it("stores the public id and the SHA-256 of the secret, never the secret", async () => {
    const h = setup();
    const token = await anonymousSession(h);
    const { id, secret } = parseToken(token) as { id: string; secret: string };
    const record = (await stored(h, token)) as SessionRecord;
    expect(record.id).toBe(id);
    expect(record.secretHash).toBe(hashSecret(secret));
    expect(JSON.stringify(record)).not.toContain(secret);
  });
});

describe("SessionManager lazy creation", () => {
  it("gives a new, unsaved session without a cookie, and commits it with no store call and no cookie", async () => {
    const h = setup();
    const session = await h.manager.load(undefined);
    expect(session.isNew).toBe(true);
    expect(session.presentedInvalidToken).toBe(false);
    expect(await h.manager.commit(session, { activity: true })).toEqual({ setCookies: [] });
    expect(h.store.total()).toBe(0);
    expect(h.events).toEqual([]);
  });

  it("treats an empty cookie value as no cookie", async () => {
    const h = setup();
    const session = await h.manager.load("");
    expect(session.presentedInvalidToken).toBe(false);
    expect(await h.manager.commit(session)).toEqual({ setCookies: [] });
    expect(h.store.total()).toBe(0);
  });

  it("creates the session when data is written, once, with a cookie and a created event", async () => {
    const h = setup();
    const token = await anonymousSession(h, { cart: ["apple"] });
    expect(h.store.calls.create).toBe(1);
    expect(h.store.writes()).toBe(1);
    expect((await stored(h, token))?.data).toEqual({ cart: ["apple"] });
    expect(eventsOf(h.events, "created")).toEqual([
      { type: "created", at: h.clock.now(), sessionId: idOf(token), userId: null },
    ]);
  });

  it("creates the session when state is written", async () => {
    const h = setup();
    const token = await anonymousSession(h, {}, { theme: "dark" });
    expect((await stored(h, token))?.state).toEqual({ theme: "dark" });
  });

  it("creates an empty session when persist() is called", async () => {
    const h = setup();
    const session = await h.manager.load(null);
    session.persist();
    const token = tokenOf(h.manager, await h.manager.commit(session));
    expect(await stored(h, token)).toMatchObject({ data: {}, state: {}, userId: null, version: 1 });
  });

  it("records the client's device facts and times on creation", async () => {
    const h = setup();
    const token = await anonymousSession(h);
    const record = (await stored(h, token)) as SessionRecord;
    const now = h.clock.now();
    expect(record).toMatchObject({
      createdAt: now,
      lastSeenAt: now,
      updatedAt: now,
      expiresAt: now + 24 * HOUR,
      absoluteExpiresAt: now + 7 * DAY,
      authenticatedAt: null,
      persistent: false,
      meta: { userAgent: FIREFOX, ip: "203.0.113.7" },
    });
    expect(record.meta.fingerprint).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });
});

describe("SessionManager read-only requests", () => {
  it("cost exactly one get and zero writes when the touch is not due", async () => {
    const h = setup();
    const token = await anonymousSession(h);
    h.clock.advance(10 * SECOND);
    h.store.reset();
    const session = await h.manager.load(token, { userAgent: FIREFOX });
    const result = await h.manager.commit(session, { activity: true });
    expect(result).toEqual({ setCookies: [] });
    expect(h.store.calls.get).toBe(1);
    expect(h.store.calls.create).toBe(0);
    expect(h.store.calls.patch).toBe(0);
    expect(h.store.calls.delete).toBe(0);
    expect(h.store.writes()).toBe(0);
    expect(h.store.total()).toBe(1);
  });

  it("cost no write over many requests within one touch interval", async () => {
    const h = setup();
    const token = await anonymousSession(h);
    h.store.reset();
    for (let i = 0; i < 59; i++) {
      h.clock.advance(SECOND);
      expect((await readOnly(h, token)).isNew).toBe(false);
    }
    expect(h.store.calls.get).toBe(59);
    expect(h.store.writes()).toBe(0);
  });

  it("cost no write when passive, even when the touch is due", async () => {
    const h = setup();
    const token = await anonymousSession(h);
    h.clock.advance(10 * MINUTE);
    h.store.reset();
    const session = await h.manager.load(token, { userAgent: FIREFOX });
    await h.manager.commit(session);
    expect(h.store.total()).toBe(1);
    expect(h.store.writes()).toBe(0);
  });
});

describe("SessionManager touch", () => {
  it("writes activity once the touch interval has passed, keeping the version", async () => {
    const h = setup();
    const token = await anonymousSession(h);
    const before = (await stored(h, token)) as SessionRecord;
    h.clock.advance(60 * SECOND);
    h.store.reset();
    const result = await h.manager.commit(await h.manager.load(token, { userAgent: FIREFOX }), { activity: true });
    expect(result.setCookies).toEqual([]);
    expect(h.store.calls.patch).toBe(1);
    expect(h.store.writes()).toBe(1);
    const after = (await stored(h, token)) as SessionRecord;
    expect(after.lastSeenAt).toBe(h.clock.now());
    expect(after.expiresAt).toBe(h.clock.now() + 24 * HOUR);
    expect(after.version).toBe(before.version);
    expect(eventsOf(h.events, "touched")).toEqual([
      {
        type: "touched",
        at: h.clock.now(),
        sessionId: idOf(token),
        userId: null,
        lastSeenAt: h.clock.now(),
        expiresAt: after.expiresAt,
      },
    ]);
  });

  it("writes at most once per touch interval", async () => {
    const h = setup();
    const token = await anonymousSession(h);
    h.store.reset();
    for (let i = 0; i < 150; i++) {
      h.clock.advance(SECOND);
      await readOnly(h, token);
    }
    // Touches at 60 s and 120 s; the 30 s since the last one are not enough for a third.
    expect(h.store.calls.patch).toBe(2);
    expect(h.store.writes()).toBe(2);
  });

  it("folds a due touch into the write of a content change", async () => {
    const h = setup();
    const token = await anonymousSession(h);
    h.clock.advance(2 * MINUTE);
    h.store.reset();
    const session = await h.manager.load(token, { userAgent: FIREFOX });
    session.set("cart", ["apple", "pear"]);
    await h.manager.commit(session, { activity: true });
    expect(h.store.calls.patch).toBe(1);
    expect(await stored(h, token)).toMatchObject({
      lastSeenAt: h.clock.now(),
      version: 2,
      data: { cart: ["apple", "pear"] },
    });
  });

  it("writes exactly the keys set and removed, leaving the others", async () => {
    const h = setup();
    const token = await anonymousSession(h, { a: 1, b: 2, c: 3 }, { x: 1, y: 2 });
    const session = await h.manager.load(token, { userAgent: FIREFOX });
    session.set("a", 10).unset("b").setState("y", 20).unsetState("x");
    await h.manager.commit(session);
    expect(await stored(h, token)).toMatchObject({ data: { a: 10, c: 3 }, state: { y: 20 }, version: 2 });
    expect(eventsOf(h.events, "state_changed")).toMatchObject([
      { sessionId: idOf(token), version: 2, keys: ["y", "x"] },
    ]);
  });

  it("keeps both of two concurrent writes to different keys", async () => {
    const h = setup();
    const token = await anonymousSession(h, { a: 0 });
    const first = await h.manager.load(token, { userAgent: FIREFOX });
    const second = await h.manager.load(token, { userAgent: FIREFOX });
    first.set("a", 1);
    second.set("b", 2);
    await h.manager.commit(first);
    await h.manager.commit(second);
    expect((await stored(h, token))?.data).toEqual({ a: 1, b: 2 });
  });
});

describe("SessionManager idle and absolute expiry", () => {
  it("ends a session after the idle timeout without activity, and answers with a clearing cookie", async () => {
    const h = setup();
    const token = await anonymousSession(h);
    h.clock.advance(24 * HOUR - 1);
    expect(await isAlive(h, token)).toBe(true);
    h.clock.advance(1);
    h.store.reset();
    const session = await h.manager.load(token, { userAgent: FIREFOX });
    expect(session.isNew).toBe(true);
    expect(session.presentedInvalidToken).toBe(true);
    expect(await h.manager.commit(session, { activity: true })).toEqual({ setCookies: [h.manager.cookie.clear()] });
    expect(h.store.calls.create).toBe(0);
    expect(h.store.calls.patch).toBe(0);
  });

  it("keeps a session alive past the idle timeout while there is activity", async () => {
    const h = setup({ policy: { idleTimeout: "1h", absoluteTimeout: "8h" } });
    const token = await anonymousSession(h);
    for (let i = 0; i < 8; i++) {
      h.clock.advance(30 * MINUTE);
      expect((await readOnly(h, token)).isNew).toBe(false);
    }
  });

  it("emits expired, deletes the record and clears the cookie when the stored record outlived the policy", async () => {
    const clock = new FakeClock();
    const store = countingStore(memoryStore());
    const lenient = setup({ policy: { idleTimeout: "24h" } }, { store, clock });
    const strict = setup({ policy: { idleTimeout: "1h", absoluteTimeout: "1h" } }, { store, clock });
    const token = await anonymousSession(lenient);
    clock.advance(2 * HOUR);
    store.reset();
    const session = await strict.manager.load(token, { userAgent: FIREFOX });
    expect(session.isNew).toBe(true);
    expect(session.presentedInvalidToken).toBe(true);
    expect(eventsOf(strict.events, "expired")).toEqual([
      { type: "expired", at: clock.now(), sessionId: idOf(token), userId: null },
    ]);
    expect(store.calls.delete).toBe(1);
    expect(await store.get(idOf(token), clock.now())).toBeNull();
    expect((await strict.manager.commit(session)).setCookies).toEqual([strict.manager.cookie.clear()]);
  });

  it("never extends a session past its absolute end, by activity or by extend()", async () => {
    const h = setup({ policy: { idleTimeout: "1h", absoluteTimeout: "3h" } });
    const token = await anonymousSession(h);
    const absoluteEnd = ((await stored(h, token)) as SessionRecord).absoluteExpiresAt;
    expect(absoluteEnd).toBe(h.clock.now() + 3 * HOUR);
    for (let i = 0; i < 8; i++) {
      h.clock.advance(20 * MINUTE);
      const session = await readOnly(h, token);
      expect(session.isNew).toBe(false);
      expect(session.record?.expiresAt).toBeLessThanOrEqual(absoluteEnd);
      expect(session.record?.absoluteExpiresAt).toBe(absoluteEnd);
    }
    h.clock.advance(10 * MINUTE);
    const last = await h.manager.load(token, { userAgent: FIREFOX });
    const extended = await h.manager.extend(last);
    expect(extended.expiresAt).toBe(absoluteEnd);
    h.clock.set(absoluteEnd - 1);
    expect(await isAlive(h, token)).toBe(true);
    h.clock.set(absoluteEnd);
    expect(await isAlive(h, token)).toBe(false);
  });

  it("extend() resets the idle window and emits extended", async () => {
    const h = setup({ policy: { idleTimeout: "1h", absoluteTimeout: "8h" } });
    const token = await anonymousSession(h);
    h.clock.advance(10 * SECOND);
    const session = await h.manager.load(token, { userAgent: FIREFOX });
    const record = await h.manager.extend(session);
    expect(record.lastSeenAt).toBe(h.clock.now());
    expect(record.expiresAt).toBe(h.clock.now() + HOUR);
    expect(eventsOf(h.events, "extended")).toMatchObject([{ sessionId: idOf(token), expiresAt: record.expiresAt }]);
  });

  it("extend() of a new or vanished session is NoSessionError", async () => {
    const h = setup();
    await expect(h.manager.extend(await h.manager.load(null))).rejects.toBeInstanceOf(NoSessionError);
    const token = await anonymousSession(h);
    const session = await h.manager.load(token, { userAgent: FIREFOX });
    await h.control.revoke(idOf(token));
    await expect(h.manager.extend(session)).rejects.toBeInstanceOf(NoSessionError);
    expect(await stored(h, token)).toBeNull();
  });
});

describe("SessionManager remember me", () => {
  it("gives a remembered login a cookie whose Max-Age is the remember timeout", async () => {
    const h = setup();
    const session = await h.manager.load(null);
    session.login("alice", { persistent: true });
    const result = await h.manager.commit(session);
    const token = tokenOf(h.manager, result);
    expect(result.setCookies).toEqual([
      `stint_session=${token}; Max-Age=${30 * 24 * 3600}; Path=/; HttpOnly; SameSite=Lax`,
    ]);
    expect(await stored(h, token)).toMatchObject({ persistent: true, absoluteExpiresAt: h.clock.now() + 30 * DAY });
  });

  it("gives a normal login a browser-session cookie without Max-Age", async () => {
    const h = setup();
    const session = await h.manager.load(null);
    session.login("alice");
    expect((await h.manager.commit(session)).setCookies[0]).not.toContain("Max-Age");
  });

  it("keeps a remembered session through silences longer than the idle timeout, up to the remember timeout", async () => {
    const h = setup();
    const token = await loggedIn(h, "alice", { persistent: true });
    h.clock.advance(10 * DAY);
    expect(await isAlive(h, token)).toBe(true);
    h.clock.advance(20 * DAY - 1);
    expect(await isAlive(h, token)).toBe(true);
    h.clock.advance(1);
    expect(await isAlive(h, token)).toBe(false);
  });

  it("gives a rotated remembered session a Max-Age of its remaining lifetime", async () => {
    const h = setup();
    const token = await loggedIn(h, "alice", { persistent: true });
    h.clock.advance(10 * DAY);
    const session = await h.manager.load(token, { userAgent: FIREFOX });
    session.rotate();
    const cookie = (await h.manager.commit(session)).setCookies[0];
    expect(cookie).toContain(`; Max-Age=${20 * 24 * 3600};`);
  });
});

describe("SessionManager login and rotation", () => {
  it("login issues a new id, kills the old token, keeps state and drops data", async () => {
    const h = setup();
    const anonymous = await anonymousSession(h, { cart: ["apple"] }, { theme: "dark" });
    h.clock.advance(5 * MINUTE);
    h.store.reset();
    const session = await h.manager.load(anonymous, { userAgent: FIREFOX });
    session.login("alice");
    const token = tokenOf(h.manager, await h.manager.commit(session, { activity: true }));
    expect(idOf(token)).not.toBe(idOf(anonymous));
    expect(h.store.calls.create).toBe(1);
    // One store call creates the new session and deletes the old one (no window with both, or neither).
    expect(h.store.calls.delete).toBe(0);

    const before = await h.manager.load(anonymous, { userAgent: FIREFOX });
    expect(before.isNew).toBe(true);
    expect(before.presentedInvalidToken).toBe(true);

    const after = await h.manager.load(token, { userAgent: FIREFOX });
    expect(after.userId).toBe("alice");
    expect(after.state()).toEqual({ theme: "dark" });
    expect(after.data()).toEqual({});
    expect(after.record).toMatchObject({ createdAt: h.clock.now(), authenticatedAt: h.clock.now(), persistent: false });
  });

  it("login emits rotated and then login", async () => {
    const h = setup();
    const anonymous = await anonymousSession(h);
    h.events.length = 0;
    const session = await h.manager.load(anonymous, { userAgent: FIREFOX });
    session.login("alice");
    const token = tokenOf(h.manager, await h.manager.commit(session));
    const at = h.clock.now();
    expect(h.events).toEqual([
      { type: "rotated", at, sessionId: idOf(token), previousId: idOf(anonymous), userId: "alice" },
      { type: "login", at, sessionId: idOf(token), userId: "alice", persistent: false },
    ]);
  });

  it("login of a visitor without a session emits created and login", async () => {
    const h = setup();
    const token = await loggedIn(h, "alice");
    expect(h.events.map((event) => event.type)).toEqual(["created", "login"]);
    expect(eventsOf(h.events, "created")[0]?.userId).toBe("alice");
    expect((await stored(h, token))?.userId).toBe("alice");
  });

  it("login changes the CSRF token", async () => {
    const h = setup();
    const anonymous = await anonymousSession(h);
    const before = await h.manager.load(anonymous, { userAgent: FIREFOX });
    const csrfBefore = h.manager.csrfToken(before);
    before.login("alice");
    await h.manager.commit(before);
    expect(h.manager.verifyCsrf(before, csrfBefore)).toBe(false);
    expect(h.manager.verifyCsrf(before, h.manager.csrfToken(before))).toBe(true);
  });

  it("rotate() issues a new id and keeps data, state, user, createdAt and the absolute end", async () => {
    const h = setup();
    const session = await h.manager.load(null, { userAgent: FIREFOX });
    session.login("alice");
    session.set("role", "user");
    session.setState("theme", "dark");
    const first = tokenOf(h.manager, await h.manager.commit(session));
    const original = (await stored(h, first)) as SessionRecord;
    h.clock.advance(HOUR);
    h.events.length = 0;

    const loaded = await h.manager.load(first, { userAgent: FIREFOX });
    loaded.set("role", "admin");
    loaded.rotate();
    const second = tokenOf(h.manager, await h.manager.commit(loaded));
    expect(idOf(second)).not.toBe(idOf(first));
    expect(await isAlive(h, first)).toBe(false);
    expect(await stored(h, second)).toMatchObject({
      userId: "alice",
      data: { role: "admin" },
      state: { theme: "dark" },
      createdAt: original.createdAt,
      absoluteExpiresAt: original.absoluteExpiresAt,
      authenticatedAt: original.authenticatedAt,
      lastSeenAt: h.clock.now(),
    });
    expect(h.events.map((event) => event.type)).toEqual(["rotated"]);
  });

  it("never adopts the id of a token it did not issue", async () => {
    const h = setup();
    const forged = `${"a".repeat(22)}.${"b".repeat(43)}`;
    const session = await h.manager.load(forged);
    expect(session.presentedInvalidToken).toBe(true);
    session.set("k", 1);
    const token = tokenOf(h.manager, await h.manager.commit(session));
    expect(idOf(token)).not.toBe(idOf(forged));
    expect(await h.store.get(idOf(forged), h.clock.now())).toBeNull();
  });
});

describe("SessionManager invalid tokens", () => {
  it("treats a wrong secret as no session, with one read and a clearing cookie", async () => {
    const h = setup();
    const token = await anonymousSession(h);
    const { id } = parseToken(token) as { id: string };
    const wrong = `${id}.${"A".repeat(43)}`;
    h.store.reset();
    const session = await h.manager.load(wrong);
    expect(session.isNew).toBe(true);
    expect(session.presentedInvalidToken).toBe(true);
    expect(await h.manager.commit(session, { activity: true })).toEqual({ setCookies: [h.manager.cookie.clear()] });
    expect(h.store.total()).toBe(1);
    expect(await isAlive(h, token)).toBe(true);
  });

  it("treats an unknown id as no session", async () => {
    const h = setup();
    const session = await h.manager.load(`${"Z".repeat(22)}.${"A".repeat(43)}`);
    expect(session.isNew).toBe(true);
    expect(session.presentedInvalidToken).toBe(true);
    expect(h.store.calls.get).toBe(1);
    expect(h.store.writes()).toBe(0);
  });

  it("does not query the store at all for a malformed token", async () => {
    const h = setup();
    for (const value of [
      " ",
      "no-dot",
      "a.b.c",
      "é",
      "%00",
      "__proto__",
      '{"$ne":null}',
      "sess:*",
      "x".repeat(10_240),
    ]) {
      const session = await h.manager.load(value);
      expect(session.isNew).toBe(true);
      expect(session.presentedInvalidToken).toBe(true);
      expect((await h.manager.commit(session)).setCookies).toEqual([h.manager.cookie.clear()]);
    }
    expect(h.store.total()).toBe(0);
  });
});

describe("SessionManager destroy", () => {
  it("deletes the record, clears the cookie and emits revoked with reason logout", async () => {
    const h = setup();
    const token = await loggedIn(h, "alice");
    h.store.reset();
    const session = await h.manager.load(token, { userAgent: FIREFOX });
    session.destroy();
    expect(await h.manager.commit(session)).toEqual({ setCookies: [h.manager.cookie.clear()] });
    expect(h.store.calls.delete).toBe(1);
    expect(eventsOf(h.events, "revoked")).toEqual([
      { type: "revoked", at: h.clock.now(), sessionId: idOf(token), userId: "alice", reason: "logout" },
    ]);
    expect(await isAlive(h, token)).toBe(false);
  });

  it("costs no store call for a visitor without a session, and clears an invalid cookie", async () => {
    const h = setup();
    const fresh = await h.manager.load(null);
    expect(await h.manager.commit(fresh.destroy())).toEqual({ setCookies: [] });
    const invalid = await h.manager.load("garbage");
    expect(await h.manager.commit(invalid.destroy())).toEqual({ setCookies: [h.manager.cookie.clear()] });
    expect(h.store.total()).toBe(0);
  });

  it("wins over pending writes: nothing is written but the delete", async () => {
    const h = setup();
    const token = await anonymousSession(h);
    h.store.reset();
    const session = await h.manager.load(token, { userAgent: FIREFOX });
    session.set("k", 1).rotate().destroy();
    await h.manager.commit(session);
    expect(h.store.calls.delete).toBe(1);
    expect(h.store.writes()).toBe(1);
  });
});

describe("SessionManager concurrency", () => {
  it("refuses to write to a session deleted while the request ran, and never recreates it", async () => {
    const h = setup();
    const token = await loggedIn(h, "alice");
    const session = await h.manager.load(token, { userAgent: FIREFOX });
    await h.control.revoke(idOf(token));
    session.set("late", true);
    h.store.reset();
    await expect(h.manager.commit(session, { activity: true })).rejects.toBeInstanceOf(NoSessionError);
    expect(h.store.calls.create).toBe(0);
    expect(await stored(h, token)).toBeNull();
    expect(await h.store.listByUser("alice", h.clock.now())).toEqual([]);
  });

  it("drops a due touch of a session deleted while the request ran, without error or cookie", async () => {
    const h = setup();
    const token = await anonymousSession(h);
    h.clock.advance(5 * MINUTE);
    const session = await h.manager.load(token, { userAgent: FIREFOX });
    await h.control.revoke(idOf(token));
    expect(await h.manager.commit(session, { activity: true })).toEqual({ setCookies: [] });
    expect(await stored(h, token)).toBeNull();
    expect(h.store.calls.create).toBe(1);
  });

  it("refuses to rotate a session deleted while the request ran, and never recreates it", async () => {
    const h = setup();
    const token = await loggedIn(h, "alice");
    const session = await h.manager.load(token, { userAgent: FIREFOX });
    await h.control.revokeUser("alice");
    session.rotate();
    await expect(h.manager.commit(session)).rejects.toBeInstanceOf(NoSessionError);
    expect(await h.store.listByUser("alice", h.clock.now())).toEqual([]);
    expect(await h.store.count?.(h.clock.now())).toBe(0);
  });

  it("lets a login go ahead from a session deleted while the request ran: the user proved who they are", async () => {
    const h = setup();
    const anonymous = await anonymousSession(h);
    const session = await h.manager.load(anonymous, { userAgent: FIREFOX });
    await h.control.revoke(idOf(anonymous));
    session.login("alice");
    const token = tokenOf(h.manager, await h.manager.commit(session));
    expect(await isAlive(h, token)).toBe(true);
    expect(await isAlive(h, anonymous)).toBe(false);
  });

  it("fails a stale ifVersion with ConflictError and keeps the winning write", async () => {
    const h = setup();
    const token = await anonymousSession(h, {}, { n: 0 });
    const first = await h.manager.load(token, { userAgent: FIREFOX });
    const second = await h.manager.load(token, { userAgent: FIREFOX });
    const version = first.version;
    first.setState("n", 1);
    await h.manager.commit(first, { ifVersion: version });
    second.setState("n", 2);
    await expect(h.manager.commit(second, { ifVersion: version })).rejects.toBeInstanceOf(ConflictError);
    expect(await stored(h, token)).toMatchObject({ state: { n: 1 }, version: version + 1 });
  });

  it("applies a write whose ifVersion is current", async () => {
    const h = setup();
    const token = await anonymousSession(h, {}, { n: 0 });
    const session = await h.manager.load(token, { userAgent: FIREFOX });
    session.setState("n", 1);
    await h.manager.commit(session, { ifVersion: session.version });
    expect(session.version).toBe(2);
    expect((await stored(h, token))?.state).toEqual({ n: 1 });
  });
});

describe("SessionManager state size", () => {
  it("refuses a state change past maxStateBytes with PayloadTooLargeError and leaves the state unchanged", async () => {
    const h = setup({ maxStateBytes: 100 });
    const token = await anonymousSession(h, {}, { small: "ok" });
    const session = await h.manager.load(token, { userAgent: FIREFOX });
    session.setState("big", "x".repeat(200));
    await expect(h.manager.commit(session)).rejects.toBeInstanceOf(PayloadTooLargeError);
    expect(await stored(h, token)).toMatchObject({ state: { small: "ok" }, version: 1 });
  });

  it("refuses to create a session whose state is too large, writing nothing", async () => {
    const h = setup({ maxStateBytes: 100 });
    const session = await h.manager.load(null);
    session.setState("big", "x".repeat(200));
    await expect(h.manager.commit(session)).rejects.toThrow(/under 100 bytes/);
    expect(h.store.total()).toBe(0);
  });

  it("defaults to 16 KiB", async () => {
    const h = setup();
    expect(h.manager.maxStateBytes).toBe(16 * 1024);
    const token = await anonymousSession(h, {}, { fits: "x".repeat(16_000) });
    const session = await h.manager.load(token, { userAgent: FIREFOX });
    session.setState("more", "x".repeat(1_000));
    await expect(h.manager.commit(session)).rejects.toBeInstanceOf(PayloadTooLargeError);
  });

  it("does not limit server-only data by maxStateBytes", async () => {
    const h = setup({ maxStateBytes: 100 });
    const token = await anonymousSession(h, { big: "x".repeat(1_000) });
    expect((await stored(h, token))?.data.big).toBe("x".repeat(1_000));
  });
});

describe("SessionManager per-user limit", () => {
  it("signs out the oldest session past maxSessionsPerUser, with limit_evicted", async () => {
    const h = setup({ policy: { maxSessionsPerUser: 2 } });
    const first = await loggedIn(h, "alice");
    h.clock.advance(SECOND);
    const second = await loggedIn(h, "alice");
    h.clock.advance(SECOND);
    const third = await loggedIn(h, "alice");
    expect(eventsOf(h.events, "limit_evicted")).toEqual([
      { type: "limit_evicted", at: h.clock.now(), sessionId: idOf(first), userId: "alice" },
    ]);
    expect(await isAlive(h, first)).toBe(false);
    expect(await isAlive(h, second)).toBe(true);
    expect(await isAlive(h, third)).toBe(true);
    expect((await h.control.list("alice")).map((record) => record.id)).toEqual([idOf(third), idOf(second)]);
  });

  it("does not sign out another session when a signed-in user logs in again at the limit", async () => {
    const h = setup({ policy: { maxSessionsPerUser: 2 } });
    const laptop = await loggedIn(h, "alice");
    h.clock.advance(SECOND);
    const phone = await loggedIn(h, "alice");
    h.clock.advance(SECOND);
    const session = await h.manager.load(phone, { userAgent: FIREFOX });
    session.login("alice");
    const again = tokenOf(h.manager, await h.manager.commit(session));
    expect(eventsOf(h.events, "limit_evicted")).toEqual([]);
    expect(await isAlive(h, laptop)).toBe(true);
    expect(await isAlive(h, phone)).toBe(false);
    expect(await isAlive(h, again)).toBe(true);
  });

  it("still applies the limit when another user's session logs in", async () => {
    const h = setup({ policy: { maxSessionsPerUser: 1 } });
    const alice = await loggedIn(h, "alice");
    const bob = await loggedIn(h, "bob");
    const session = await h.manager.load(bob, { userAgent: FIREFOX });
    session.login("alice");
    const switched = tokenOf(h.manager, await h.manager.commit(session));
    expect(eventsOf(h.events, "limit_evicted")).toMatchObject([{ sessionId: idOf(alice), userId: "alice" }]);
    expect(await isAlive(h, alice)).toBe(false);
    expect(await isAlive(h, switched)).toBe(true);
  });

  it("counts each user apart and never counts anonymous sessions", async () => {
    const h = setup({ policy: { maxSessionsPerUser: 1 } });
    const alice = await loggedIn(h, "alice");
    const bob = await loggedIn(h, "bob");
    const visitors = [await anonymousSession(h), await anonymousSession(h)];
    expect(eventsOf(h.events, "limit_evicted")).toEqual([]);
    for (const token of [alice, bob, ...visitors]) expect(await isAlive(h, token)).toBe(true);
  });

  it("does not sign out another session when one at the limit rotates", async () => {
    const h = setup({ policy: { maxSessionsPerUser: 2 } });
    const laptop = await loggedIn(h, "alice");
    h.clock.advance(SECOND);
    const phone = await loggedIn(h, "alice");
    h.clock.advance(SECOND);
    const session = await h.manager.load(phone, { userAgent: FIREFOX });
    session.rotate();
    const rotated = tokenOf(h.manager, await h.manager.commit(session));
    expect(eventsOf(h.events, "limit_evicted")).toEqual([]);
    expect(await isAlive(h, laptop)).toBe(true);
    expect(await isAlive(h, rotated)).toBe(true);
    expect(await h.control.list("alice")).toHaveLength(2);
  });
});

describe("SessionManager revocation", () => {
  it("revokeOwned refuses another user's session with NotFoundError and leaves it alone", async () => {
    const h = setup();
    const alice = await loggedIn(h, "alice");
    await expect(h.control.revokeOwned("bob", idOf(alice))).rejects.toBeInstanceOf(NotFoundError);
    await expect(h.control.revokeOwned("bob", "unknown-id")).rejects.toBeInstanceOf(NotFoundError);
    expect(await isAlive(h, alice)).toBe(true);
    expect(eventsOf(h.events, "revoked")).toEqual([]);
  });

  it("revokeOwned ends the user's own session with reason revoked", async () => {
    const h = setup();
    const alice = await loggedIn(h, "alice");
    await h.control.revokeOwned("alice", idOf(alice));
    expect(await isAlive(h, alice)).toBe(false);
    expect(eventsOf(h.events, "revoked")).toMatchObject([
      { sessionId: idOf(alice), userId: "alice", reason: "revoked" },
    ]);
  });

  it("revoke is false and silent for an unknown id", async () => {
    const h = setup();
    expect(await h.control.revoke("unknown-id")).toBe(false);
    expect(h.events).toEqual([]);
  });

  it("revokeUser ends every session of the user except the current one", async () => {
    const h = setup();
    const current = await loggedIn(h, "alice");
    const others = [await loggedIn(h, "alice"), await loggedIn(h, "alice")];
    const bob = await loggedIn(h, "bob");
    const ids = await h.control.revokeUser("alice", { except: idOf(current) });
    expect(ids.sort()).toEqual(others.map(idOf).sort());
    expect(await isAlive(h, current)).toBe(true);
    for (const token of others) expect(await isAlive(h, token)).toBe(false);
    expect(await isAlive(h, bob)).toBe(true);
    expect(eventsOf(h.events, "revoked").map((event) => event.reason)).toEqual(["revoked_all", "revoked_all"]);
  });

  it("revokeUser without except ends them all", async () => {
    const h = setup();
    const tokens = [await loggedIn(h, "alice"), await loggedIn(h, "alice")];
    expect(await h.control.revokeUser("alice")).toHaveLength(2);
    for (const token of tokens) expect(await isAlive(h, token)).toBe(false);
  });
});

describe("cleanup in batches", () => {
  it("deletes expired sessions in batches and keeps the live ones", async () => {
    const h = setup({ policy: { idleTimeout: "1h", absoluteTimeout: "1h" } });
    for (let i = 0; i < 5; i++) await anonymousSession(h);
    h.clock.advance(2 * HOUR);
    const live = await anonymousSession(h);
    h.store.reset();
    expect(await deleteExpiredInBatches(h.store, () => h.clock.now(), { batchSize: 2 })).toBe(5);
    // Batches of 2, 2 and 1: a short batch means nothing is left.
    expect(h.store.calls.deleteExpired).toBe(3);
    expect(await isAlive(h, live)).toBe(true);
    expect(await h.store.count?.(h.clock.now())).toBe(1);
  });

  it("stops after maxBatches", async () => {
    const h = setup({ policy: { idleTimeout: "1h", absoluteTimeout: "1h" } });
    for (let i = 0; i < 5; i++) await anonymousSession(h);
    h.clock.advance(2 * HOUR);
    const now = () => h.clock.now();
    expect(await deleteExpiredInBatches(h.store, now, { batchSize: 2, maxBatches: 1 })).toBe(2);
    expect(await deleteExpiredInBatches(h.store, now, { batchSize: 2 })).toBe(3);
  });
});

describe("SessionManager fingerprint", () => {
  it("reports a different User-Agent as suspicious and keeps the session", async () => {
    const h = setup();
    const token = await loggedIn(h, "alice", { userAgent: FIREFOX });
    h.store.reset();
    const session = await h.manager.load(token, { userAgent: CHROME });
    expect(session.isNew).toBe(false);
    expect(eventsOf(h.events, "suspicious")).toEqual([
      { type: "suspicious", at: h.clock.now(), sessionId: idOf(token), userId: "alice", reason: "user_agent_changed" },
    ]);
    expect(h.store.writes()).toBe(0);
  });

  it("ends the session on a different User-Agent with bindUserAgent", async () => {
    const h = setup({ fingerprint: { bindUserAgent: true } });
    const token = await loggedIn(h, "alice", { userAgent: FIREFOX });
    const session = await h.manager.load(token, { userAgent: CHROME });
    expect(session.isNew).toBe(true);
    expect(session.presentedInvalidToken).toBe(true);
    expect(eventsOf(h.events, "revoked")).toMatchObject([{ sessionId: idOf(token), reason: "fingerprint" }]);
    expect(await stored(h, token)).toBeNull();
    expect((await h.manager.commit(session)).setCookies).toEqual([h.manager.cookie.clear()]);
  });

  it("reports nothing for the same User-Agent, however long", async () => {
    const long = `${FIREFOX} ${"x".repeat(600)}`;
    const h = setup({ fingerprint: { bindUserAgent: true } });
    const token = await loggedIn(h, "alice", { userAgent: long });
    expect((await h.manager.load(token, { userAgent: long })).isNew).toBe(false);
    const short = await loggedIn(h, "bob", { userAgent: FIREFOX });
    expect((await h.manager.load(short, { userAgent: FIREFOX })).isNew).toBe(false);
    expect(eventsOf(h.events, "suspicious")).toEqual([]);
  });

  it("with network on, reports a move to another network and keeps the session", async () => {
    const h = setup({ fingerprint: { network: true } });
    const session = await h.manager.load(null, { userAgent: FIREFOX, ip: "203.0.113.7" });
    session.login("alice");
    const token = tokenOf(h.manager, await h.manager.commit(session));
    expect((await h.manager.load(token, { userAgent: FIREFOX, ip: "203.0.113.99" })).isNew).toBe(false);
    expect(eventsOf(h.events, "suspicious")).toEqual([]);
    expect((await h.manager.load(token, { userAgent: FIREFOX, ip: "198.51.100.1" })).isNew).toBe(false);
    expect((await h.manager.load(token, { userAgent: FIREFOX, ip: "not an address" })).isNew).toBe(false);
    expect(eventsOf(h.events, "suspicious").map((event) => event.reason)).toEqual([
      "network_changed",
      "network_changed",
    ]);
  });

  it("with network off, ignores the address", async () => {
    const h = setup();
    const session = await h.manager.load(null, { userAgent: FIREFOX, ip: "203.0.113.7" });
    session.login("alice");
    const token = tokenOf(h.manager, await h.manager.commit(session));
    await h.manager.load(token, { userAgent: FIREFOX, ip: "198.51.100.1" });
    expect(eventsOf(h.events, "suspicious")).toEqual([]);
  });
});

describe("SessionManager schema", () => {
  const schema = z.object({ count: z.number() });

  it("replaces invalid stored data with the defaults and emits data_invalid", async () => {
    const clock = new FakeClock();
    const store = countingStore(memoryStore());
    const writer = setup({}, { store, clock });
    const reader = setup({ schema, defaults: { count: 0 } }, { store, clock });
    const token = await anonymousSession(writer, { count: "three", other: "x" });
    const session = await reader.manager.load(token, { userAgent: FIREFOX });
    expect(session.isNew).toBe(false);
    expect(session.data()).toEqual({ count: 0 });
    const [invalid] = eventsOf(reader.events, "data_invalid");
    expect(invalid?.sessionId).toBe(idOf(token));
    expect(invalid?.issues[0]).toMatch(/^count: /);
  });

  it("keeps valid stored data, including keys the schema does not know", async () => {
    const clock = new FakeClock();
    const store = countingStore(memoryStore());
    const writer = setup({}, { store, clock });
    const reader = setup({ schema, defaults: { count: 0 } }, { store, clock });
    const token = await anonymousSession(writer, { count: 3, newerKey: true });
    const session = await reader.manager.load(token, { userAgent: FIREFOX });
    expect(session.data()).toEqual({ count: 3, newerKey: true });
    expect(eventsOf(reader.events, "data_invalid")).toEqual([]);
  });
});

describe("SessionManager CSRF", () => {
  it("has no CSRF token for a session that is not stored", async () => {
    const h = setup();
    const session = await h.manager.load(null);
    expect(() => h.manager.csrfToken(session)).toThrow(NoSessionError);
    expect(h.manager.verifyCsrf(session, "anything")).toBe(false);
  });

  it("verifies a stored session's own token and refuses another session's", async () => {
    const h = setup();
    const mine = await h.manager.load(await anonymousSession(h), { userAgent: FIREFOX });
    const theirs = await h.manager.load(await anonymousSession(h), { userAgent: FIREFOX });
    expect(h.manager.verifyCsrf(mine, h.manager.csrfToken(mine))).toBe(true);
    expect(h.manager.verifyCsrf(mine, h.manager.csrfToken(theirs))).toBe(false);
    expect(h.manager.verifyCsrf(mine, undefined)).toBe(false);
  });
});
