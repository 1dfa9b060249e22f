import type { Page } from "playwright-core";
import { describe, expect, it } from "vitest";
import {
  agentOf,
  arrivedAt,
  clickSignOut,
  createAccount,
  EVENTS_PATH,
  eventTime,
  leaders,
  openTabs,
  recordMeasure,
  signIn,
  skipBrowser,
  sleep,
  submitLogin,
  theLeader,
  useChromium,
  useDemoServer,
  waitUntil,
  watchEvent,
} from "./support.js";

/** Three tabs of one browser (one context) following each other (API.md, "The demo pages"). */
describe.skipIf(skipBrowser)("demo in Chromium: three tabs of one browser", () => {
  const chromium = useChromium();
  const demo = useDemoServer();

  it("sign-in in one tab takes the others to the dashboard, sign-out sends every tab to /login, each within a second", async () => {
    const { server } = demo;
    const username = await createAccount(server);
    const context = await chromium.newContext();
    const tabs = await openTabs(context, server, 3, "/login");
    const [first, second] = tabs as [Page, Page, Page];

    const signInStarted = Date.now();
    await submitLogin(first, username);
    const signedIn = await Promise.all(tabs.map((tab) => arrivedAt(tab, "/")));
    const signInMs = Math.max(...signedIn) - signInStarted;
    console.log("REQ", server.requestsSince(signInStarted - 100).map((r) => `${r.at - signInStarted} ${r.method} ${r.path}`).join("\n"));
    console.log("DEBUG", signedIn.map((t) => t - signInStarted), await Promise.all(tabs.map((t) => t.evaluate(() => [document.visibilityState, document.hasFocus()]))));
    expect(signInMs).toBeLessThan(1000);
    for (const tab of tabs) await expect(tab.locator("h1").innerText()).resolves.toContain(username);

    const signOutStarted = Date.now();
    await clickSignOut(second);
    const signedOut = await Promise.all(tabs.map((tab) => arrivedAt(tab, "/login")));
    const signOutMs = Math.max(...signedOut) - signOutStarted;
    expect(signOutMs).toBeLessThan(1000);
    // The server saw the sign-out first, then every tab asking for /login.
    const requests = server.requestsSince(signOutStarted, agentOf(context));
    const deleted = requests.find((seen) => seen.method === "DELETE" && seen.path === "/api/session");
    const logins = requests.filter((seen) => seen.method === "GET" && seen.path === "/login");
    expect(deleted).toBeDefined();
    expect(logins).toHaveLength(3);
    const serverMs = Math.max(...logins.map((seen) => seen.at)) - (deleted?.at ?? 0);
    for (const tab of tabs) await expect(tab.locator('[data-stint="notice"]').innerText()).resolves.toMatch(/signed out/i);

    await recordMeasure(
      "tabs3",
      { signInMs, signOutMs, signOutServerMs: serverMs },
      `3 tabs: sign-in reached every tab in ${signInMs} ms, sign-out in ${signOutMs} ms ` +
        `(server: DELETE /api/session → last GET /login ${serverMs} ms)`,
    );
  });

  it("only one tab holds the event stream, and another takes over within a second when it closes", async () => {
    const { server } = demo;
    const username = await createAccount(server);
    const context = await chromium.newContext();
    const agent = agentOf(context);
    const [first] = await openTabs(context, server, 1, "/login");
    await signIn(first!, server, username);
    const tabs = [first!, ...(await openTabs(context, server, 2, "/"))];

    const leader = await theLeader(tabs);
    await waitUntil(() => server.openStreams(agent) === 1, "one open event stream");
    // Idle for a while: still one leader, one stream, and no new stream requests.
    const quietSince = Date.now();
    await sleep(1500);
    expect(await leaders(tabs)).toEqual([leader]);
    expect(server.openStreams(agent)).toBe(1);
    expect(server.requestsSince(quietSince, agent).filter((seen) => seen.path === EVENTS_PATH)).toEqual([]);
    await expect(leader.locator('[data-stint="tab-role"]').innerText()).resolves.toMatch(/Leading tab/);

    const rest = tabs.filter((tab) => tab !== leader);
    await watchEvent(rest, "leader");
    const closedAt = Date.now();
    await leader.close();
    const next = await theLeader(rest, 2000);
    const ledAt = await eventTime(next, "leader");
    await waitUntil(
      () => server.requestsSince(closedAt, agent).some((seen) => seen.path === EVENTS_PATH),
      "a new event stream request",
    );
    const streamAt = server.requestsSince(closedAt, agent).find((seen) => seen.path === EVENTS_PATH)?.at ?? 0;
    const takeoverMs = (ledAt ?? Number.POSITIVE_INFINITY) - closedAt;
    const streamMs = streamAt - closedAt;
    expect(takeoverMs).toBeLessThan(1000);
    expect(streamMs).toBeLessThan(1000);
    await waitUntil(() => server.openStreams(agent) === 1, "the old stream closed, the new one open");
    expect(await leaders(rest)).toEqual([next]);

    await recordMeasure(
      "takeover",
      { takeoverMs, newStreamMs: streamMs },
      `leader takeover: new leader ${takeoverMs} ms after the leading tab closed, its event stream at the server after ${streamMs} ms`,
    );
  });

  it("a workspace switch in one tab appears in the others within a second, with a toast", async () => {
    const { server } = demo;
    const username = await createAccount(server);
    const context = await chromium.newContext();
    const [first] = await openTabs(context, server, 1, "/login");
    await signIn(first!, server, username);
    const tabs = [first!, ...(await openTabs(context, server, 2, "/"))];
    const [origin, ...others] = tabs as [Page, Page, Page];
    await theLeader(tabs);
    for (const tab of tabs) await expect(workspaceOf(tab)).resolves.toBe("acme");

    await watchEvent(others, "state");
    const changedAt = Date.now();
    await origin.selectOption('select[name="workspace"]', "globex");
    for (const tab of others) {
      await tab.waitForFunction(
        () => document.querySelector<HTMLSelectElement>('select[name="workspace"]')?.value === "globex",
        undefined,
        { timeout: 2000 },
      );
      await tab.waitForSelector('[data-stint="toast"]:text-matches("^Updated from another tab")', { timeout: 2000 });
      await expect(tab.locator('[data-stint="workspace-label"]').textContent()).resolves.toBe("Globex");
    }
    const arrivals = await Promise.all(others.map((tab) => eventTime(tab, "state")));
    const stateMs = Math.max(...arrivals.map((at) => (at ?? Number.POSITIVE_INFINITY) - changedAt));
    expect(stateMs).toBeLessThan(1000);
    // The tab that made the change says nothing about "another tab".
    await expect(origin.locator('[data-stint="toast"]').allInnerTexts()).resolves.not.toContainEqual(
      expect.stringMatching(/^Updated from another tab/),
    );
    await expect(origin.locator('[data-stint="save-status"]').innerText()).resolves.toBe("Saved.");

    await recordMeasure(
      "state3",
      { stateMs },
      `3 tabs: a workspace switch reached the other tabs' clients in ${stateMs} ms`,
    );
  });
});

function workspaceOf(page: Page): Promise<string> {
  return page.locator('select[name="workspace"]').inputValue();
}
