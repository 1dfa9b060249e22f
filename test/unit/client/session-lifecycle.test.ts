import { describe, expect, it } from "vitest";
import { heartbeatLeader } from "../../../src/client/leader.js";
import { isWarning, needsTicking } from "../../../src/client/react/derive.js";
import { SessionClient } from "../../../src/client/session-client.js";
import { storageTabChannel } from "../../../src/client/tab-channel.js";
import { FakeBrowser, FakeClock, FakeServer, FakeStorageArea, settle } from "./fakes.js";

describe("SessionClient lifecycle", () => {
  it("keeps retrying a failed first read with backoff, then loads", async () => {
    const clock = new FakeClock();
    const server = new FakeServer(clock);
    const browser = new FakeBrowser(server, clock);
    browser.cookie = server.signIn();
    server.unavailable = true;
    const tab = browser.openTab();
    const failure = await tab.client.init().catch((error: unknown) => error);
    expect(failure).toMatchObject({ code: "store_unavailable", status: 503 });
    expect(tab.client.status).toBe("loading");
    await clock.advance(3000);
    expect(tab.client.status).toBe("loading");
    server.unavailable = false;
    await clock.advance(10_000);
    expect(tab.client.status).toBe("authenticated");
    tab.close();
  });

  it("restarts after close() when it made its own channel and leader (React StrictMode)", async () => {
    const clock = new FakeClock();
    const server = new FakeServer(clock);
    const browser = new FakeBrowser(server, clock);
    browser.cookie = server.signIn();
    const client = new SessionClient({ clock, fetch: browser.fetch, eventSource: null, window: null, document: null });
    const first = client.init();
    client.close();
    await first;
    await expect(client.init()).resolves.toMatchObject({ status: "authenticated" });
    client.close();
    await settle();
    expect(clock.pending).toBe(0);
  });

  it("refuses to restart with a channel it was given and has closed", async () => {
    const { tabs } = await setupOne();
    tabs.close();
    await expect(tabs.client.init()).rejects.toThrow(/cannot restart/);
  });

  it("works over the fallbacks: storage-event channel and heartbeat leadership", async () => {
    const clock = new FakeClock();
    const server = new FakeServer(clock);
    const browser = new FakeBrowser(server, clock);
    browser.cookie = server.signIn();
    const area = new FakeStorageArea();
    const tabs = [0, 1, 2].map((i) => {
      const { storage, target } = area.tab();
      const scope = clock.scope();
      return browser.openTab({
        clock: scope,
        channel: storageTabChannel("stint", storage, target),
        leader: heartbeatLeader("stint", { storage, target, clock: scope, tabId: `hb${i}` }),
      });
    });
    await Promise.all(tabs.map((tab) => tab.client.init()));
    await clock.advance(1000);
    expect(tabs.filter((tab) => tab.client.isLeader)).toHaveLength(1);
    expect(server.openStreams()).toHaveLength(1);
    await tabs[2]!.client.setState({ theme: "dark" });
    await clock.advance(200);
    expect(tabs[0]!.client.state).toEqual({ theme: "dark" });
    const leader = tabs.find((tab) => tab.client.isLeader)!;
    leader.close();
    await clock.advance(1000);
    expect(tabs.filter((tab) => tab !== leader && tab.client.isLeader)).toHaveLength(1);
    expect(server.openStreams()).toHaveLength(1);
    const survivor = tabs.find((tab) => tab !== leader)!;
    await survivor.client.logout();
    await clock.advance(200);
    for (const tab of tabs.filter((t) => t !== leader)) expect(tab.client.status).toBe("anonymous");
    // Signals are removed as soon as written and claims on close: storage ends empty (SR-82).
    for (const tab of tabs) tab.close();
    expect(area.size).toBe(0);
  });
});

describe("React helpers", () => {
  it("shows the warning only when signed in and within the threshold", () => {
    expect(isWarning("authenticated", 30, 60)).toBe(true);
    expect(isWarning("authenticated", 60, 60)).toBe(true);
    expect(isWarning("authenticated", 61, 60)).toBe(false);
    expect(isWarning("anonymous", 30, 60)).toBe(false);
    expect(isWarning("authenticated", null, 60)).toBe(false);
  });

  it("ticks only with a signed-in session that expires", () => {
    const base = { session: null, user: null, state: {}, version: 0, userState: {}, userStateVersion: 0 };
    expect(needsTicking({ ...base, status: "authenticated", expiresAt: 1 })).toBe(true);
    expect(needsTicking({ ...base, status: "expired", expiresAt: null })).toBe(false);
    expect(needsTicking({ ...base, status: "anonymous", expiresAt: 1 })).toBe(false);
  });
});

async function setupOne() {
  const clock = new FakeClock();
  const server = new FakeServer(clock);
  const browser = new FakeBrowser(server, clock);
  browser.cookie = server.signIn();
  const tab = browser.openTab();
  await tab.client.init();
  return { tabs: tab };
}
