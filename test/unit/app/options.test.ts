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
