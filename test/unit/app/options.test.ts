import { createStint, memoryStore, type Stint, type StintEvent } from "stint";
import { afterEach, describe, expect, it, vi } from "vitest";
import { cookieAttributes } from "../../support/browser.js";
import { FakeClock, HOUR } from "../../support/fake-clock.js";

const secret = "options-test-secret-0123456789abcdefghijk";
const opened: Stint[] = [];
const open = (options: Omit<Parameters<typeof createStint>[0], "secret" | "store"> = {}) => {
  const stint = createStint({ store: memoryStore(), secret, ...options });
  opened.push(stint);
  return stint;
};
afterEach(async () => {
  await Promise.all(opened.splice(0).map((stint) => stint.close()));
});

describe("cookie settings", () => {
  it("name, domain, SameSite and path shape every Set-Cookie, and the API reads the cookie by that name", async () => {
    const stint = open({ cookie: { name: "shop_sid", domain: "shop.example", sameSite: "strict", path: "/" } });
    const answer = await stint.handler(new Request("http://shop.example/api/session/csrf-token"));
    const [line] = answer.headers.getSetCookie();
    expect(line?.startsWith("shop_sid=")).toBe(true);
    expect(cookieAttributes(line as string)).toMatchObject({ domain: "shop.example", samesite: "Strict", path: "/" });
    const cookie = (line as string).split(";")[0] as string;
    const session = await stint.handler(new Request("http://shop.example/api/session", { headers: { cookie } }));
    expect(session.status).toBe(200);
    const other = await stint.handler(
      new Request("http://shop.example/api/session", {
        headers: { cookie: cookie.replace("shop_sid", "stint_session") },
      }),
    );
    expect(other.status).toBe(401);
  });

  it("secure cookies default to the __Host- name, and a custom name is kept as given", async () => {
    const secure = await open({ secure: true }).handler(new Request("https://app.test/api/session/csrf-token"));
    expect(secure.headers.getSetCookie()[0]).toMatch(/^__Host-stint_session=.*; Secure/);
    const named = await open({ secure: true, cookie: { name: "app" } }).handler(
      new Request("https://app.test/api/session/csrf-token"),
    );
    expect(named.headers.getSetCookie()[0]).toMatch(/^app=/);
  });

  it.each([
    ["SameSite=None without Secure", { sameSite: "none" as const }, false, /SameSite=None requires Secure/],
    ["a __Host- name with a Domain", { name: "__Host-sid", domain: "app.test" }, true, /must not have a Domain/],
    ["a __Host- name with another Path", { name: "__Host-sid", path: "/app" }, true, /requires Path=\//],
    ["a __Secure- name without Secure", { name: "__Secure-sid" }, false, /requires Secure/],
    ["an unknown SameSite", { sameSite: "sometimes" as "lax" }, false, /sameSite must be/],
    ["a name that is no cookie token", { name: "my sid" }, false, /Invalid cookie name/],
  ])("refuses %s when Stint is created, not when the first cookie is lost", (_, cookie, secure, message) => {
    expect(() => createStint({ store: memoryStore(), secret, secure, cookie })).toThrow(message);
  });
});

describe("cleanup by itself", () => {
  it("deletes expired sessions every cleanupInterval, and stops with close()", async () => {
    vi.useFakeTimers({ toFake: ["setInterval", "clearInterval"] });
    try {
      const clock = new FakeClock();
      const store = memoryStore();
      const stint = createStint({ store, secret, clock, idleTimeout: "1h", cleanupInterval: "10m" });
      const cleanups: StintEvent[] = [];
      stint.events.on("cleanup", (event) => cleanups.push(event));
      for (let i = 0; i < 3; i++) await stint.handler(new Request("http://app.test/api/session/csrf-token"));
      expect(await store.count(clock.now())).toBe(3);
      clock.advance(2 * HOUR);

      await vi.advanceTimersByTimeAsync(10 * 60_000);
      await vi.waitFor(() => expect(cleanups).toHaveLength(1));
      expect(cleanups[0]).toMatchObject({ deleted: 3 });
      expect(await store.scan({ limit: 10, now: 0 })).toEqual([]);

      await stint.close();
      await vi.advanceTimersByTimeAsync(60 * 60_000);
      expect(cleanups).toHaveLength(1);
    } finally {
      vi.useRealTimers();
    }
  });

  it("cleanupInterval 0 turns it off", async () => {
    vi.useFakeTimers({ toFake: ["setInterval", "clearInterval"] });
    try {
      const stint = open({ cleanupInterval: 0 });
      const cleanups: StintEvent[] = [];
      stint.events.on("cleanup", (event) => cleanups.push(event));
      await vi.advanceTimersByTimeAsync(24 * HOUR);
      expect(cleanups).toEqual([]);
    } finally {
      vi.useRealTimers();
    }
  });
});

describe("the admin API's options", () => {
  const path = "http://app.test/api/admin/users/u_1/sessions";

  it("refuses a short admin token, and both a token and a hook, at start", () => {
    expect(() => open({ adminToken: "short" })).toThrow(/at least 32 characters/);
    expect(() => open({ adminToken: "x".repeat(40), authorizeAdmin: () => true })).toThrow(/not both/);
  });

  it("authorizeAdmin decides from the request's headers; it never sees the body", async () => {
    const seen: Array<{ operator: string | null; body: ReadableStream | null }> = [];
    const stint = open({
      authorizeAdmin: (request) => {
        seen.push({ operator: request.headers.get("x-operator"), body: request.body });
        return request.headers.get("x-operator") === "ops-1";
      },
    });
    const allowed = await stint.handler(new Request(path, { headers: { "x-operator": "ops-1" } }), { ip: "10.0.0.1" });
    expect(allowed.status).toBe(200);
    expect(await allowed.json()).toEqual({ sessions: [] });
    const refused = await stint.handler(new Request(path), { ip: "10.0.0.1" });
    expect(refused.status).toBe(401);
    const patch = await stint.handler(
      new Request("http://app.test/api/admin/sessions/nope/state", {
        method: "PATCH",
        headers: { "x-operator": "ops-1", "content-type": "application/json" },
        body: JSON.stringify({ set: { a: 1 } }),
      }),
    );
    expect(patch.status).toBe(404);
    expect(seen.map((entry) => entry.operator)).toEqual(["ops-1", null, "ops-1"]);
    expect(seen.every((entry) => entry.body === null)).toBe(true);
  });
});

describe("stint.load for app routes", () => {
  it("takes the Cookie header alone, or both headers; a cookie and a bearer token at once is a BadRequestError", async () => {
    const stint = open();
    const issued = await stint.load({ authorization: "Bearer " });
    expect(issued.transport).toBe("bearer");
    issued.login("u_1");
    expect(await stint.commit(issued)).toEqual([]);
    const token = issued.issuedToken as string;
    const again = await stint.load({ authorization: `Bearer ${token}` });
    expect([again.userId, again.transport]).toEqual(["u_1", "bearer"]);
    expect((await stint.load({ cookie: `stint_session=${token}` })).isNew).toBe(true);
    expect((await stint.load(`stint_session=${token}`)).isNew).toBe(true);
    await expect(
      stint.load({ cookie: "stint_session=abc.def", authorization: `Bearer ${token}` }),
    ).rejects.toMatchObject({ code: "bad_request" });
    // Another app's cookie beside a bearer token is no conflict.
    expect((await stint.load({ cookie: "theme=dark", authorization: `Bearer ${token}` })).userId).toBe("u_1");
  });
});
