import { describe, expect, it } from "vitest";
import { isStintClientError, StintClientError } from "../../../src/client/errors.js";
import { type Leader, soloLeader } from "../../../src/client/leader.js";
import { SessionClient } from "../../../src/client/session-client.js";
import { silentTabChannel } from "../../../src/client/tab-channel.js";
import { setup } from "./fakes.js";

const follower: Leader = { isLeader: false, onChange: () => () => {}, close() {} };

describe("SessionClient.fetch", () => {
  it("adds the CSRF token to unsafe same-origin requests only, and sends credentials same-origin", async () => {
    const { tabs, server, browser } = await setup(1);
    const { client } = tabs[0]!;
    const csrf = server.sessionOf(browser.cookie)!.csrf;
    const seen: Array<{ url: string; token: string | null; credentials: RequestCredentials | undefined }> = [];
    const probe = new SessionClient({
      fetch: (input, init) => {
        seen.push({
          url: String(input),
          token: new Headers(init?.headers).get("x-csrf-token"),
          credentials: init?.credentials,
        });
        return browser.fetch(input, init);
      },
      channel: silentTabChannel(),
      leader: follower,
      eventSource: null,
      window: null,
      document: null,
    });
    await probe.init();
    await probe.fetch("/api/things", { method: "POST", body: "{}" });
    await probe.fetch("/api/things");
    await probe.fetch("https://evil.test/x", { method: "POST" });
    await probe.fetch("//evil.test/x", { method: "DELETE" });
    await probe.fetch("/\\evil.test/x", { method: "PUT" });
    expect(seen.slice(-5)).toEqual([
      { url: "/api/things", token: csrf, credentials: "same-origin" },
      { url: "/api/things", token: null, credentials: "same-origin" },
      { url: "https://evil.test/x", token: null, credentials: "same-origin" },
      { url: "//evil.test/x", token: null, credentials: "same-origin" },
      { url: "/\\evil.test/x", token: null, credentials: "same-origin" },
    ]);
    probe.close();
    client.close();
  });

  it("retries once with a fresh token after 403 csrf_invalid", async () => {
    const { tabs, server, browser } = await setup(1);
    const { client } = tabs[0]!;
    const session = server.sessionOf(browser.cookie)!;
    const oldToken = session.csrf;
    server.rotateCsrf(session.id);
    const response = await client.fetch("/api/things", { method: "POST", body: "{}" });
    expect(response.status).toBe(200);
    const posts = server.requests.filter((r) => r.method === "POST" && r.path === "/api/things");
    expect(posts.map((r) => r.csrf)).toEqual([oldToken, session.csrf]);
    expect(server.countRequests("GET", "/api/session/csrf-token")).toBe(1);
    // The fresh token is kept: the next request needs no retry.
    await client.fetch("/api/things", { method: "POST", body: "{}" });
    expect(server.countRequests("POST", "/api/things")).toBe(3);
    client.close();
  });

  it("retries only once", async () => {
    const { tabs, browser } = await setup(1);
    let calls = 0;
    const stubborn = new Proxy(browser.fetch, {
      apply(target, self, args: [RequestInfo | URL, RequestInit | undefined]) {
        if (String(args[0]).endsWith("/api/things")) {
          calls++;
          return Promise.resolve(
            new Response(JSON.stringify({ error: { code: "csrf_invalid", message: "no" } }), { status: 403 }),
          );
        }
        return Reflect.apply(target, self, args);
      },
    });
    const other = browser.openTab({ fetch: stubborn });
    await other.client.init();
    const response = await other.client.fetch("/api/things", { method: "POST" });
    expect(response.status).toBe(403);
    expect(calls).toBe(2);
    other.close();
    tabs[0]!.close();
  });

  it("turns a 401 no_session into the expired event, in every tab", async () => {
    const { tabs, server, clock } = await setup(2);
    server.sessions.clear();
    const response = await tabs[1]!.client.fetch("/api/things", { method: "POST" });
    expect(response.status).toBe(401);
    await clock.advance(100);
    for (const tab of tabs) {
      expect(tab.eventsOf("expired")).toHaveLength(1);
      expect(tab.client.status).toBe("expired");
    }
    expect(tabs[1]!.eventsOf("expired")).toEqual([{ source: "remote" }]);
    expect(tabs[0]!.eventsOf("expired")).toEqual([{ source: "tab" }]);
    for (const t of tabs) t.close();
  });
});

describe("SessionClient errors and metrics", () => {
  it("surfaces a stale ifVersion as a typed conflict, after re-reading the state", async () => {
    const { tabs, clock } = await setup(2);
    const [one, two] = tabs;
    await one!.client.setState({ n: 1 });
    await clock.advance(100);
    await two!.client.setState({ n: 2 }, { ifVersion: 1 });
    const failure = await one!.client.setState({ n: 3 }, { ifVersion: 1 }).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(StintClientError);
    expect(isStintClientError(failure, "conflict")).toBe(true);
    expect((failure as StintClientError).status).toBe(409);
    expect(one!.client.state).toEqual({ n: 2 });
    expect(one!.client.version).toBe(2);
    for (const t of tabs) t.close();
  });

  it("keeps the session shown when the store is unavailable (503), and reports it", async () => {
    const { tabs, server, clock } = await setup(1);
    const { client } = tabs[0]!;
    server.unavailable = true;
    tabs[0]!.window.dispatchEvent(new Event("focus"));
    await clock.advance(100);
    expect(client.status).toBe("authenticated");
    expect(client.user?.username).toBe("alice");
    const errors = tabs[0]!.eventsOf("error") as StintClientError[];
    expect(errors.map((e) => [e.code, e.status])).toEqual([["store_unavailable", 503]]);
    const failed = await client.extend().catch((error: unknown) => error);
    expect(isStintClientError(failed, "store_unavailable")).toBe(true);
    expect(client.status).toBe("authenticated");
    client.close();
  });

  it("rejects bad credentials with a typed error and stays anonymous", async () => {
    const { tabs } = await setup(1, { signedIn: false });
    const failure = await tabs[0]!.client.login({ username: "alice", password: "nope" }).catch((e: unknown) => e);
    expect(isStintClientError(failure, "invalid_credentials")).toBe(true);
    expect(tabs[0]!.client.status).toBe("anonymous");
    tabs[0]!.close();
  });

  it("turns an unreachable server into network_error", async () => {
    const broken = new SessionClient({
      fetch: () => Promise.reject(new TypeError("Failed to fetch")),
      channel: silentTabChannel(),
      leader: soloLeader(),
      eventSource: null,
      window: null,
      document: null,
    });
    const failure = await broken.init().catch((e: unknown) => e);
    expect(isStintClientError(failure, "network_error")).toBe(true);
    expect((failure as StintClientError).status).toBe(0);
    expect(broken.status).toBe("loading");
    expect(broken.metrics().errors).toBe(1);
    broken.close();
  });

  it("counts syncs, their time and errors", async () => {
    const { tabs, server, clock } = await setup(1);
    const { client } = tabs[0]!;
    // init: one read of the session, one of its state and one of the user's state.
    expect(client.metrics()).toMatchObject({ syncs: 3, errors: 0 });
    expect(client.metrics().lastSyncAt).toBe(clock.now());
    tabs[0]!.window.dispatchEvent(new Event("focus"));
    await clock.advance(100);
    expect(client.metrics().syncs).toBe(4);
    server.unavailable = true;
    tabs[0]!.window.dispatchEvent(new Event("focus"));
    await clock.advance(100);
    const metrics = client.metrics();
    expect(metrics.syncs).toBe(4);
    expect(metrics.errors).toBe(1);
    expect(metrics.averageSyncMs).toBeGreaterThanOrEqual(0);
    client.close();
  });
});
