import type { BrowserContext, Page } from "playwright-core";
import { describe, expect, it } from "vitest";
import {
  agentOf,
  allHeard,
  arrivedAt,
  clickSignOut,
  createAccount,
  EVENTS_PATH,
  leaders,
  serverSpread,
  signedInTabs,
  skipBrowser,
  sleep,
  theLeader,
  toFront,
  useChromium,
  useDemoServer,
  WAIT_MS,
  waitUntil,
  watchEvent,
} from "./support.js";

/** How long the browsers sit idle while the server counts what they ask. */
const IDLE_MS = 5_000;
const SIZES = [1, 3, 10] as const;

/**
 * Idle tabs cost the server what one tab costs, and a sign-out reaches ten tabs. Behaviour
 * only: the figures (requests per minute, milliseconds to spread) are measured by the
 * benchmark (bench/scenarios/browser-tabs.ts), not asserted here.
 */
describe.skipIf(skipBrowser)("demo in Chromium: idle tabs", () => {
  const chromium = useChromium();
  const demo = useDemoServer();

  it("1, 3 and 10 idle tabs each hold one event stream and ask no more than one tab does; a sign-out reaches all 10", async () => {
    const { server } = demo;
    const browsers = await Promise.all(
      SIZES.map(async (size): Promise<{ size: number; context: BrowserContext; tabs: Page[] }> => {
        const username = await createAccount(server);
        const context = await chromium.newContext();
        const paths = Array.from({ length: size }, () => "/");
        return { size, context, tabs: await signedInTabs(context, server, username, paths) };
      }),
    );
    for (const { context, tabs } of browsers) {
      await theLeader(tabs, WAIT_MS);
      await waitUntil(() => server.openStreams(agentOf(context)) === 1, "one event stream per browser", WAIT_MS);
    }
    // Let the page loads' own requests (state reads, leader sync) settle before counting.
    await sleep(1000);

    const since = Date.now();
    await sleep(IDLE_MS);
    const asked: Record<number, number> = {};
    for (const { size, context, tabs } of browsers) {
      const agent = agentOf(context);
      const seen = server.requestsSince(since, agent);
      asked[size] = seen.length;
      // Still one leader and one stream, which did not need reopening.
      expect((await leaders(tabs)).length).toBe(1);
      expect(server.openStreams(agent)).toBe(1);
      expect(seen.filter((request) => request.path === EVENTS_PATH)).toEqual([]);
    }
    // Counts over the same window, side by side: more tabs ask for nothing more.
    expect(asked[3]).toBeLessThanOrEqual((asked[1] ?? 0) + 2);
    expect(asked[10]).toBeLessThanOrEqual((asked[1] ?? 0) + 2);

    const ten = browsers.find((entry) => entry.size === 10)!;
    await watchEvent(ten.tabs, "logout");
    await toFront(ten.tabs[4]!);
    const signOutStarted = Date.now();
    await clickSignOut(ten.tabs[4]!);
    await Promise.all(ten.tabs.map((tab) => arrivedAt(tab, "/login", WAIT_MS)));
    await allHeard(ten.tabs, "logout", WAIT_MS);
    const signOut = serverSpread(
      server.requestsSince(signOutStarted, agentOf(ten.context)),
      { method: "DELETE", path: "/api/session" },
      { method: "GET", path: "/login" },
    );
    expect(signOut.cause).toBeDefined();
    expect(signOut.followers).toHaveLength(10);
  }, 90_000);
});
