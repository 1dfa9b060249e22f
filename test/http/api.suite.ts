import { readFileSync } from "node:fs";
import Database from "better-sqlite3";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  type ApiTarget,
  type Host,
  isLocal,
  isPersistent,
  startTarget,
  TEST_ADMIN_TOKEN,
  TEST_POLICY,
} from "../support/api-target.js";
import { type Answer, cookieAttributes, type SendOptions, TestBrowser } from "../support/browser.js";
import { openEventStream } from "../support/event-stream.js";
import { MINUTE, SECOND } from "../support/fake-clock.js";

const PASSWORD = "correct horse battery";
const COOKIE = "stint_session";

/**
 * API.md, driven from outside through `fetch`-style requests. The same suite runs against the
 * bare handler and every adapter over real sockets: each host calls it once.
 */
export function describeApi(name: string, host: Host): void {
  describe(`HTTP API (${name})`, () => {
    let target: ApiTarget;
    let seen: Answer[];
    let users = 0;

    beforeEach(async () => {
      target = await startTarget(host);
      seen = [];
    });
    afterEach(async () => {
      assertNoTokenLeaked();
      assertBearerTokensStayPut();
      await target.close();
    });

    /** A browser whose every answer is kept, to check afterwards that no token leaked. */
    function browser(userAgent?: string): TestBrowser {
      const client = new TestBrowser(target, userAgent);
      const send = client.send.bind(client);
      client.send = async (...args) => {
        const answer = await send(...args);
        seen.push(answer);
        return answer;
      };
      tokens.push(client);
      return client;
    }
    const tokens: TestBrowser[] = [];

    function assertNoTokenLeaked(): void {
      const secrets = new Set<string>();
      for (const client of tokens.splice(0)) {
        for (const answer of seen) {
          for (const line of answer.setCookies) {
            const value = line.split(";")[0]?.split("=")[1] ?? "";
            if (value.includes(".")) secrets.add(value.split(".")[1] ?? "");
          }
        }
        const token = client.token();
        if (token) secrets.add(token.split(".")[1] ?? "");
      }
      secrets.delete("");
      for (const secret of secrets) {
        for (const answer of seen) expect(answer.text).not.toContain(secret);
        for (const line of target.logLines) expect(line).not.toContain(secret);
      }
    }

    async function signUp(client = browser(), username = `user${++users}_${Date.now() % 100000}`) {
      const answer = await client.post("/api/auth/register", { username, password: PASSWORD });
      expect(answer.status).toBe(201);
      return { client, username, info: answer.body };
    }

    async function signIn(username: string, client = browser(), remember = false) {
      const answer = await client.post("/api/auth/login", { username, password: PASSWORD, remember });
      expect(answer.status).toBe(200);
      return { client, answer };
    }

    /** Bearer sign-ins, each with the one answer allowed to carry its token. */
    const bearerAnswers: Answer[] = [];

    function remember(answer: Answer): void {
      bearerAnswers.push(answer);
    }

    /** A bearer token appears in the body of the sign-in that issued it, and nowhere else. */
    function assertBearerTokensStayPut(): void {
      for (const issued of bearerAnswers.splice(0)) {
        const secret = String(issued.body?.token ?? "").split(".")[1];
        if (!secret) continue;
        for (const answer of seen) if (answer !== issued) expect(answer.text).not.toContain(secret);
        for (const line of target.logLines) expect(line).not.toContain(secret);
      }
    }

    /** A non-browser client (a CLI, a mobile app): no cookies, no Origin. */
    function bearerClient(): TestBrowser {
      return browser("Tool/1.0");
    }

    /** Options that send `token` as `Authorization: Bearer`, with no CSRF token and no Origin. */
    function withToken(token: string): SendOptions {
      return { headers: { authorization: `Bearer ${token}` }, csrf: false, origin: null };
    }

    async function bearerSignUp(username = `tool${++users}_${Date.now() % 100000}`) {
      const answer = await bearerClient().post(
        "/api/auth/register",
        { username, password: PASSWORD },
        { headers: { "x-stint-transport": "bearer" }, origin: null },
      );
      expect(answer.status).toBe(201);
      remember(answer);
      return { answer, username, token: answer.body.token as string };
    }

    async function bearerSignIn(username: string) {
      const answer = await bearerClient().post(
        "/api/auth/login",
        { username, password: PASSWORD },
        { headers: { "x-stint-transport": "bearer" }, origin: null },
      );
      expect(answer.status).toBe(200);
      remember(answer);
      return { answer, token: answer.body.token as string };
    }

    function expectError(answer: Answer, status: number, code: string): void {
      expect(answer.status).toBe(status);
      expect(answer.body?.error?.code).toBe(code);
      expect(typeof answer.body?.error?.message).toBe("string");
      expect(answer.headers.get("cache-control")).toBe("no-store");
    }

    describe("session info and anonymous sessions", () => {
      it("answers 401 no_session without a cookie, and stores nothing", async () => {
        const client = browser();
        expectError(await client.get("/api/session"), 401, "no_session");
        const health = await client.get("/api/health");
        expect(health.body.sessions.active).toBe(0);
      });

      it("creates an anonymous session for a CSRF token, with the cookie attributes of API.md", async () => {
        const client = browser();
        const answer = await client.get("/api/session/csrf-token");
        expect(answer.status).toBe(200);
        expect(typeof answer.body.csrfToken).toBe("string");
        expect(answer.setCookies).toHaveLength(1);
        const line = answer.setCookies[0]!;
        expect(line.startsWith(`${COOKIE}=`)).toBe(true);
        const attributes = cookieAttributes(line);
        expect(attributes.httponly).toBe(true);
        expect(attributes.path).toBe("/");
        expect(attributes.samesite).toBe("Lax");
        expect(attributes["max-age"]).toBeUndefined();
        expect(attributes.secure).toBeUndefined();
        const token = client.token()!;
        const [id, secret] = token.split(".");
        expect(Buffer.from(id!, "base64url").length).toBeGreaterThanOrEqual(12);
        expect(Buffer.from(secret!, "base64url").length).toBeGreaterThanOrEqual(16);

        const info = await client.get("/api/session");
        expect(info.status).toBe(200);
        expect(info.body.session.userId).toBeNull();
        expect(info.body.user).toBeNull();
        expect(info.body.session.authenticatedAt).toBeNull();
        expect(info.body.session.id).toBe(id);
        expect(info.body.csrfToken).toBe(answer.body.csrfToken);
        expect(info.setCookies).toHaveLength(0);
      });

      it("gives the same CSRF token again for an existing session", async () => {
        const client = browser();
        const first = await client.get("/api/session/csrf-token");
        const second = await client.get("/api/session/csrf-token");
        expect(second.body.csrfToken).toBe(first.body.csrfToken);
        expect(second.setCookies).toHaveLength(0);
      });

      it("never adopts a token the server did not issue", async () => {
        const client = browser();
        client.cookies.set(COOKIE, `${"A".repeat(22)}.${"B".repeat(43)}`);
        const answer = await client.get("/api/session");
        expectError(answer, 401, "no_session");
        expect(answer.setCookies.some((line) => cookieAttributes(line)["max-age"] === "0")).toBe(true);
        const created = await client.get("/api/session/csrf-token");
        expect(client.token()?.startsWith("AAAA")).toBe(false);
        expect(created.status).toBe(200);
      });

      it("refuses a right id with a wrong secret", async () => {
        const client = browser();
        await client.get("/api/session/csrf-token");
        const [id] = client.token()!.split(".");
        const forger = browser();
        forger.cookies.set(COOKIE, `${id}.${"x".repeat(43)}`);
        expectError(await forger.get("/api/session"), 401, "no_session");
        expect((await client.get("/api/session")).status).toBe(200);
      });

      it("answers every API response with Cache-Control: no-store", async () => {
        const client = browser();
        for (const path of ["/api/session", "/api/session/csrf-token", "/api/health", "/api/nope"]) {
          expect((await client.get(path)).headers.get("cache-control")).toBe("no-store");
        }
      });

      it("answers 404 not_found for an unknown route", async () => {
        expectError(await browser().get("/api/nothing-here"), 404, "not_found");
      });

      it("answers 405 method_not_allowed with Allow for a wrong method on a known path, changing nothing", async () => {
        const { client } = await signUp();
        const cases: Array<[string, string, string]> = [
          ["PUT", "/api/session", "GET, HEAD, DELETE"],
          ["POST", "/api/session/state", "GET, HEAD, PATCH"],
          ["GET", "/api/session/extend", "POST"],
          ["OPTIONS", "/api/sessions/some-id", "DELETE"],
          ["PATCH", "/api/health", "GET, HEAD"],
        ];
        for (const [method, path, allow] of cases) {
          const answer = await client.send(method, path, method === "GET" ? {} : { json: { set: { a: 1 } } });
          expectError(answer, 405, "method_not_allowed");
          expect(answer.headers.get("allow")).toBe(allow);
          expect(answer.setCookies).toEqual([]);
        }
        expectError(await client.send("PUT", "/api/no-such-path"), 404, "not_found");
        expect((await client.get("/api/session")).status).toBe(200);
        expect((await client.get("/api/session/state")).body.state).toEqual({});
      });
    });

    describe("accounts", () => {
      it("registers and signs in with a fresh session (201 SessionInfo)", async () => {
        const { info, username } = await signUp();
        expect(info.user.username).toBe(username);
        expect(info.user.id).toMatch(/^u_/);
        expect(info.session.userId).toBe(info.user.id);
        expect(typeof info.session.authenticatedAt).toBe("string");
        expect(info.session.persistent).toBe(false);
        for (const key of ["createdAt", "lastSeenAt", "expiresAt", "absoluteExpiresAt"]) {
          expect(new Date(info.session[key]).toISOString()).toBe(info.session[key]);
        }
        expect(info.session.remainingSeconds).toBe(TEST_POLICY.idleTimeout / 1000);
      });

      it("answers 409 username_taken, ignoring case", async () => {
        const { username } = await signUp();
        const answer = await browser().post("/api/auth/register", {
          username: username.toUpperCase(),
          password: PASSWORD,
        });
        expectError(answer, 409, "username_taken");
      });

      it("validates usernames and passwords with 400 bad_request", async () => {
        const client = browser();
        expectError(
          await client.post("/api/auth/register", { username: "ab", password: PASSWORD }),
          400,
          "bad_request",
        );
        expectError(
          await client.post("/api/auth/register", { username: "a b c", password: PASSWORD }),
          400,
          "bad_request",
        );
        expectError(
          await client.post("/api/auth/register", { username: "valid_name", password: "short" }),
          400,
          "bad_request",
        );
        expectError(
          await client.post("/api/auth/register", { username: "valid_name", password: "x".repeat(257) }),
          400,
          "bad_request",
        );
        expectError(await client.post("/api/auth/register", { username: 42, password: PASSWORD }), 400, "bad_request");
        expectError(await client.post("/api/auth/login", { username: "valid_name" }), 400, "bad_request");
      });

      it("gives the same answer for an unknown user and a wrong password", async () => {
        const { username } = await signUp();
        const wrong = await browser().post("/api/auth/login", { username, password: "wrong password!" });
        const unknown = await browser().post("/api/auth/login", {
          username: "nobody_here",
          password: "wrong password!",
        });
        expectError(wrong, 401, "invalid_credentials");
        expect(unknown.status).toBe(wrong.status);
        expect(unknown.text).toBe(wrong.text);
      });

      it("rate-limits a username after 5 failures for 15 minutes, even with the right password", async () => {
        const { username } = await signUp();
        for (let i = 0; i < 5; i++) {
          expectError(
            await browser().post("/api/auth/login", { username, password: "wrong password!" }),
            401,
            "invalid_credentials",
          );
        }
        const limited = await browser().post("/api/auth/login", { username, password: PASSWORD });
        expectError(limited, 429, "rate_limited");
        const retryAfter = Number(limited.headers.get("retry-after"));
        expect(retryAfter).toBeGreaterThan(0);
        expect(retryAfter).toBeLessThanOrEqual(15 * 60);
        target.clock.advance(15 * MINUTE + SECOND);
        await signIn(username);
      });

      it("fixation: the token held before login stops working, server data and CSRF token do not carry over, state does", async () => {
        const client = browser();
        const before = await client.get("/api/session/csrf-token");
        const anonymousToken = client.token()!;
        const anonymousCsrf = before.body.csrfToken;
        expect((await client.patch("/api/session/state", { set: { theme: "dark" } })).status).toBe(200);
        const { username } = await signUp(browser());
        const login = await client.post("/api/auth/login", { username, password: PASSWORD });
        expect(login.status).toBe(200);
        expect(client.token()).not.toBe(anonymousToken);
        expect(login.body.csrfToken).not.toBe(anonymousCsrf);
        expect(login.body.session.id).not.toBe(anonymousToken.split(".")[0]);
        const state = await client.get("/api/session/state");
        expect(state.body.state).toEqual({ theme: "dark" });

        const attacker = browser();
        attacker.cookies.set(COOKIE, anonymousToken);
        expectError(await attacker.get("/api/session"), 401, "no_session");
        // The old CSRF token does not work with the new session.
        expectError(
          await client.post("/api/session/extend", {}, { headers: { "x-csrf-token": anonymousCsrf } }),
          403,
          "csrf_invalid",
        );
      });

      it("requires the CSRF token to sign in over an existing session (login CSRF)", async () => {
        const { username } = await signUp(browser());
        const client = browser();
        await client.get("/api/session/csrf-token");
        expectError(
          await client.post("/api/auth/login", { username, password: PASSWORD }, { csrf: false }),
          403,
          "csrf_invalid",
        );
        expect((await client.post("/api/auth/login", { username, password: PASSWORD })).status).toBe(200);
      });

      it("remember me gives a persistent cookie with Max-Age equal to the remaining lifetime", async () => {
        const { username } = await signUp();
        const { answer } = await signIn(username, browser(), true);
        const line = answer.setCookies.find((cookie) => cookie.startsWith(`${COOKIE}=`))!;
        expect(Number(cookieAttributes(line)["max-age"])).toBe(TEST_POLICY.rememberTimeout / 1000);
        expect(answer.body.session.persistent).toBe(true);
        const normal = await signIn(username, browser(), false);
        const normalLine = normal.answer.setCookies.find((cookie) => cookie.startsWith(`${COOKIE}=`))!;
        expect(cookieAttributes(normalLine)["max-age"]).toBeUndefined();
      });

      it("accepts a form-encoded login with the _csrf field", async () => {
        const { username } = await signUp(browser());
        const client = browser();
        const token = (await client.get("/api/session/csrf-token")).body.csrfToken;
        const answer = await client.send("POST", "/api/auth/login", {
          form: { username, password: PASSWORD, remember: "on", _csrf: token },
          csrf: false,
        });
        expect(answer.status).toBe(200);
        expect(answer.body.session.persistent).toBe(true);
      });
    });

    describe("logout and revocation", () => {
      it("logout answers 204, clears the cookie, and the token cannot be replayed", async () => {
        const { client } = await signUp();
        const token = client.token()!;
        const answer = await client.delete("/api/session");
        expect(answer.status).toBe(204);
        const clear = answer.setCookies.find((line) => line.startsWith(`${COOKIE}=`))!;
        expect(cookieAttributes(clear)["max-age"]).toBe("0");
        const replay = browser();
        replay.cookies.set(COOKIE, token);
        expectError(await replay.get("/api/session"), 401, "no_session");
        expectError(await replay.post("/api/session/extend", {}), 401, "no_session");
      });

      it("lists a user's sessions newest first with the current one marked", async () => {
        const { username, client } = await signUp();
        target.clock.advance(SECOND);
        const other = (await signIn(username, browser("Other/2.0"))).client;
        const list = await client.get("/api/sessions");
        expect(list.status).toBe(200);
        expect(list.body.sessions).toHaveLength(2);
        expect(list.body.sessions[0].userAgent).toBe("Other/2.0");
        expect(list.body.sessions[0].current).toBe(false);
        expect(list.body.sessions[1].current).toBe(true);
        for (const device of list.body.sessions) {
          expect(Object.keys(device).sort()).toEqual([
            "createdAt",
            "current",
            "expiresAt",
            "id",
            "ip",
            "lastSeenAt",
            "transport",
            "userAgent",
          ]);
        }
        expect((await other.get("/api/sessions")).body.sessions[0].current).toBe(true);
      });

      it("answers 401 for an anonymous session's device list, keeping its cookie and its session", async () => {
        const client = browser();
        await client.get("/api/session/csrf-token");
        await client.patch("/api/session/state", { set: { cart: ["apple"] } });
        const token = client.token();
        for (const [method, path] of [
          ["GET", "/api/sessions"],
          ["DELETE", "/api/sessions"],
          ["DELETE", "/api/sessions/some-id"],
        ] as const) {
          const answer = await client.send(method, path);
          expectError(answer, 401, "no_session");
          expect(answer.setCookies, `${method} ${path}`).toEqual([]);
        }
        expect(client.token()).toBe(token);
        expect((await client.get("/api/session/state")).body.state).toEqual({ cart: ["apple"] });
      });

      it("revokes one of the user's sessions; another user's id is 404", async () => {
        const { username, client } = await signUp();
        const phone = (await signIn(username, browser("Phone/1.0"))).client;
        const phoneId = (await phone.get("/api/session")).body.session.id;
        const stranger = (await signUp()).client;
        expectError(await stranger.delete(`/api/sessions/${phoneId}`), 404, "not_found");
        expectError(await client.delete("/api/sessions/not-a-session-id"), 404, "not_found");
        expect((await phone.get("/api/session")).status).toBe(200);
        expect((await client.delete(`/api/sessions/${phoneId}`)).status).toBe(204);
        expectError(await phone.get("/api/session"), 401, "no_session");
        expect((await client.get("/api/session")).status).toBe(200);
      });

      it("revokes every other session of the user", async () => {
        const { username, client } = await signUp();
        const others = [];
        for (let i = 0; i < 2; i++) others.push((await signIn(username, browser(`Device${i}`))).client);
        const stranger = (await signUp()).client;
        const answer = await client.delete("/api/sessions");
        expect(answer.status).toBe(200);
        expect(answer.body).toEqual({ revoked: 2 });
        for (const other of others) expectError(await other.get("/api/session"), 401, "no_session");
        expect((await client.get("/api/session")).status).toBe(200);
        expect((await stranger.get("/api/session")).status).toBe(200);
      });

      it("keeps at most maxSessionsPerUser sessions, signing out the oldest", async () => {
        const { username, client: first } = await signUp();
        const clients = [first];
        for (let i = 0; i < TEST_POLICY.maxSessionsPerUser; i++) {
          target.clock.advance(SECOND);
          clients.push((await signIn(username)).client);
        }
        expectError(await first.get("/api/session"), 401, "no_session");
        for (const client of clients.slice(1)) expect((await client.get("/api/session")).status).toBe(200);
        expect((await clients[1]!.get("/api/sessions")).body.sessions).toHaveLength(TEST_POLICY.maxSessionsPerUser);
      });
    });

    describe("activity and expiry", () => {
      it("expires after the idle timeout and clears the cookie", async () => {
        const { client } = await signUp();
        target.clock.advance(TEST_POLICY.idleTimeout + SECOND);
        const answer = await client.get("/api/session/state");
        expectError(answer, 401, "no_session");
        expect(answer.setCookies.some((line) => cookieAttributes(line)["max-age"] === "0")).toBe(true);
      });

      it("activity keeps the session alive past the idle timeout", async () => {
        const { client } = await signUp();
        for (let i = 0; i < 4; i++) {
          target.clock.advance(20 * MINUTE);
          expect((await client.get("/api/session/state")).status).toBe(200);
        }
      });

      it("passive requests (GET /api/session) do not extend the session", async () => {
        const { client } = await signUp();
        target.clock.advance(20 * MINUTE);
        const info = await client.get("/api/session");
        expect(info.body.session.remainingSeconds).toBe(10 * 60);
        target.clock.advance(11 * MINUTE);
        expectError(await client.get("/api/session"), 401, "no_session");
      });

      it("extend resets the idle window and reports it", async () => {
        const { client } = await signUp();
        target.clock.advance(20 * MINUTE);
        const extended = await client.post("/api/session/extend", {});
        expect(extended.status).toBe(200);
        expect(extended.body.session.remainingSeconds).toBe(30 * 60);
        expect(extended.body.session.elapsedSeconds).toBe(20 * 60);
        target.clock.advance(29 * MINUTE);
        expect((await client.get("/api/session")).status).toBe(200);
      });

      it("never extends past the absolute timeout", async () => {
        const { client } = await signUp();
        for (let elapsed = 0; elapsed < TEST_POLICY.absoluteTimeout - 20 * MINUTE; elapsed += 20 * MINUTE) {
          target.clock.advance(20 * MINUTE);
          expect((await client.post("/api/session/extend", {})).status).toBe(200);
        }
        const last = await client.post("/api/session/extend", {});
        expect(Date.parse(last.body.session.expiresAt)).toBeLessThanOrEqual(
          Date.parse(last.body.session.absoluteExpiresAt),
        );
        target.clock.advance(20 * MINUTE + SECOND);
        expectError(await client.post("/api/session/extend", {}), 401, "no_session");
      });

      it("writes activity at most once per touch interval", async () => {
        const { client, info } = await signUp();
        target.clock.advance(10 * SECOND);
        await client.get("/api/session/state");
        expect((await client.get("/api/session")).body.session.lastSeenAt).toBe(info.session.lastSeenAt);
        target.clock.advance(2 * MINUTE);
        await client.get("/api/session/state");
        const touched = (await client.get("/api/session")).body.session;
        expect(Date.parse(touched.lastSeenAt) - Date.parse(info.session.lastSeenAt)).toBe(2 * MINUTE + 10 * SECOND);
        expect(touched.remainingSeconds).toBe(30 * 60);
      });
    });

    describe("session state", () => {
      it("reads, merges, unsets and versions the state", async () => {
        const { client } = await signUp();
        const empty = await client.get("/api/session/state");
        expect(empty.body.state).toEqual({});
        const first = await client.patch("/api/session/state", { set: { workspace: "acme", theme: "dark" } });
        expect(first.status).toBe(200);
        expect(first.body.state).toEqual({ workspace: "acme", theme: "dark" });
        const second = await client.patch("/api/session/state", { set: { lang: "fr" }, unset: ["theme"] });
        expect(second.body.state).toEqual({ workspace: "acme", lang: "fr" });
        expect(second.body.version).toBe(first.body.version + 1);
        expect(typeof second.body.updatedAt).toBe("string");
        expect((await client.get("/api/session/state")).body).toEqual(second.body);
      });

      it("keeps all of 50 concurrent PATCHes of different keys", async () => {
        const { client } = await signUp();
        const base = (await client.get("/api/session/state")).body.version;
        const answers = await Promise.all(
          Array.from({ length: 50 }, (_, i) => client.patch("/api/session/state", { set: { [`key${i}`]: i } })),
        );
        for (const answer of answers) expect(answer.status).toBe(200);
        const state = await client.get("/api/session/state");
        expect(Object.keys(state.body.state)).toHaveLength(50);
        for (let i = 0; i < 50; i++) expect(state.body.state[`key${i}`]).toBe(i);
        expect(state.body.version).toBe(base + 50);
      });

      it("ifVersion makes a PATCH compare-and-set (409 conflict when stale, nothing changed)", async () => {
        const { client } = await signUp();
        const v = (await client.patch("/api/session/state", { set: { a: 1 } })).body.version;
        expect((await client.patch("/api/session/state", { set: { a: 2 }, ifVersion: v })).status).toBe(200);
        expectError(await client.patch("/api/session/state", { set: { a: 3 }, ifVersion: v }), 409, "conflict");
        const state = await client.get("/api/session/state");
        expect(state.body.state).toEqual({ a: 2 });
        expect(state.body.version).toBe(v + 1);
      });

      it("refuses state over 16 KiB with 413 and leaves it unchanged", async () => {
        const { client } = await signUp();
        await client.patch("/api/session/state", { set: { keep: "me" } });
        const before = await client.get("/api/session/state");
        expectError(
          await client.patch("/api/session/state", { set: { big: "x".repeat(17 * 1024) } }),
          413,
          "payload_too_large",
        );
        await client.patch("/api/session/state", { set: { half: "y".repeat(10 * 1024) } });
        expectError(
          await client.patch("/api/session/state", { set: { other: "z".repeat(10 * 1024) } }),
          413,
          "payload_too_large",
        );
        const after = await client.get("/api/session/state");
        expect(after.body.state.keep).toBe("me");
        expect(after.body.state.other).toBeUndefined();
        expect(after.body.version).toBe(before.body.version + 1);
      });

      it("refuses a body over 64 KiB with 413", async () => {
        const { client } = await signUp();
        const answer = await client.send("PATCH", "/api/session/state", {
          body: JSON.stringify({ set: { a: "x".repeat(70 * 1024) } }),
          headers: { "content-type": "application/json" },
        });
        expectError(answer, 413, "payload_too_large");
      });

      it("answers malformed PATCH bodies with 400 and changes nothing", async () => {
        const { client } = await signUp();
        const version = (await client.get("/api/session/state")).body.version;
        const bad = [
          "{not json",
          "[]",
          '"text"',
          JSON.stringify({ set: [] }),
          JSON.stringify({ set: "x" }),
          JSON.stringify({ unset: "a" }),
          JSON.stringify({ unset: [1] }),
          JSON.stringify({ ifVersion: "7" }),
          JSON.stringify({ ifVersion: 1.5 }),
          JSON.stringify({ set: { a: 1 }, unset: ["a"] }),
          JSON.stringify({ set: { "": 1 } }),
        ];
        for (const body of bad) {
          const answer = await client.send("PATCH", "/api/session/state", {
            body,
            headers: { "content-type": "application/json" },
          });
          expectError(answer, 400, "bad_request");
        }
        expect((await client.get("/api/session/state")).body.version).toBe(version);
      });

      it("refuses JSON nested deeper than 32 levels with 413 before reading it, changing nothing", async () => {
        const { client } = await signUp();
        const before = await client.get("/api/session/state");
        // The body's own object and "set" are two levels: 30 more make 32, which is allowed.
        const nested = (levels: number) => `{"set":{"k":${"[".repeat(levels)}${"]".repeat(levels)}}}`;
        const allowed = await client.send("PATCH", "/api/session/state", {
          body: nested(30),
          headers: { "content-type": "application/json" },
        });
        expect(allowed.status).toBe(200);
        for (const levels of [31, 1_000, 20_000]) {
          const answer = await client.send("PATCH", "/api/session/state", {
            body: nested(levels),
            headers: { "content-type": "application/json" },
          });
          expectError(answer, 413, "payload_too_large");
        }
        const deepLogin = await browser().send("POST", "/api/auth/login", {
          body: `{"username":${"[".repeat(5_000)}`,
          headers: { "content-type": "application/json" },
        });
        expectError(deepLogin, 413, "payload_too_large");
        const after = await client.get("/api/session/state");
        expect(after.body.version).toBe(before.body.version + 1);
      });

      it("keeps a NUL inside a key exactly, and refuses lone surrogates with 400, changing nothing", async () => {
        const { client } = await signUp();
        const kept = await client.send("PATCH", "/api/session/state", {
          body: '{"set":{"a\\u0000b":"x\\u0000y","\\u0000":1,"a":2}}',
          headers: { "content-type": "application/json" },
        });
        expect(kept.status).toBe(200);
        const expected = { "a\u0000b": "x\u0000y", "\u0000": 1, a: 2 };
        expect(kept.body.state).toEqual(expected);
        expect((await client.get("/api/session/state")).body.state).toEqual(expected);
        const version = kept.body.version;
        for (const body of [
          '{"set":{"\\ud800":1}}',
          '{"set":{"k":"\\udc00 alone"}}',
          '{"set":{"k":{"deeper":["\\ud83d"]}}}',
          '{"unset":["\\ud800x"]}',
        ]) {
          const answer = await client.send("PATCH", "/api/session/state", {
            body,
            headers: { "content-type": "application/json" },
          });
          expectError(answer, 400, "bad_request");
        }
        // A well-formed pair written as escapes is an ordinary character.
        const pair = await client.send("PATCH", "/api/session/state", {
          body: '{"set":{"\\ud83d\\ude00":true}}',
          headers: { "content-type": "application/json" },
        });
        expect(pair.body.state["😀"]).toBe(true);
        expect(pair.body.version).toBe(version + 1);
      });

      it("accepts strange keys and values, such as __proto__ and unicode", async () => {
        const { client } = await signUp();
        const answer = await client.send("PATCH", "/api/session/state", {
          body: `{"set":{"__proto__":{"polluted":true},"a.b":"dot","ключ":"значение","😀":[1,null,true,{"x":false}]}}`,
          headers: { "content-type": "application/json" },
        });
        expect(answer.status).toBe(200);
        const state = (await client.get("/api/session/state")).body.state;
        expect(Object.keys(state).sort()).toEqual(["__proto__", "a.b", "ключ", "😀"].sort());
        expect(Object.getOwnPropertyDescriptor(state, "__proto__")?.value).toEqual({ polluted: true });
        expect(state["😀"]).toEqual([1, null, true, { x: false }]);
        expect(({} as Record<string, unknown>).polluted).toBeUndefined();
      });
    });

    describe("CSRF and Origin", () => {
      it("refuses an unsafe request with a session but without the CSRF token", async () => {
        const { client } = await signUp();
        expectError(await client.post("/api/session/extend", {}, { csrf: false }), 403, "csrf_invalid");
        expectError(await client.patch("/api/session/state", { set: { a: 1 } }, { csrf: false }), 403, "csrf_invalid");
        expectError(await client.delete("/api/session", { csrf: false }), 403, "csrf_invalid");
        expectError(await client.delete("/api/sessions", { csrf: false }), 403, "csrf_invalid");
        expect((await client.get("/api/session")).status).toBe(200);
      });

      it("refuses a wrong CSRF token, and another session's token", async () => {
        const { client } = await signUp();
        const other = (await signUp()).client;
        expectError(
          await client.post("/api/session/extend", {}, { headers: { "x-csrf-token": "nope" } }),
          403,
          "csrf_invalid",
        );
        expectError(
          await client.post("/api/session/extend", {}, { headers: { "x-csrf-token": other.csrfToken! } }),
          403,
          "csrf_invalid",
        );
      });

      it("accepts the token in the header (either spelling), the csrf_token JSON field or the _csrf form field", async () => {
        const { client } = await signUp();
        const token = client.csrfToken!;
        expect((await client.post("/api/session/extend", {})).status).toBe(200);
        const django = await client.post("/api/session/extend", {}, { csrf: false, headers: { "X-CSRFToken": token } });
        expect(django.status).toBe(200);
        const wrong = await client.post("/api/session/extend", {}, { csrf: false, headers: { "X-CSRFToken": "nope" } });
        expectError(wrong, 403, "csrf_invalid");
        expect((await client.post("/api/session/extend", { csrf_token: token }, { csrf: false })).status).toBe(200);
        expect((await client.send("POST", "/api/session/extend", { form: { _csrf: token }, csrf: false })).status).toBe(
          200,
        );
      });

      it("refuses an unsafe request from another origin, with or without a session", async () => {
        const { client, username } = await signUp();
        const evil = "https://evil.example";
        expectError(await client.post("/api/session/extend", {}, { origin: evil }), 403, "origin_mismatch");
        expectError(await client.delete("/api/session", { origin: "null" }), 403, "origin_mismatch");
        expectError(
          await browser().post("/api/auth/login", { username, password: PASSWORD }, { origin: evil }),
          403,
          "origin_mismatch",
        );
        const prefixed = `${new URL(target.baseUrl).origin}.evil.example`;
        expectError(await client.post("/api/session/extend", {}, { origin: prefixed }), 403, "origin_mismatch");
        expect((await client.get("/api/session")).status).toBe(200);
      });

      it("refuses Sec-Fetch-Site: cross-site without Origin, and allows same-origin or no header", async () => {
        const { client } = await signUp();
        expectError(
          await client.post("/api/session/extend", {}, { origin: null, headers: { "sec-fetch-site": "cross-site" } }),
          403,
          "origin_mismatch",
        );
        expect(
          (await client.post("/api/session/extend", {}, { origin: null, headers: { "sec-fetch-site": "same-origin" } }))
            .status,
        ).toBe(200);
        expect((await client.post("/api/session/extend", {}, { origin: null })).status).toBe(200);
      });

      it("without a session only register and login are allowed", async () => {
        const client = browser();
        expectError(await client.post("/api/session/extend", {}), 401, "no_session");
        expectError(await client.patch("/api/session/state", { set: { a: 1 } }), 401, "no_session");
        expectError(await client.delete("/api/session"), 401, "no_session");
        expectError(await client.delete("/api/sessions"), 401, "no_session");
      });

      it("the CSRF token changes when the session id changes", async () => {
        const { client, username } = await signUp();
        const first = client.csrfToken;
        await client.post("/api/auth/login", { username, password: PASSWORD });
        expect(client.csrfToken).not.toBe(first);
      });
    });

    describe("malformed input", () => {
      it("never answers 5xx to malformed cookies", async () => {
        const cookies = [
          "stint_session=",
          "stint_session=%",
          "stint_session=%E0%A4%A",
          "stint_session=a.b",
          `stint_session=${"a".repeat(10_000)}`,
          "stint_session=\u00e9\u00ff",
          "__proto__=x; stint_session=y",
          "stint_session=1; stint_session=2",
          "=; ;;; ==",
          `${"x=y; ".repeat(2000)}`,
          'stint_session="quoted.value"',
        ];
        for (const cookie of cookies) {
          const client = browser();
          const answer = await client.get("/api/session", { headers: { cookie } });
          expect(answer.status).toBe(401);
        }
      });

      it("never answers 5xx to malformed bodies and methods", async () => {
        const { client } = await signUp();
        const bodies: Array<[string, string]> = [
          ["application/json", "{"],
          ["application/json", "null"],
          ["application/json", "\u0000"],
          ["text/plain", "hello"],
          ["application/x-www-form-urlencoded", "%%%&&&==="],
          ["application/json", JSON.stringify({ username: ["a"], password: { x: 1 } })],
        ];
        for (const [index, [type, body]] of bodies.entries()) {
          for (const path of ["/api/auth/login", "/api/session/state", "/api/auth/register"]) {
            const method = path.endsWith("state") ? "PATCH" : "POST";
            const answer = await client.send(method, path, { body, headers: { "content-type": type } });
            expect(answer.status).toBeLessThan(500);
            // The first four are not JSON objects at all; the others may be valid no-op patches.
            if (index < 4) expectError(answer, 400, "bad_request");
          }
        }
        const put = await client.send("PUT", "/api/session", {});
        expectError(put, 405, "method_not_allowed");
      });
    });

    describe("operations", () => {
      it("reports health with the store and active sessions", async () => {
        await signUp();
        const health = await browser().get("/api/health");
        expect(health.status).toBe(200);
        expect(health.body.status).toBe("ok");
        expect(health.body.store.kind).toBe(target.storeKind);
        expect(health.body.store.ok).toBe(true);
        expect(typeof health.body.store.latencyMs).toBe("number");
        expect(health.body.sessions.active).toBe(1);
        expect(typeof health.body.uptimeSeconds).toBe("number");
      });

      it("serves Prometheus metrics", async () => {
        await signUp();
        const { client } = await signUp();
        await client.post("/api/session/extend", {}, { csrf: false });
        const metrics = await browser().get("/metrics");
        expect(metrics.status).toBe(200);
        expect(metrics.headers.get("content-type")).toContain("text/plain");
        expect(metrics.text).toMatch(/stint_sessions_created_total \d/);
        expect(metrics.text).toMatch(/stint_sessions_active 2/);
        expect(metrics.text).toMatch(/stint_csrf_failures_total 1/);
        expect(metrics.text).toContain("stint_http_request_duration_seconds_bucket");
        expect(metrics.text).toContain("stint_login_failures_total");
      });

      it("writes audit log lines with public ids and never a token", async () => {
        const { client } = await signUp();
        const id = (await client.get("/api/session")).body.session.id;
        await client.delete("/api/session");
        const lines = target.logLines.map((line) => JSON.parse(line));
        expect(lines.some((line) => line.audit === "login" && line.sessionId === id)).toBe(true);
        expect(
          lines.some((line) => line.audit === "revoked" && line.sessionId === id && line.reason === "logout"),
        ).toBe(true);
      });
    });

    // A memory store (the runtimes' servers) keeps nothing past its process.
    describe.skipIf(!isPersistent(host))("persistence", () => {
      it("treats a damaged stored record as no session: deleted, reported, and health stays true", async () => {
        const damage = [
          "UPDATE stint_sessions SET state = '{not json' WHERE id = ?",
          "UPDATE stint_sessions SET data = '[1,2]' WHERE id = ?",
          "UPDATE stint_sessions SET meta = 'null' WHERE id = ?",
          "UPDATE stint_sessions SET version = 'seven' WHERE id = ?",
        ];
        for (const statement of damage) {
          const { client, username } = await signUp();
          const id = (await client.get("/api/session")).body.session.id as string;
          const phone = (await signIn(username, browser("Phone/1.0"))).client;
          const database = new Database(target.dbPath);
          try {
            database.prepare(statement).run(id);
          } finally {
            database.close();
          }
          // Like an unknown session: 401 and a clearing cookie, never a 503 for this cookie.
          const answer = await client.get("/api/session");
          expectError(answer, 401, "no_session");
          expect(answer.setCookies.some((line) => cookieAttributes(line)["max-age"] === "0")).toBe(true);
          // The user's other device still lists its sessions, without the damaged one.
          const devices = await phone.get("/api/sessions");
          expect(devices.status).toBe(200);
          expect(devices.body.sessions.map((session: { id: string }) => session.id)).not.toContain(id);
          const audit = target.logLines.map((line) => JSON.parse(line));
          expect(
            audit.some((line) => line.audit === "record_damaged" && line.sessionId === id),
            statement,
          ).toBe(true);
          const health = await browser().get("/api/health");
          expect(health.status).toBe(200);
          expect(health.body.status).toBe("ok");
          // The same browser signs in again as usual.
          expect((await client.post("/api/auth/login", { username, password: PASSWORD })).status).toBe(200);
        }
      });

      it("keeps sessions across a server restart", async () => {
        const { client } = await signUp();
        await client.patch("/api/session/state", { set: { workspace: "acme" } });
        await target.restart();
        const info = await client.get("/api/session");
        expect(info.status).toBe(200);
        expect((await client.get("/api/session/state")).body.state).toEqual({ workspace: "acme" });
      });

      it("keeps no live secret in the SQLite file", async () => {
        const clients = [(await signUp()).client, (await signUp()).client];
        const anonymous = browser();
        await anonymous.get("/api/session/csrf-token");
        clients.push(anonymous);
        await target.stint.close();
        const bytes = readFileSync(target.dbPath).toString("latin1");
        const wal = (() => {
          try {
            return readFileSync(`${target.dbPath}-wal`).toString("latin1");
          } catch {
            return "";
          }
        })();
        for (const client of clients) {
          const [id, secret] = client.token()!.split(".");
          expect(bytes + wal).toContain(id!);
          expect(bytes + wal).not.toContain(secret!);
        }
        await target.restart();
      });
    });

    describe("event stream", () => {
      it("streams text/event-stream and ends with `revoked` when the session is revoked elsewhere", async () => {
        const { username, client } = await signUp();
        const phone = (await signIn(username, browser("Phone/1.0"))).client;
        const phoneId = (await phone.get("/api/session")).body.session.id;
        const abort = new AbortController();
        const response = await target.fetch(
          new Request(new URL("/api/session/events", target.baseUrl), {
            headers: { cookie: phone.cookieHeader },
            signal: abort.signal,
          }),
        );
        expect(response.status).toBe(200);
        expect(response.headers.get("content-type")).toContain("text/event-stream");
        expect(response.headers.get("cache-control")).toContain("no-store");
        const reader = response.body!.getReader();
        const revoke = client.delete(`/api/sessions/${phoneId}`);
        let text = "";
        const decoder = new TextDecoder();
        while (!text.includes("event: revoked")) {
          const { done, value } = await reader.read();
          if (done) break;
          text += decoder.decode(value);
        }
        expect((await revoke).status).toBe(204);
        expect(text).toContain("event: revoked");
        const end = await reader.read();
        expect(end.done).toBe(true);
        abort.abort();
      });

      it("sends `state` with the version when the state changes, and `logout` at logout", async () => {
        const { client } = await signUp();
        const abort = new AbortController();
        const response = await target.fetch(
          new Request(new URL("/api/session/events", target.baseUrl), {
            headers: { cookie: client.cookieHeader },
            signal: abort.signal,
          }),
        );
        const reader = response.body!.getReader();
        const decoder = new TextDecoder();
        let text = "";
        const version = (await client.patch("/api/session/state", { set: { a: 1 } })).body.version;
        await client.delete("/api/session");
        for (;;) {
          const { done, value } = await reader.read();
          if (done) break;
          text += decoder.decode(value);
        }
        expect(text).toContain(`event: state\ndata: {"version":${version}}`);
        expect(text).toContain("event: logout");
        abort.abort();
      });

      it("answers 401 to an event stream without a session", async () => {
        expectError(await browser().get("/api/session/events"), 401, "no_session");
      });
    });
    describe("bearer tokens", () => {
      it("register and login with X-Stint-Transport: bearer answer SessionInfo and a token, and set no cookie", async () => {
        const { answer, token, username } = await bearerSignUp();
        expect(answer.status).toBe(201);
        expect(answer.setCookies).toEqual([]);
        expect(answer.body.user.username).toBe(username);
        expect(token).toMatch(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
        expect(answer.body.session.id).toBe(token.split(".")[0]);
        const login = await bearerClient().post(
          "/api/auth/login",
          { username, password: PASSWORD },
          { headers: { "x-stint-transport": "bearer" }, origin: null },
        );
        expect(login.status).toBe(200);
        expect(login.setCookies).toEqual([]);
        remember(login);
        expect(login.body.token).not.toBe(token);
        // A cookie sign-in answers no token.
        expect((await signUp()).info.token).toBeUndefined();
      });

      it("a bearer token works on every endpoint with no Origin or CSRF check, and DELETE /api/session signs it out", async () => {
        const { token } = await bearerSignUp();
        const tool = bearerClient();
        const as = { ...withToken(token), origin: "https://elsewhere.example" };
        const info = await tool.get("/api/session", withToken(token));
        expect(info.status).toBe(200);
        expect(info.setCookies).toEqual([]);
        expect((await tool.patch("/api/session/state", { set: { a: 1 } }, as)).body.state).toEqual({ a: 1 });
        expect((await tool.post("/api/session/extend", {}, as)).status).toBe(200);
        const devices = await tool.get("/api/sessions", withToken(token));
        expect(devices.body.sessions).toHaveLength(1);
        expect(devices.body.sessions[0]).toMatchObject({ transport: "bearer", current: true, userAgent: "Tool/1.0" });
        const logout = await tool.delete("/api/session", as);
        expect(logout.status).toBe(204);
        expect(logout.setCookies).toEqual([]);
        const after = await tool.get("/api/session", withToken(token));
        expectError(after, 401, "no_session");
        expect(after.setCookies).toEqual([]);
      });

      it("times out like a cookie session, and only non-passive requests count as activity", async () => {
        const { token } = await bearerSignUp();
        const tool = bearerClient();
        target.clock.advance(20 * MINUTE);
        expect((await tool.get("/api/session/state", withToken(token))).status).toBe(200);
        target.clock.advance(20 * MINUTE);
        expect((await tool.get("/api/session", withToken(token))).status).toBe(200);
        target.clock.advance(11 * MINUTE);
        expectError(await tool.get("/api/session", withToken(token)), 401, "no_session");
      });

      it("a request with both a session cookie and a bearer token is 400 and changes nothing", async () => {
        const { client } = await signUp();
        const { token } = await bearerSignUp();
        const before = (await client.get("/api/session/state")).body.version;
        const answer = await client.patch("/api/session/state", { set: { a: 1 } }, withToken(token));
        expectError(answer, 400, "bad_request");
        expectError(await client.get("/api/session", withToken(token)), 400, "bad_request");
        expect((await client.get("/api/session/state")).body.version).toBe(before);
      });

      it("a token is presented only the way it was issued, and never read from a URL", async () => {
        const { token } = await bearerSignUp();
        const { client } = await signUp();
        const inCookie = bearerClient();
        inCookie.cookies.set(COOKIE, token);
        expectError(await inCookie.get("/api/session"), 401, "no_session");
        expectError(await bearerClient().get("/api/session", withToken(client.token()!)), 401, "no_session");
        for (const name of ["token", "access_token", "stint_session", "authorization"]) {
          const query = `/api/session?${name}=${encodeURIComponent(token)}`;
          expectError(await bearerClient().get(query), 401, "no_session");
        }
        expect((await bearerClient().get("/api/session", withToken(token))).status).toBe(200);
      });

      it("answers malformed Authorization headers and X-Stint-Transport values without a 5xx", async () => {
        for (const authorization of [
          "Bearer",
          "Bearer   ",
          "Bearer a.b",
          "bearer x",
          "Bearer\tx",
          "Basic dXNlcjpwYXNz",
        ]) {
          const answer = await bearerClient().get("/api/session", { headers: { authorization } });
          expectError(answer, 401, "no_session");
        }
        const { username } = await signUp();
        const odd = await bearerClient().post(
          "/api/auth/login",
          { username, password: PASSWORD },
          { headers: { "x-stint-transport": "carrier-pigeon" }, origin: null },
        );
        expectError(odd, 400, "bad_request");
        // A bearer client gets a session only by signing in, never an anonymous one.
        expectError(await bearerClient().get("/api/session/csrf-token", withToken("")), 401, "no_session");
      });

      it("revoked from a browser, a bearer session's event stream ends with `revoked`", async () => {
        const { username, client } = await signUp();
        const { token } = await bearerSignIn(username);
        const stream = await openEventStream(target.baseUrl, { authorization: `Bearer ${token}` }, target.fetch);
        expect(stream.status).toBe(200);
        const device = (await client.get("/api/sessions")).body.sessions.find(
          (entry: { transport: string }) => entry.transport === "bearer",
        );
        expect((await client.delete(`/api/sessions/${device.id}`)).status).toBe(204);
        await stream.next("revoked", 2_000);
        await stream.ended;
        expectError(await bearerClient().get("/api/session", withToken(token)), 401, "no_session");
      });
    });

    describe("a user's state on every device", () => {
      it("answers 401 without a signed-in session", async () => {
        const client = browser();
        expectError(await client.get("/api/user/state"), 401, "no_session");
        await client.get("/api/session/csrf-token");
        expectError(await client.get("/api/user/state"), 401, "no_session");
        expectError(await client.patch("/api/user/state", { set: { theme: "dark" } }), 401, "no_session");
      });

      it("reads, merges and versions the user's state, shared by every session of the user", async () => {
        const { username, client: laptop } = await signUp();
        const { token: phone } = await bearerSignIn(username);
        const empty = await laptop.get("/api/user/state");
        expect(empty.status).toBe(200);
        expect(empty.body).toMatchObject({ state: {}, version: 0 });
        const first = await laptop.patch("/api/user/state", { set: { theme: "dark", language: "fr" } });
        expect(first.body).toMatchObject({ state: { theme: "dark", language: "fr" }, version: 1 });
        expect(new Date(first.body.updatedAt).toISOString()).toBe(first.body.updatedAt);
        const fromPhone = await bearerClient().patch(
          "/api/user/state",
          { set: { density: "compact" }, unset: ["language"] },
          withToken(phone),
        );
        expect(fromPhone.body).toMatchObject({ state: { theme: "dark", density: "compact" }, version: 2 });
        expect((await laptop.get("/api/user/state")).body).toEqual(fromPhone.body);
        // The session's own state is another thing.
        expect((await laptop.get("/api/session/state")).body.state).toEqual({});
        const stranger = (await signUp()).client;
        expect((await stranger.get("/api/user/state")).body.state).toEqual({});
      });

      it("outlives every session: signing out everywhere and back in finds it again", async () => {
        const { username, client } = await signUp();
        await client.patch("/api/user/state", { set: { theme: "dark" } });
        await signIn(username, browser("Other/1.0"));
        await client.delete("/api/sessions");
        await client.delete("/api/session");
        const again = (await signIn(username)).client;
        expect((await again.get("/api/user/state")).body).toMatchObject({ state: { theme: "dark" }, version: 1 });
      });

      it("ifVersion, the 16 KiB limit, CSRF and malformed bodies, as for the session's state", async () => {
        const { client } = await signUp();
        const v = (await client.patch("/api/user/state", { set: { a: 1 } })).body.version;
        expectError(await client.patch("/api/user/state", { set: { a: 2 }, ifVersion: v + 1 }), 409, "conflict");
        expect((await client.patch("/api/user/state", { set: { a: 2 }, ifVersion: v })).status).toBe(200);
        expectError(
          await client.patch("/api/user/state", { set: { big: "x".repeat(17 * 1024) } }),
          413,
          "payload_too_large",
        );
        expectError(await client.patch("/api/user/state", { set: { a: 3 } }, { csrf: false }), 403, "csrf_invalid");
        for (const body of [{ set: [] }, { unset: "a" }, { ifVersion: "1" }, { set: { a: 1 }, unset: ["a"] }]) {
          expectError(await client.patch("/api/user/state", body), 400, "bad_request");
        }
        expect((await client.get("/api/user/state")).body).toMatchObject({ state: { a: 2 }, version: v + 1 });
      });

      it("every open event stream of the user gets `user-state`; another user's does not", async () => {
        const { username, client: laptop } = await signUp();
        const { token } = await bearerSignIn(username);
        const other = (await signUp()).client;
        const streams = await Promise.all([
          openEventStream(target.baseUrl, { cookie: laptop.cookieHeader }, target.fetch),
          openEventStream(target.baseUrl, { authorization: `Bearer ${token}` }, target.fetch),
          openEventStream(target.baseUrl, { cookie: other.cookieHeader }, target.fetch),
        ]);
        try {
          const version = (await laptop.patch("/api/user/state", { set: { theme: "dark" } })).body.version;
          for (const stream of streams.slice(0, 2)) {
            expect((await stream.next("user-state", 2_000)).data).toEqual({ version });
          }
          // The server's own change reaches them the same way (where the test shares its process).
          if (isLocal(host)) {
            const userId = (await laptop.get("/api/session")).body.user.id;
            const next = await target.stint.userState.patch(userId, { set: { language: "de" } });
            await expect.poll(() => streams[1]!.events.filter((e) => e.type === "user-state").length).toBe(2);
            expect(streams[1]!.events.at(-1)?.data).toEqual({ version: next.version });
          }
          expect(streams[2]!.events.some((event) => event.type === "user-state")).toBe(false);
        } finally {
          for (const stream of streams) stream.close();
        }
      });
    });

    // App code calls these in the server's own process: a runtime's server runs elsewhere.
    describe.skipIf(!isLocal(host))("server-side control (stint.sessions)", () => {
      it("patchState changes a session's state from outside its requests, and its stream hears `state`", async () => {
        const { client } = await signUp();
        const id = (await client.get("/api/session")).body.session.id;
        const stream = await openEventStream(target.baseUrl, { cookie: client.cookieHeader }, target.fetch);
        try {
          const record = await target.stint.sessions.patchState(id, { set: { platform: "mastodon" } });
          expect((await stream.next("state", 2_000)).data).toEqual({ version: record.version });
          expect((await client.get("/api/session/state")).body).toMatchObject({
            state: { platform: "mastodon" },
            version: record.version,
          });
          await expect(target.stint.sessions.patchState(id, { set: { a: 1 }, ifVersion: 1 })).rejects.toMatchObject({
            code: "conflict",
          });
          await expect(target.stint.sessions.patchState("no-such-session", { set: { a: 1 } })).rejects.toMatchObject({
            code: "not_found",
          });
        } finally {
          stream.close();
        }
      });

      it("get, list, revoke and revokeUser end the sessions and their streams", async () => {
        const { username, client } = await signUp();
        const { token } = await bearerSignIn(username);
        const userId = (await client.get("/api/session")).body.user.id;
        const id = (await client.get("/api/session")).body.session.id;
        expect((await target.stint.sessions.get(id))?.userId).toBe(userId);
        expect((await target.stint.sessions.list(userId)).map((record) => record.id)).toContain(id);
        const stream = await openEventStream(target.baseUrl, { cookie: client.cookieHeader }, target.fetch);
        expect(await target.stint.sessions.revoke(id)).toBe(true);
        await stream.next("revoked", 2_000);
        expectError(await client.get("/api/session"), 401, "no_session");
        const bearer = await openEventStream(target.baseUrl, { authorization: `Bearer ${token}` }, target.fetch);
        expect(await target.stint.sessions.revokeUser(userId)).toHaveLength(1);
        await bearer.next("revoked", 2_000);
        expect(await target.stint.sessions.list(userId)).toEqual([]);
      });
    });

    describe("administration", () => {
      const admin = (token = TEST_ADMIN_TOKEN) => ({ headers: { authorization: `Bearer ${token}` }, origin: null });

      it("is off (404) unless an admin token is configured", async () => {
        const off = await startTarget(host, { adminToken: null });
        try {
          const tool = new TestBrowser(off);
          for (const [method, path] of [
            ["GET", "/api/admin/users/u_x/sessions"],
            ["DELETE", "/api/admin/users/u_x/sessions"],
            ["DELETE", "/api/admin/sessions/abc"],
            ["PATCH", "/api/admin/sessions/abc/state"],
          ] as const) {
            const body = method === "GET" ? {} : { json: {} };
            expectError(await tool.send(method, path, { ...admin(), ...body }), 404, "not_found");
          }
        } finally {
          await off.close();
        }
      });

      it("a missing or wrong token is 401 no_session and counts toward the per-address failure limit", async () => {
        const { username } = await signUp();
        const tool = browser("Ops/1.0");
        expectError(await tool.get("/api/admin/users/u_x/sessions", { origin: null }), 401, "no_session");
        expectError(await tool.get("/api/admin/users/u_x/sessions", admin(`${TEST_ADMIN_TOKEN}x`)), 401, "no_session");
        expectError(await tool.get("/api/admin/users/u_x/sessions", admin("short")), 401, "no_session");
        // 100 failures per address per 15 minutes (API.md): three above, the rest here.
        for (let i = 3; i < 100; i++) await tool.get("/api/admin/users/u_x/sessions", admin("wrong"));
        const limited = await tool.get("/api/admin/users/u_x/sessions", admin());
        expectError(limited, 429, "rate_limited");
        expect(Number(limited.headers.get("retry-after"))).toBeGreaterThan(0);
        // The same count as failed sign-ins from that address.
        expectError(await browser().post("/api/auth/login", { username, password: PASSWORD }), 429, "rate_limited");
        target.clock.advance(15 * MINUTE + SECOND);
        expect((await tool.get("/api/admin/users/u_x/sessions", admin())).status).toBe(200);
        const lines = target.logLines.map((line) => JSON.parse(line));
        expect(lines.filter((line) => line.audit === "admin_denied").length).toBeGreaterThanOrEqual(100);
      });

      it("lists, patches and revokes any user's sessions; open tabs hear it; every action is audited", async () => {
        const { username, client } = await signUp();
        target.clock.advance(SECOND);
        const phone = (await signIn(username, browser("Phone/1.0"))).client;
        const { userId, id } = await (async () => {
          const info = (await client.get("/api/session")).body;
          return { userId: info.user.id, id: info.session.id };
        })();
        const phoneId = (await phone.get("/api/session")).body.session.id;
        const tool = browser("Ops/1.0");

        const list = await tool.get(`/api/admin/users/${userId}/sessions`, admin());
        expect(list.status).toBe(200);
        expect(list.body.sessions.map((entry: { id: string }) => entry.id)).toEqual([phoneId, id]);
        expect(list.body.sessions[0].current).toBeUndefined();
        expect(list.body.sessions[0].userAgent).toBe("Phone/1.0");

        const stream = await openEventStream(target.baseUrl, { cookie: client.cookieHeader }, target.fetch);
        const patched = await tool.patch(`/api/admin/sessions/${id}/state`, { set: { platform: "pixelfed" } }, admin());
        expect(patched.status).toBe(200);
        expect(patched.body.state).toEqual({ platform: "pixelfed" });
        expect((await stream.next("state", 2_000)).data).toEqual({ version: patched.body.version });
        expectError(
          await tool.patch(`/api/admin/sessions/${id}/state`, { set: { a: 1 }, ifVersion: 0 }, admin()),
          409,
          "conflict",
        );
        expectError(await tool.patch("/api/admin/sessions/nope/state", { set: { a: 1 } }, admin()), 404, "not_found");
        expectError(await tool.patch(`/api/admin/sessions/${id}/state`, { set: [] }, admin()), 400, "bad_request");

        expect((await tool.delete(`/api/admin/sessions/${phoneId}`, admin())).status).toBe(204);
        expectError(await phone.get("/api/session"), 401, "no_session");
        expectError(await tool.delete(`/api/admin/sessions/${phoneId}`, admin()), 404, "not_found");

        const all = await tool.delete(`/api/admin/users/${userId}/sessions`, admin());
        expect(all.body).toEqual({ revoked: 1 });
        await stream.next("revoked", 2_000);
        expectError(await client.get("/api/session"), 401, "no_session");

        const actions = target.logLines
          .map((line) => JSON.parse(line))
          .filter((line) => line.audit === "admin_action")
          .map((line) => line.action);
        expect(actions).toEqual(["list_sessions", "patch_state", "revoke_session", "revoke_user"]);
        for (const line of target.logLines) expect(line).not.toContain(TEST_ADMIN_TOKEN);
      });
    });

    describe("for apps moving in", () => {
      it("accepts the CSRF token in X-CSRFToken, the Django and Flask-WTF spelling", async () => {
        const { client } = await signUp();
        const answer = await client.post(
          "/api/session/extend",
          {},
          {
            csrf: false,
            headers: { "x-csrftoken": client.csrfToken! },
          },
        );
        expect(answer.status).toBe(200);
        expectError(
          await client.post("/api/session/extend", {}, { csrf: false, headers: { "x-csrftoken": "wrong" } }),
          403,
          "csrf_invalid",
        );
      });
    });
  });
}
