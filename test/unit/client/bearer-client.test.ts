import { createStint, memoryStore, type Stint } from "stint";
import { createAccounts, memoryUserStore } from "stint/accounts";
import { type BearerStreamEvent, createBearerSession, isStintClientError } from "stint/client";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { TEST_HASHER, TEST_SECRET } from "../../support/api-target.js";
import { TestBrowser } from "../../support/browser.js";

/**
 * `createBearerSession` of "stint/client" against a real Stint in this process: what a mobile
 * app or a command-line tool would do with the API, and what the server then holds.
 */
const PASSWORD = "correct horse battery";
const BASE = "http://stint.test";

let stint: Stint;
/** Every request the clients sent, as the server received it. */
let seen: Request[];
/** The paths the server has answered (its headers sent). */
let answered: string[];
const fetchStint = async (input: RequestInfo | URL, init?: RequestInit) => {
  const request = new Request(input, init);
  seen.push(request.clone());
  const response = await stint.handler(request, { ip: "203.0.113.9" });
  answered.push(new URL(request.url).pathname);
  return response;
};

beforeEach(() => {
  seen = [];
  answered = [];
  stint = createStint({
    store: memoryStore(),
    secret: TEST_SECRET,
    accounts: createAccounts({ users: memoryUserStore(), hasher: TEST_HASHER }),
  });
});
afterEach(() => stint.close());

const client = (token?: string | null) =>
  createBearerSession<{ platform?: string }, { theme?: string }>({ baseUrl: BASE, token, fetch: fetchStint });

describe("createBearerSession (stint/client)", () => {
  it("registers, keeps the token, and uses it on every call with no cookie and no CSRF token", async () => {
    const tool = client();
    expect(tool.token).toBeNull();
    const info = await tool.register({ username: "robot", password: PASSWORD });
    expect(info.user?.username).toBe("robot");
    expect("token" in info).toBe(false);
    expect(tool.token).toMatch(/^[\w-]+\.[\w-]+$/);
    expect((await tool.session()).session.id).toBe(info.session.id);
    expect((await tool.setState({ platform: "mastodon" })).state).toEqual({ platform: "mastodon" });
    expect((await tool.state()).state).toEqual({ platform: "mastodon" });
    expect((await tool.extend()).session.id).toBe(info.session.id);
    const [device] = await tool.devices();
    expect(device).toMatchObject({ id: info.session.id, transport: "bearer", current: true });
    for (const request of seen) {
      expect(request.headers.get("cookie")).toBeNull();
      expect(request.headers.get("x-csrf-token")).toBeNull();
      expect(new URL(request.url).search).toBe("");
    }
    expect(seen.slice(1).every((request) => request.headers.get("authorization") === `Bearer ${tool.token}`)).toBe(
      true,
    );
  });

  it("resumes a stored token, and logout forgets it after ending the session", async () => {
    const first = client();
    await first.register({ username: "robot", password: PASSWORD });
    const resumed = client(first.token);
    expect((await resumed.session()).user?.username).toBe("robot");
    await resumed.logout();
    expect(resumed.token).toBeNull();
    const error = await first.session().catch((failure: unknown) => failure);
    expect(isStintClientError(error, "no_session")).toBe(true);
    // A session already gone still counts as signed out.
    await first.logout();
    expect(first.token).toBeNull();
  });

  it("shares the user's state with a browser of the same user, and streams its changes", async () => {
    const tool = client();
    await tool.register({ username: "robot", password: PASSWORD });
    const browser = new TestBrowser({ baseUrl: BASE, fetch: (request) => fetchStint(request) });
    expect((await browser.post("/api/auth/login", { username: "robot", password: PASSWORD })).status).toBe(200);

    const abort = new AbortController();
    const events: BearerStreamEvent[] = [];
    const reading = (async () => {
      for await (const event of tool.events({ signal: abort.signal })) {
        events.push(event);
        if (event.type === "revoked") break;
      }
    })();
    // The stream is open once the server answered its request (it subscribes before answering).
    await expect.poll(() => answered.some((path) => path === "/api/session/events")).toBe(true);
    const written = await browser.patch("/api/user/state", { set: { theme: "dark" } });
    expect((await tool.userState()).state).toEqual({ theme: "dark" });
    expect((await tool.setUserState({ theme: "light" })).version).toBe(written.body.version + 1);
    // The browser revokes the tool's session: its stream says so, and ends.
    const toolId = (await tool.session()).session.id;
    expect((await browser.delete(`/api/sessions/${toolId}`)).status).toBe(204);
    await reading;
    expect(events.map((event) => event.type)).toEqual(["user-state", "user-state", "revoked"]);
    expect(events[0]?.data).toEqual({ version: written.body.version });
    abort.abort();
  });

  it("sends the token to the API's origin only, and refuses a relative baseUrl", async () => {
    const outside: Request[] = [];
    const tool = createBearerSession({
      baseUrl: BASE,
      fetch: async (input, init) => {
        const request = new Request(input, init);
        if (new URL(request.url).origin !== BASE) {
          outside.push(request);
          return new Response("elsewhere");
        }
        return fetchStint(request);
      },
    });
    await tool.register({ username: "robot", password: PASSWORD });
    await tool.fetch("https://tracker.example/pixel");
    await tool.fetch("//tracker.example/pixel");
    expect(outside).toHaveLength(2);
    for (const request of outside) expect(request.headers.get("authorization")).toBeNull();
    const own = await tool.fetch("/api/session");
    expect(own.status).toBe(200);
    expect(() => createBearerSession({ baseUrl: "/api" })).toThrow(TypeError);
  });

  it("turns API errors into StintClientError with their code", async () => {
    const tool = client();
    const wrong = await tool.login({ username: "nobody", password: PASSWORD }).catch((failure: unknown) => failure);
    expect(isStintClientError(wrong, "invalid_credentials")).toBe(true);
    expect(tool.token).toBeNull();
    await tool.register({ username: "robot", password: PASSWORD });
    await tool.setUserState({ theme: "dark" });
    const stale = await tool.setUserState({ theme: "light" }, { ifVersion: 0 }).catch((failure: unknown) => failure);
    expect(isStintClientError(stale, "conflict")).toBe(true);
  });
});
