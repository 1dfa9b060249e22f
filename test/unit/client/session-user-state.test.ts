import { describe, expect, it } from "vitest";
import { isStintClientError } from "../../../src/client/errors.js";
import { setup } from "./fakes.js";

describe("SessionClient: the user's state on every device", () => {
  it("reads the user's state with the session, and has none while anonymous", async () => {
    const { tabs, server } = await setup(1, { signedIn: false });
    const [tab] = tabs;
    expect(tab!.client.userState).toEqual({});
    expect(server.countRequests("GET", "/api/user/state")).toBe(0);
    server.patchUserState("u_alice", { theme: "dark" });
    await tab!.client.login({ username: "alice", password: "correct horse" });
    expect(tab!.client.userState).toEqual({ theme: "dark" });
    expect(tab!.client.userStateVersion).toBe(1);
    expect(tab!.client.getSnapshot().userState).toEqual({ theme: "dark" });
    tab!.close();
  });

  it("a change in one tab reaches the others as `user-state` from a tab", async () => {
    const { tabs, clock } = await setup(3);
    const [one, two, three] = tabs;
    await one!.client.setUserState({ theme: "dark", language: "fr" });
    await clock.advance(100);
    expect(one!.eventsOf("user-state")).toEqual([
      { state: { theme: "dark", language: "fr" }, version: 1, source: "local" },
    ]);
    for (const tab of [two, three]) {
      expect(tab!.client.userState).toEqual({ theme: "dark", language: "fr" });
      expect(tab!.eventsOf("user-state")).toEqual([
        { state: { theme: "dark", language: "fr" }, version: 1, source: "tab" },
      ]);
    }
    await three!.client.unsetUserState(["language"]);
    await clock.advance(100);
    expect(one!.client.userState).toEqual({ theme: "dark" });
    expect(one!.client.userStateVersion).toBe(2);
    // The session's own state is another thing.
    expect(one!.client.state).toEqual({});
    for (const tab of tabs) tab.close();
  });

  it("a change on another device reaches the leader over its stream and the other tabs from it", async () => {
    const { tabs, clock, server } = await setup(2);
    const leader = tabs.find((tab) => tab.client.isLeader)!;
    const follower = tabs.find((tab) => !tab.client.isLeader)!;
    server.patchUserState("u_alice", { theme: "light" });
    await clock.advance(200);
    expect(leader.eventsOf("user-state")).toEqual([{ state: { theme: "light" }, version: 1, source: "remote" }]);
    expect(follower.eventsOf("user-state")).toEqual([{ state: { theme: "light" }, version: 1, source: "tab" }]);
    for (const tab of tabs) tab.close();
  });

  it("without a signed-in user, setUserState rejects with no_session and sends nothing; the session lives on", async () => {
    const { tabs, server } = await setup(1, { signedIn: false });
    const { client } = tabs[0]!;
    await client.setState({ workspace: "w1" });
    const error = await client.setUserState({ theme: "dark" }).catch((failure: unknown) => failure);
    expect(isStintClientError(error, "no_session")).toBe(true);
    expect(server.countRequests("PATCH", "/api/user/state")).toBe(0);
    expect(client.session).not.toBeNull();
    expect(client.state).toEqual({ workspace: "w1" });
    client.close();
  });

  it("a stale ifVersion rejects with conflict after reading the current state", async () => {
    const { tabs, server } = await setup(1);
    const { client } = tabs[0]!;
    server.patchUserState("u_alice", { theme: "light" });
    const error = await client.setUserState({ theme: "dark" }, { ifVersion: 0 }).catch((failure: unknown) => failure);
    expect(isStintClientError(error, "conflict")).toBe(true);
    expect(client.userState).toEqual({ theme: "light" });
    expect(client.userStateVersion).toBe(1);
    client.close();
  });

  it("forgets the user's state at sign-out", async () => {
    const { tabs, clock } = await setup(2);
    await tabs[0]!.client.setUserState({ theme: "dark" });
    await tabs[0]!.client.logout();
    await clock.advance(100);
    for (const tab of tabs) {
      expect(tab.client.userState).toEqual({});
      expect(tab.client.userStateVersion).toBe(0);
    }
    for (const tab of tabs) tab.close();
  });
});

describe("SessionClient: the app's own messages between tabs", () => {
  it("broadcast reaches every other tab of the browser, never the sender", async () => {
    const { tabs, clock } = await setup(3);
    const [one, two, three] = tabs;
    one!.client.broadcast("session_selected", { sessionId: "my_session", chats: [1, 2] });
    await clock.advance(10);
    expect(one!.eventsOf("message")).toEqual([]);
    for (const tab of [two, three]) {
      expect(tab!.eventsOf("message")).toEqual([
        { type: "session_selected", data: { sessionId: "my_session", chats: [1, 2] }, source: "tab" },
      ]);
    }
    for (const tab of tabs) tab.close();
  });

  it("sends plain JSON only, under 16 KiB, under a plain name, and never the CSRF token", async () => {
    const { tabs, browser, clock } = await setup(2);
    const [one, two] = tabs;
    const token = await one!.client.getCsrfToken();
    expect(() => one!.client.broadcast("leak", { token })).toThrow(/CSRF/);
    expect(() => one!.client.broadcast("leak", `prefix ${token}`)).toThrow(/CSRF/);
    expect(() => one!.client.broadcast("big", "x".repeat(17 * 1024))).toThrow(/16384 bytes/);
    expect(() => one!.client.broadcast("fn", () => 1)).toThrow(TypeError);
    expect(() =>
      one!.client.broadcast(
        "cycle",
        (() => {
          const a: Record<string, unknown> = {};
          a.a = a;
          return a;
        })(),
      ),
    ).toThrow(TypeError);
    expect(() => one!.client.broadcast("<script>", 1)).toThrow(TypeError);
    expect(() => one!.client.broadcast("", 1)).toThrow(TypeError);
    // A Date is sent as JSON would send it; the listener gets a fresh plain copy.
    const sent = { at: new Date(0), nested: { n: 1 } };
    one!.client.broadcast("copy", sent);
    await clock.advance(10);
    const [received] = two!.eventsOf("message") as Array<{ data: { at: unknown; nested: object } }>;
    expect(received?.data).toEqual({ at: "1970-01-01T00:00:00.000Z", nested: { n: 1 } });
    expect(received?.data.nested).not.toBe(sent.nested);
    // Malformed app messages from a hostile script are dropped without an exception.
    browser.hub.inject({ v: 1, type: "message", name: "x", at: 1, from: "evil" });
    browser.hub.inject({ v: 1, type: "message", name: "bad name!", data: 1, at: 1, from: "evil" });
    browser.hub.inject({ v: 1, type: "message", name: "big", data: "y".repeat(20_000), at: 1, from: "evil" });
    browser.hub.inject(JSON.stringify({ v: 1, type: "message", name: "ok", data: { a: 1 }, at: 1, from: "other" }));
    await clock.advance(10);
    expect((two!.eventsOf("message") as Array<{ type: string }>).map((message) => message.type)).toEqual([
      "copy",
      "ok",
    ]);
    for (const tab of tabs) tab.close();
  });
});
