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
  recordMeasure,
  serverSpread,
  signedInTabs,
  skipBrowser,
  sleep,
  theLeader,
  toFront,
  useChromium,
  useDemoServer,
  waitUntil,
  watchEvent,
} from "./support.js";

/** How long each browser sits idle while the server counts its requests (override for a quick look). */
const IDLE_MS = Number(process.env.STINT_MEASURE_IDLE_MS ?? 20_000);
const SIZES = [1, 3, 10] as const;

/**
 * For the report: what idle tabs cost the server (target: ten tabs cost what one
 * costs), and how long a sign-out takes to reach ten tabs. The three browsers idle side by
 * side over the same window; the server tells their requests apart by user agent.
 */
describe.skipIf(skipBrowser)("demo in Chromium: measured", () => {
  const chromium = useChromium();
  const demo = useDemoServer();

  it("1, 3 and 10 idle tabs cost the server the same, and a sign-out reaches 10 tabs within a second", async () => {
    const { server } = demo;
    const browsers = await Promise.all(
      SIZES.map(async (size): Promise<{ size: number; context: BrowserContext; tabs: Page[] }> => {
        const username = await createAccount(server);
        const context = await chromium.newContext();
        return {
          size,
          context,
          tabs: await signedInTabs(
            context,
            server,
            username,
            Array.from({ length: size }, () => "/"),
          ),
        };
      }),
    );
    for (const { context, tabs } of browsers) {
      await theLeader(tabs);
      await waitUntil(() => server.openStreams(agentOf(context)) === 1, "one event stream per browser");
    }
    // Let the page loads' own requests (state reads, leader sync) settle before counting.
    await sleep(1000);

    const since = Date.now();
    await sleep(IDLE_MS);
    const minutes = (Date.now() - since) / 60_000;
    const perMinute: Record<string, number> = {};
    const streams: Record<string, number> = {};
    for (const { size, context, tabs } of browsers) {
      const agent = agentOf(context);
      const seen = server.requestsSince(since, agent);
      perMinute[size] = Math.round((seen.length / minutes) * 10) / 10;
      streams[size] = server.openStreams(agent);
      // Still one leader and one stream, which did not need reopening.
      expect((await leaders(tabs)).length).toBe(1);
      expect(streams[size]).toBe(1);
      expect(seen.filter((request) => request.path === EVENTS_PATH)).toEqual([]);
    }
    const one = perMinute[1] ?? 0;
    expect(perMinute[3]).toBeLessThanOrEqual(one + 3);
    expect(perMinute[10]).toBeLessThanOrEqual(one + 3);

    const ten = browsers.find((entry) => entry.size === 10)!;
    await watchEvent(ten.tabs, "logout");
    await toFront(ten.tabs[4]!);
    const signOutStarted = Date.now();
    await clickSignOut(ten.tabs[4]!);
    const arrivals = await Promise.all(ten.tabs.map((tab) => arrivedAt(tab, "/login")));
    const signOutMs = Math.max(...arrivals) - signOutStarted;
    const signOutHeardMs = (await allHeard(ten.tabs, "logout")) - signOutStarted;
    const signOut = serverSpread(
      server.requestsSince(signOutStarted, agentOf(ten.context)),
      { method: "DELETE", path: "/api/session" },
      { method: "GET", path: "/login" },
    );
    expect(signOut.followers).toHaveLength(10);
    const signOutServerMs = signOut.ms;
    // Every tab's client heard it within a second. Then ten pages unload and load at once on
    // a small machine, over at most six connections to one host, so the requests for /login
    // and the arrivals are bounded loosely.
    expect(signOutHeardMs).toBeLessThan(1000);
    expect(signOutServerMs).toBeLessThan(2000);
    expect(signOutMs).toBeLessThan(3000);

    await recordMeasure(
      "idle",
      { windowSeconds: Math.round(minutes * 60), requestsPerMinute: perMinute, openEventStreams: streams },
      `idle requests/min: 1 tab=${perMinute[1]}, 3 tabs=${perMinute[3]}, 10 tabs=${perMinute[10]} ` +
        `(over ${Math.round(minutes * 60)} s; open event streams: ${streams[1]}/${streams[3]}/${streams[10]})`,
    );
    await recordMeasure(
      "tabs10",
      { signOutHeardMs, signOutMs, signOutServerMs },
      `10 tabs: sign-out heard by every tab after ${signOutHeardMs} ms, all on /login after ${signOutMs} ms ` +
        `(server: DELETE /api/session → last GET /login ${signOutServerMs} ms)`,
    );
  }, 60_000);
});
