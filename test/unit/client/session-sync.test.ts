import { describe, expect, it } from "vitest";
import { setup } from "./fakes.js";

describe("SessionClient across tabs", () => {
  it("reads the session and its state on init", async () => {
    const { tabs, server, browser } = await setup(1);
    const [tab] = tabs;
    const client = tab!.client;
    expect(client.status).toBe("authenticated");
    expect(client.user).toEqual({ id: "u_alice", username: "alice" });
    expect(client.state).toEqual({});
    expect(client.version).toBe(0);
    const session = server.sessionOf(browser.cookie);
    expect(client.session?.id).toBe(session?.id);
    // The token came with SessionInfo: no extra request for it.
    const before = server.requests.length;
    expect(await client.getCsrfToken()).toBe(session?.csrf);
    expect(server.requests.length).toBe(before);
    for (const t of tabs) t.close();
  });

  it("is anonymous without a session, and a 401 on init is no error", async () => {
    const { tabs } = await setup(1, { signedIn: false });
    expect(tabs[0]!.client.status).toBe("anonymous");
    expect(tabs[0]!.eventsOf("error")).toEqual([]);
    expect(tabs[0]!.client.metrics().errors).toBe(0);
    for (const t of tabs) t.close();
  });

  it("tells every tab about a login, which each confirms with the server", async () => {
    const { tabs, clock, server } = await setup(3, { signedIn: false });
    const [one, two, three] = tabs;
    await one!.client.login({ username: "alice", password: "correct horse" });
    await clock.advance(100);
    for (const tab of [one, two, three]) {
      expect(tab!.client.status).toBe("authenticated");
      expect(tab!.eventsOf("login")).toHaveLength(1);
    }
    expect(one!.eventsOf("login")).toEqual([{ user: { id: "u_alice", username: "alice" }, source: "local" }]);
    expect(two!.eventsOf("login")).toEqual([{ user: { id: "u_alice", username: "alice" }, source: "tab" }]);
    // Each other tab asked the server itself (SR-84) rather than believing the signal.
    expect(server.countRequests("GET", "/api/session")).toBe(3 + 2);
    for (const t of tabs) t.close();
  });

  it("tells every tab about a state change, marked as coming from another tab", async () => {
    const { tabs, clock } = await setup(3);
    const [one, two, three] = tabs;
    await one!.client.setState({ workspace: "w2" });
    await clock.advance(100);
    expect(one!.eventsOf("state")).toEqual([{ state: { workspace: "w2" }, version: 1, source: "local" }]);
    for (const tab of [two, three]) {
      expect(tab!.client.state).toEqual({ workspace: "w2" });
      expect(tab!.client.version).toBe(1);
      expect(tab!.eventsOf("state")).toEqual([{ state: { workspace: "w2" }, version: 1, source: "tab" }]);
    }
    await two!.client.unset(["workspace"]);
    await clock.advance(100);
    expect(one!.client.state).toEqual({});
    expect(three!.client.version).toBe(2);
    for (const t of tabs) t.close();
  });

  it("tells every tab about a logout, which clears user, state and CSRF token even offline", async () => {
    const { tabs, clock, server } = await setup(3);
    const [one, two, three] = tabs;
    await one!.client.setState({ theme: "dark" });
    await clock.advance(100);
    // Tabs two and three cannot reach the server, and must clear anyway (SR-82).
    server.unavailable = true;
    const requestsBefore = server.requests.length;
    server.unavailable = false;
    await two!.client.logout();
    server.unavailable = true;
    await clock.advance(100);
    for (const tab of [one, two, three]) {
      expect(tab!.client.status).toBe("anonymous");
      expect(tab!.client.user).toBeNull();
      expect(tab!.client.state).toEqual({});
      expect(tab!.eventsOf("logout")).toHaveLength(1);
    }
    // Tab one leads: it hears the logout on the event stream before the other tab's signal.
    expect(one!.client.isLeader).toBe(true);
    expect(one!.eventsOf("logout")).toEqual([{ source: "remote" }]);
    expect(two!.eventsOf("logout")).toEqual([{ source: "local" }]);
    expect(three!.eventsOf("logout")).toEqual([{ source: "tab" }]);
    expect(server.requests.length).toBe(requestsBefore + 1);
    server.unavailable = false;
    // The dropped CSRF token must be fetched anew.
    await one!.client.getCsrfToken();
    expect(server.countRequests("GET", "/api/session/csrf-token")).toBe(1);
    for (const t of tabs) t.close();
  });

  it("collapses a burst of state signals into one state read", async () => {
    const { tabs, clock, server, browser } = await setup(2);
    const sessionId = server.sessionOf(browser.cookie)!.id;
    server.patchState(sessionId, { a: 1 });
    const reads = server.countRequests("GET", "/api/session/state");
    for (let version = 1; version <= 5; version++) {
      browser.hub.inject({ v: 1, type: "state", version, at: clock.now(), from: "elsewhere" });
      await clock.advance(5);
    }
    await clock.advance(100);
    // Two tabs, one read each.
    expect(server.countRequests("GET", "/api/session/state") - reads).toBe(2);
    expect(tabs[0]!.client.state).toEqual({ a: 1 });
    for (const t of tabs) t.close();
  });

  it("a tab whose read finds a newer version than the signal it answered tells the other tabs", async () => {
    // Tab three read version 1 and said so; before one and two read, another device made
    // version 2, whose stream event is still on its way. One and two learn of 2 from reads a
    // tab signal asked for, and the leader's stream event then brings nothing new to it:
    // three must hear of version 2 from them.
    const { tabs, clock, server, browser } = await setup(3);
    const three = tabs[2]!;
    const sessionId = server.sessionOf(browser.cookie)!.id;
    server.patchState(sessionId, { workspace: "w1" }, { announce: false });
    await three.client.refreshState();
    server.patchState(sessionId, { workspace: "w2" }, { announce: false });
    await clock.advance(100);
    server.announceState(sessionId);
    await clock.advance(100);
    for (const tab of tabs) {
      expect(tab.client.state).toEqual({ workspace: "w2" });
      expect(tab.client.version).toBe(2);
    }
    for (const t of tabs) t.close();
  });

  it("ignores state signals for a version it already has", async () => {
    const { tabs, clock, server, browser } = await setup(1);
    const reads = server.countRequests("GET", "/api/session/state");
    browser.hub.inject({ v: 1, type: "state", version: 0, at: clock.now(), from: "elsewhere" });
    await clock.advance(100);
    expect(server.countRequests("GET", "/api/session/state")).toBe(reads);
    for (const t of tabs) t.close();
  });

  it("ignores malformed messages without throwing or asking the server", async () => {
    const { tabs, clock, server, browser } = await setup(2);
    const requests = server.requests.length;
    const garbage: unknown[] = [
      null,
      "{",
      42,
      { type: "logout" },
      { type: "session", user: "mallory" },
      { v: 2, type: "logout", at: 1, from: "x" },
      { v: 1, type: "logout", at: "now", from: "x" },
      { v: 1, type: "drop_tables", at: 1, from: "x" },
      [1, 2, 3],
    ];
    expect(() => {
      for (const raw of garbage) browser.hub.inject(raw);
    }).not.toThrow();
    await clock.advance(200);
    expect(server.requests.length).toBe(requests);
    for (const tab of tabs) {
      expect(tab.client.status).toBe("authenticated");
      expect(tab.eventsOf("logout")).toEqual([]);
    }
    for (const t of tabs) t.close();
  });

  it("does not take a login signal as proof: it shows what the server says (SR-84)", async () => {
    const { tabs, clock, browser } = await setup(1, { signedIn: false });
    browser.hub.inject({ v: 1, type: "login", at: clock.now(), from: "forger" });
    await clock.advance(100);
    expect(tabs[0]!.client.status).toBe("anonymous");
    expect(tabs[0]!.eventsOf("login")).toEqual([]);
    for (const t of tabs) t.close();
  });

  it("never puts a token, the CSRF token, user or state data in a tab message", async () => {
    const { tabs, clock, server, browser } = await setup(3, { signedIn: false });
    const [one, two] = tabs;
    await one!.client.login({ username: "alice", password: "correct horse" });
    await clock.advance(100);
    await two!.client.setState({ workspace: "secret-workspace-name" });
    await clock.advance(60_000);
    await one!.client.extend();
    await clock.advance(100);
    const session = server.sessionOf(browser.cookie)!;
    const secrets = [
      browser.cookie!,
      session.secret,
      session.csrf,
      session.id,
      "alice",
      "u_alice",
      "secret-workspace-name",
    ];
    await two!.client.logout();
    await clock.advance(100);
    expect(browser.hub.sent.length).toBeGreaterThan(3);
    for (const wire of browser.hub.sent) {
      for (const secret of secrets) expect(wire).not.toContain(secret);
      expect(Object.keys(JSON.parse(wire)).every((key) => ["v", "type", "version", "at", "from"].includes(key))).toBe(
        true,
      );
    }
    const types = new Set(browser.hub.sentMessages().map((m) => m.type));
    expect([...types]).toEqual(expect.arrayContaining(["login", "state", "extended", "logout", "leader"]));
    for (const t of tabs) t.close();
  });

  it("never logs a token in debug mode", async () => {
    const lines: string[] = [];
    const { tabs, clock, server, browser } = await setup(2, {
      debug: (message, details) => lines.push(`${message} ${JSON.stringify(details ?? {})}`),
    });
    await tabs[0]!.client.setState({ k: "v" });
    await tabs[0]!.client.extend();
    await clock.advance(100);
    const session = server.sessionOf(browser.cookie)!;
    expect(lines.length).toBeGreaterThan(0);
    for (const line of lines) {
      for (const secret of [session.secret, session.csrf, browser.cookie!]) expect(line).not.toContain(secret);
    }
    for (const t of tabs) t.close();
  });
});
