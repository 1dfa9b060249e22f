import type { Page } from "playwright-core";
import { describe, expect, it } from "vitest";
import {
  agentOf,
  allHeard,
  arrivedAt,
  clickSignOut,
  createAccount,
  EVENTS_PATH,
  eventTime,
  leaders,
  openTabs,
  recordMeasure,
  serverSpread,
  signedInTabs,
  skipBrowser,
  sleep,
  submitLogin,
  theLeader,
  toFront,
  useChromium,
  useDemoServer,
  WAIT_MS,
  waitUntil,
  watchEvent,
} from "./support.js";

/** Three tabs of one browser (one context) following each other (API.md, "The demo pages"). */
describe.skipIf(skipBrowser)("demo in Chromium: three tabs of one browser", () => {
  const chromium = useChromium();
  const demo = useDemoServer();

  it("sign-in in one tab takes the others to the dashboard, sign-out sends every tab to /login", async () => {
    const { server } = demo;
    const username = await createAccount(server);
    const context = await chromium.newContext();
    const tabs = await openTabs(context, server, 3, "/login");
    const [first, second] = tabs as [Page, Page, Page];

    await watchEvent(tabs, "login");
    await toFront(first);
    const signInStarted = Date.now();
    await submitLogin(first, username);
    const signedIn = await Promise.all(tabs.map((tab) => arrivedAt(tab, "/")));
    const signInMs = Math.max(...signedIn) - signInStarted;
    const signInHeardMs = (await allHeard(tabs, "login")) - signInStarted;
    // From the sign-in answer in the first tab to the last tab asking the server for /.
    const signIn = serverSpread(
      server.requestsSince(signInStarted, agentOf(context)),
      { method: "POST", path: "/api/auth/login" },
      { method: "GET", path: "/" },
    );
    expect(signIn.followers).toHaveLength(3);
    const signInServerMs = signIn.ms;
    for (const tab of tabs) await expect(tab.locator("h1").innerText()).resolves.toContain(username);

    await watchEvent(tabs, "logout");
    await toFront(second);
    const signOutStarted = Date.now();
    await clickSignOut(second);
    const signedOut = await Promise.all(tabs.map((tab) => arrivedAt(tab, "/login")));
    const signOutMs = Math.max(...signedOut) - signOutStarted;
    const signOutHeardMs = (await allHeard(tabs, "logout")) - signOutStarted;
    // The server saw the sign-out first, then every tab asking for /login.
    const signOut = serverSpread(
      server.requestsSince(signOutStarted, agentOf(context)),
      { method: "DELETE", path: "/api/session" },
      { method: "GET", path: "/login" },
    );
    expect(signOut.cause).toBeDefined();
    expect(signOut.followers).toHaveLength(3);
    const signOutServerMs = signOut.ms;
    for (const tab of tabs)
      await expect(tab.locator('[data-stint="notice"]').innerText()).resolves.toMatch(/signed out/i);

    await recordMeasure(
      "tabs3",
      { signInMs, signInHeardMs, signInServerMs, signOutMs, signOutHeardMs, signOutServerMs },
      `3 tabs: sign-in heard by every tab after ${signInHeardMs} ms, all on / after ${signInMs} ms ` +
        `(server: POST /api/auth/login → last GET / ${signInServerMs} ms); ` +
        `sign-out heard after ${signOutHeardMs} ms, all on /login after ${signOutMs} ms ` +
        `(server: DELETE /api/session → last GET /login ${signOutServerMs} ms)`,
    );
  });

  it("only one tab holds the event stream, and another takes over when it closes", async () => {
    const { server } = demo;
    const username = await createAccount(server);
    const context = await chromium.newContext();
    const agent = agentOf(context);
    const tabs = await signedInTabs(context, server, username, ["/", "/", "/"]);

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
    const next = await theLeader(rest);
    const ledAt = await eventTime(next, "leader");
    await waitUntil(
      () => server.requestsSince(closedAt, agent).some((seen) => seen.path === EVENTS_PATH),
      "a new event stream request",
    );
    const streamAt = server.requestsSince(closedAt, agent).find((seen) => seen.path === EVENTS_PATH)?.at ?? 0;
    const takeoverMs = (ledAt ?? Number.POSITIVE_INFINITY) - closedAt;
    const streamMs = streamAt - closedAt;
    await waitUntil(() => server.openStreams(agent) === 1, "the old stream closed, the new one open");
    expect(await leaders(rest)).toEqual([next]);

    await recordMeasure(
      "takeover",
      { takeoverMs, newStreamMs: streamMs },
      `leader takeover: new leader ${takeoverMs} ms after the leading tab closed, its event stream at the server after ${streamMs} ms`,
    );
  });

  it("a workspace switch in one tab appears in the others, with a toast", async () => {
    const { server } = demo;
    const username = await createAccount(server);
    const context = await chromium.newContext();
    const tabs = await signedInTabs(context, server, username, ["/", "/", "/"]);
    const [origin, ...others] = tabs as [Page, Page, Page];
    await theLeader(tabs);
    for (const tab of tabs) await expect(workspaceOf(tab)).resolves.toBe("acme");

    await watchEvent(others, "state");
    await origin.bringToFront();
    const changedAt = Date.now();
    await origin.selectOption('select[name="workspace"]', "globex");
    for (const tab of others) {
      await tab.waitForFunction(
        () => document.querySelector<HTMLSelectElement>('select[name="workspace"]')?.value === "globex",
        undefined,
        { timeout: WAIT_MS, polling: 50 },
      );
      await tab.waitForSelector('[data-stint="toast"]:text-matches("^Updated from another tab")', { timeout: WAIT_MS });
      await expect(tab.locator('[data-stint="workspace-label"]').textContent()).resolves.toBe("Globex");
    }
    const stateMs = (await allHeard(others, "state")) - changedAt;
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
