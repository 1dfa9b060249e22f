import { describe, expect, it } from "vitest";
import { FakeBrowser, FakeClock, FakeServer, settle } from "./fakes.js";

/** One tab on a server whose clock runs `skewMs` ahead of the browser's; idle timeout 10 min. */
async function skewed(skewMs: number, options: { autoExtend?: { throttleSeconds: number }; tabs?: number } = {}) {
  const clock = new FakeClock();
  const server = new FakeServer(clock);
  server.skewMs = skewMs;
  const browser = new FakeBrowser(server, clock);
  browser.cookie = server.signIn("alice");
  const tabs = Array.from({ length: options.tabs ?? 1 }, () =>
    browser.openTab({ warningThresholdSeconds: 60, autoExtend: options.autoExtend ?? false, pollIntervalSeconds: 0 }),
  );
  await Promise.all(tabs.map((tab) => tab.client.init()));
  await settle();
  return { clock, server, browser, tabs, tab: tabs[0]! };
}

describe("SessionClient expiry", () => {
  it.each([
    ["the same", 0],
    ["two minutes ahead", 120_000],
    ["two minutes behind", -120_000],
    ["a year ahead", 365 * 24 * 3600_000],
  ])("warns at the threshold by the server's expiresAt when the server's clock is %s", async (_name, skewMs) => {
    const { clock, tab } = await skewed(skewMs);
    expect(tab.client.remainingSeconds).toBeGreaterThanOrEqual(599);
    expect(tab.client.remainingSeconds).toBeLessThanOrEqual(601);
    // Idle timeout 10 min, threshold 60 s: the warning is due 540 s in, give or take the
    // Date header's one-second resolution.
    await clock.advance(538_000);
    expect(tab.eventsOf("warning")).toEqual([]);
    await clock.advance(3000);
    const warnings = tab.eventsOf("warning") as Array<{ remainingSeconds: number }>;
    expect(warnings).toHaveLength(1);
    expect(warnings[0]!.remainingSeconds).toBeGreaterThanOrEqual(57);
    expect(warnings[0]!.remainingSeconds).toBeLessThanOrEqual(60);
    tab.close();
  });

  it("emits expired at the expiry, in every tab, and stops its timers", async () => {
    const { clock, tabs, server } = await skewed(120_000, { tabs: 3 });
    await clock.advance(598_000);
    expect(tabs[0]!.eventsOf("expired")).toEqual([]);
    await clock.advance(4000);
    for (const tab of tabs) {
      expect(tab.eventsOf("expired")).toHaveLength(1);
      expect(tab.client.status).toBe("expired");
      expect(tab.client.user).toBeNull();
    }
    expect(server.openStreams()).toHaveLength(0);
    for (const tab of tabs) tab.close();
    expect(clock.pending).toBe(0);
  });

  it("does not warn when another tab extended the session meanwhile", async () => {
    const { clock, tabs } = await skewed(0, { tabs: 2 });
    await clock.advance(500_000);
    await tabs[1]!.client.extend();
    await clock.advance(100);
    // The first tab heard "extended", re-read the session and moved its timers.
    await clock.advance(100_000);
    expect(tabs[0]!.eventsOf("warning")).toEqual([]);
    expect(tabs[0]!.client.remainingSeconds).toBeGreaterThan(400);
    for (const tab of tabs) tab.close();
  });

  it("re-arms the warning for a new threshold", async () => {
    const { clock, tab } = await skewed(0);
    tab.client.setWarningThreshold(300);
    await clock.advance(301_000);
    expect(tab.eventsOf("warning")).toHaveLength(1);
    tab.close();
  });

  it("extends on activity in any tab, at most once per throttle window, from the leader", async () => {
    const { clock, tabs, server, browser } = await skewed(0, { autoExtend: { throttleSeconds: 30 }, tabs: 3 });
    const [leader, follower, other] = tabs;
    expect(leader!.client.isLeader).toBe(true);
    const extendsBefore = server.countRequests("POST", "/api/session/extend");
    // A busy user in a follower tab for 100 seconds.
    for (let second = 0; second < 100; second++) {
      follower!.window.dispatchEvent(new Event("pointermove"));
      other!.window.dispatchEvent(new Event("keydown"));
      await clock.advance(1000);
    }
    const extensions = server.countRequests("POST", "/api/session/extend") - extendsBefore;
    expect(extensions).toBeGreaterThanOrEqual(3);
    expect(extensions).toBeLessThanOrEqual(4);
    // Only the leader posted them, and followers sent few activity signals.
    const activity = browser.hub.sentMessages().filter((m) => m.type === "activity");
    expect(activity.length).toBeGreaterThan(0);
    expect(activity.length).toBeLessThanOrEqual(2 * 4);
    expect(follower!.eventsOf("warning")).toEqual([]);
    for (const tab of tabs) tab.close();
  });

  it("does not extend on activity when auto-extend is off, until it is turned on", async () => {
    const { clock, tab, server } = await skewed(0);
    tab.window.dispatchEvent(new Event("pointerdown"));
    await clock.advance(100);
    expect(server.countRequests("POST", "/api/session/extend")).toBe(0);
    tab.client.setAutoExtend({ throttleSeconds: 10 });
    tab.window.dispatchEvent(new Event("pointerdown"));
    await clock.advance(100);
    expect(server.countRequests("POST", "/api/session/extend")).toBe(1);
    tab.client.setAutoExtend(false);
    await clock.advance(20_000);
    tab.window.dispatchEvent(new Event("pointerdown"));
    await clock.advance(100);
    expect(server.countRequests("POST", "/api/session/extend")).toBe(1);
    tab.close();
  });
});
