import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createStint, type Stint } from "../../../src/app/stint.js";
import { memoryStore } from "../../../src/stores/memory.js";
import { type Answer, cookieAttributes, TestBrowser } from "../../support/browser.js";
import { FakeClock, MINUTE } from "../../support/fake-clock.js";

/**
 * An app on one framework, over a real socket, with the same routes everywhere:
 * - GET /me (requireSession): 200 `{ userId, visits }`
 * - POST /visit (requireCsrf): `visits` + 1, and the app's own cookie `app=1`
 * - POST /login (requireCsrf): `session.login(body.user)`
 * - POST /logout (requireCsrf): `session.destroy()`, 204
 * - POST /clear (requireCsrf): `session.clear()`, 204
 * - POST /fail (requireCsrf): sets `visits` to 999, then throws (500)
 * and Stint's API, behind a middleware that already reads JSON and form bodies where the
 * framework lets one (Express's parsers, a Hono middleware).
 */
export type AppHost = (stint: Stint) => Promise<{ baseUrl: string; close(): Promise<void> }>;

const SECRET = "adapter-secret-0123456789abcdefghijklmnopqrstuvwxyz";

/** What each adapter must do for the app's own routes: the same answers on every framework. */
export function describeAppRoutes(name: string, host: AppHost): void {
  describe(`app routes (${name})`, () => {
    let clock: FakeClock;
    let stint: Stint;
    let requests: Request[];
    let served: { baseUrl: string; close(): Promise<void> };
    let target: { baseUrl: string; fetch: (request: Request) => Promise<Response> };

    beforeEach(async () => {
      clock = new FakeClock();
      stint = createStint({ store: memoryStore(), secret: SECRET, clock, idleTimeout: 30 * MINUTE });
      requests = [];
      // Every Web Request an adapter hands to Stint, to see what it carried and when it ended.
      const spied: Stint = {
        ...stint,
        handler: (request, connection) => {
          requests.push(request);
          return stint.handler(request, connection);
        },
      };
      served = await host(spied);
      target = { baseUrl: served.baseUrl, fetch: (request) => fetch(request) };
    });
    afterEach(async () => {
      await served.close();
      await stint.close();
    });

    function expectError(answer: Answer, status: number, code: string): void {
      expect(answer.status).toBe(status);
      expect(answer.body?.error?.code).toBe(code);
      expect(answer.headers.get("cache-control")).toBe("no-store");
    }

    async function signedIn(user = "alice"): Promise<TestBrowser> {
      const client = new TestBrowser(target);
      await client.get("/api/session/csrf-token");
      expect((await client.post("/login", { user })).status).toBe(200);
      // Login issues a new id, and with it a new CSRF token.
      expect((await client.get("/api/session")).status).toBe(200);
      return client;
    }

    it("requireSession answers API.md's 401 no_session without a session", async () => {
      const answer = await new TestBrowser(target).get("/me");
      expectError(answer, 401, "no_session");
    });

    it("a write on an app route creates the session, and the app's own Set-Cookie survives beside Stint's", async () => {
      const client = new TestBrowser(target);
      const answer = await client.post("/visit", {});
      expect(answer.status).toBe(200);
      expect(answer.body).toEqual({ visits: 1 });
      expect(answer.setCookies.some((line) => line.startsWith("stint_session="))).toBe(true);
      expect(answer.setCookies.some((line) => line.startsWith("app=1"))).toBe(true);
      const me = await client.get("/me");
      expect(me.status).toBe(200);
      expect(me.body).toEqual({ userId: null, visits: 1 });
    });

    it("requireCsrf refuses a missing token and another origin, and takes the header or the csrf_token field", async () => {
      const client = new TestBrowser(target);
      const { csrfToken } = (await client.get("/api/session/csrf-token")).body;
      expectError(await client.post("/visit", {}, { csrf: false }), 403, "csrf_invalid");
      expectError(await client.post("/visit", {}, { origin: "https://evil.example" }), 403, "origin_mismatch");
      expect((await client.post("/visit", {})).status).toBe(200);
      expect((await client.post("/visit", { csrf_token: csrfToken }, { csrf: false })).body).toEqual({ visits: 2 });
    });

    it("login on an app route issues a new token, and the one held before stops working", async () => {
      const client = new TestBrowser(target);
      await client.get("/api/session/csrf-token");
      const before = client.token()!;
      const login = await client.post("/login", { user: "alice" });
      expect(login.status).toBe(200);
      expect(client.token()).not.toBe(before);
      expect((await client.get("/me")).body).toEqual({ userId: "alice", visits: 0 });
      const replay = new TestBrowser(target);
      replay.cookies.set("stint_session", before);
      expectError(await replay.get("/me"), 401, "no_session");
    });

    it("logout on an app route clears the cookie and ends the session", async () => {
      const client = await signedIn();
      const token = client.token()!;
      const answer = await client.post("/logout", {});
      expect(answer.status).toBe(204);
      expect(answer.setCookies.some((line) => cookieAttributes(line)["max-age"] === "0")).toBe(true);
      const replay = new TestBrowser(target);
      replay.cookies.set("stint_session", token);
      expectError(await replay.get("/me"), 401, "no_session");
    });

    it("session.clear() removes every data and state key as a patch; the session and its user stay", async () => {
      const client = await signedIn();
      await client.post("/visit", {});
      await client.patch("/api/session/state", { set: { theme: "dark", workspace: "acme" } });
      const before = (await client.get("/api/session/state")).body.version;
      const answer = await client.post("/clear", {});
      expect(answer.status).toBe(204);
      expect(answer.setCookies.filter((line) => line.startsWith("stint_session="))).toEqual([]);
      expect((await client.get("/me")).body).toEqual({ userId: "alice", visits: 0 });
      const state = (await client.get("/api/session/state")).body;
      expect(state.state).toEqual({});
      expect(state.version).toBe(before + 1);
    });

    it("a bearer token loads the session on app routes, where requireCsrf does not apply to it", async () => {
      // The library's own way to hand out a bearer token: a session loaded as bearer, signed in.
      const issued = await stint.load({ authorization: "Bearer " });
      issued.login("robot");
      expect(await stint.commit(issued)).toEqual([]);
      const token = issued.issuedToken!;
      expect(token).toMatch(/^[\w-]+\.[\w-]+$/);
      const tool = new TestBrowser(target, "Tool/1.0");
      const auth = { headers: { authorization: `Bearer ${token}` }, csrf: false, origin: "https://elsewhere.example" };
      expect((await tool.get("/me", auth)).body).toEqual({ userId: "robot", visits: 0 });
      const visit = await tool.post("/visit", {}, auth);
      expect(visit.status).toBe(200);
      expect(visit.setCookies.some((line) => line.startsWith("stint_session="))).toBe(false);
      expect((await tool.get("/me", auth)).body).toEqual({ userId: "robot", visits: 1 });
      expectError(await tool.get("/me", { headers: { authorization: "Bearer nope" } }), 401, "no_session");
      // The token is no cookie, and a cookie's token is no bearer token.
      const inCookie = new TestBrowser(target);
      inCookie.cookies.set("stint_session", token);
      expectError(await inCookie.get("/me"), 401, "no_session");
      const browser = await signedIn();
      expectError(
        await tool.get("/me", { headers: { authorization: `Bearer ${browser.token()}` } }),
        401,
        "no_session",
      );
    });

    it("a handler that fails saves nothing", async () => {
      const client = await signedIn();
      await client.post("/visit", {});
      expect((await client.post("/fail", {})).status).toBe(500);
      expect((await client.get("/me")).body).toEqual({ userId: "alice", visits: 1 });
    });

    it("app routes count as activity", async () => {
      const client = await signedIn();
      clock.advance(20 * MINUTE);
      expect((await client.get("/me")).status).toBe(200);
      clock.advance(20 * MINUTE);
      expect((await client.get("/me")).status).toBe(200);
      clock.advance(31 * MINUTE);
      expectError(await client.get("/me"), 401, "no_session");
    });

    it("Stint's routes get a body the app already read, JSON or form", async () => {
      const client = await signedIn();
      const patched = await client.patch("/api/session/state", { set: { theme: "dark" } });
      expect(patched.body.state).toEqual({ theme: "dark" });
      const form = await client.send("POST", "/api/session/extend", {
        form: { _csrf: client.csrfToken! },
        csrf: false,
      });
      expect(form.status).toBe(200);
    });

    it("aborts the Web request when the client disconnects from the event stream", async () => {
      const client = await signedIn();
      const abort = new AbortController();
      const response = await fetch(new URL("/api/session/events", served.baseUrl), {
        headers: { cookie: client.cookieHeader },
        signal: abort.signal,
      });
      expect(response.status).toBe(200);
      const request = requests.at(-1)!;
      expect(new URL(request.url).pathname).toBe("/api/session/events");
      expect(request.signal.aborted).toBe(false);
      abort.abort();
      await expect.poll(() => request.signal.aborted, { timeout: 2_000 }).toBe(true);
    });
  });
}
