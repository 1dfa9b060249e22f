import { describe, expect, it } from "vitest";
import { setup } from "./fakes.js";

describe("SessionClient leadership", () => {
  it("opens the event stream in the leader tab only", async () => {
    const { tabs, server } = await setup(4);
    const leaders = tabs.filter((tab) => tab.client.isLeader);
    expect(leaders).toHaveLength(1);
    expect(server.openStreams()).toHaveLength(1);
    expect(server.openStreams()[0]?.tabId).toBe(leaders[0]?.client.tabId);
    expect(server.openStreams()[0]?.url).toBe("/api/session/events");
    expect(tabs[0]!.eventsOf("leader")).toEqual([{ isLeader: true }]);
    for (const t of tabs) t.close();
  });

  it("opens no stream without a session", async () => {
    const { tabs, server } = await setup(2, { signedIn: false });
    expect(server.streams).toHaveLength(0);
    for (const t of tabs) t.close();
  });

  it("hands the stream to another tab within a second when the leader closes", async () => {
    const { tabs, server, clock } = await setup(3);
    const [one, two, three] = tabs;
    expect(one!.client.isLeader).toBe(true);
    one!.close();
    await clock.advance(1000);
    expect([two, three].filter((tab) => tab!.client.isLeader)).toHaveLength(1);
    expect(server.openStreams()).toHaveLength(1);
    expect(server.openStreams()[0]?.tabId).toBe(two!.client.tabId);
    for (const t of tabs) t.close();
  });

  it("relays what the stream says to the other tabs, which then read the server", async () => {
    const { tabs, server, clock, browser } = await setup(3);
    const sessionId = server.sessionOf(browser.cookie)!.id;
    // A change made by another client of this session reaches us only through the stream.
    server.patchState(sessionId, { workspace: "w3" });
    await clock.advance(200);
    for (const tab of tabs) expect(tab.client.state).toEqual({ workspace: "w3" });
    expect(tabs[0]!.eventsOf("state")).toEqual([{ state: { workspace: "w3" }, version: 1, source: "remote" }]);
    expect(tabs[1]!.eventsOf("state")).toEqual([{ state: { workspace: "w3" }, version: 1, source: "tab" }]);
    for (const t of tabs) t.close();
  });

  it("makes every tab emit revoked when the session is revoked, and stops the stream for good", async () => {
    const { tabs, server, clock, browser } = await setup(3);
    const sessionId = server.sessionOf(browser.cookie)!.id;
    server.revoke(sessionId);
    await clock.advance(200);
    for (const tab of tabs) {
      expect(tab.client.status).toBe("expired");
      expect(tab.eventsOf("revoked")).toHaveLength(1);
    }
    await clock.advance(120_000);
    expect(server.openStreams()).toHaveLength(0);
    expect(server.streams).toHaveLength(1);
    for (const t of tabs) t.close();
  });

  it("reconnects a dropped stream with backoff while the session lives, then reads the missed state", async () => {
    const { tabs, server, clock, browser } = await setup(2);
    const first = server.openStreams()[0]!;
    const stateReads = server.countRequests("GET", "/api/session/state");
    server.patchState(server.sessionOf(browser.cookie)!.id, { missed: true });
    first.fire("error");
    await clock.advance(100);
    expect(first.closed).toBe(true);
    await clock.advance(1100);
    expect(server.openStreams()).toHaveLength(1);
    expect(server.openStreams()[0]).not.toBe(first);
    await clock.advance(100);
    expect(server.countRequests("GET", "/api/session/state")).toBeGreaterThan(stateReads);
    expect(tabs[1]!.client.state).toEqual({ missed: true });
    for (const t of tabs) t.close();
  });

  it("does not reconnect once the session is gone, and tells every tab it expired", async () => {
    const { tabs, server, clock } = await setup(2);
    const first = server.openStreams()[0]!;
    server.sessions.clear();
    first.fire("error");
    await clock.advance(60_000);
    expect(server.openStreams()).toHaveLength(0);
    expect(server.streams).toHaveLength(1);
    for (const tab of tabs) expect(tab.eventsOf("expired")).toHaveLength(1);
    for (const t of tabs) t.close();
  });

  it("restarts the stream for the new session after a login", async () => {
    const { tabs, server, clock } = await setup(2, { signedIn: false });
    await tabs[1]!.client.login({ username: "bob", password: "battery staple" });
    await clock.advance(200);
    expect(server.openStreams()).toHaveLength(1);
    expect(server.openStreams()[0]?.tabId).toBe(tabs[0]!.client.tabId);
    expect(server.openStreams()[0]?.sessionId).toBe(tabs[0]!.client.session?.id);
    for (const t of tabs) t.close();
  });

  it("polls only in the leader, passively", async () => {
    const { tabs, server, clock } = await setup(3, { pollIntervalSeconds: 10 });
    const before = server.countRequests("GET", "/api/session");
    await clock.advance(60_000);
    expect(server.countRequests("GET", "/api/session") - before).toBe(6);
    for (const t of tabs) t.close();
  });

  it("cleans everything up on close", async () => {
    const { tabs, server, clock, browser } = await setup(2, { autoExtend: true });
    for (const tab of tabs) tab.close();
    await clock.advance(10);
    expect(clock.pending).toBe(0);
    expect(server.openStreams()).toHaveLength(0);
    expect(browser.locks.isHeld("stint:leader")).toBe(false);
    const requests = server.requests.length;
    browser.hub.inject({ v: 1, type: "login", at: clock.now(), from: "x" });
    tabs[0]!.window.dispatchEvent(new Event("focus"));
    await clock.advance(1000);
    expect(server.requests.length).toBe(requests);
  });
});
