/**
 * The browser client: server requests per minute for 1, 3 and 10 idle tabs of the demo
 * dashboard, signed in. Real Chromium, through the browser tests' helpers
 * (test/browser/support.ts): each tab count is its own browser context (its own cookies,
 * storage and tab channel), all three side by side against one `stint serve`-equivalent
 * server in this process (createStint on SQLite + serve + the demo pages, with `stint serve`'s
 * default timeouts), which records every request with its User-Agent.
 *
 * The idle window is mostly waiting, so the run uses it for `alongside`: scenarios that count
 * rather than time (store operations, the memory store's heap), whose load does not change
 * what idle tabs ask for. Nothing timed runs then.
 *
 * After the window, one timed step (the test suite checks only that it happens): a sign-out
 * in one of the ten tabs, and how long until every tab's client heard it, every tab is on
 * /login, and the server saw the last of those page requests.
 */
import { existsSync } from "node:fs";
import type { Browser } from "playwright-core";
import {
  allHeard,
  arrivedAt,
  CHROMIUM_PATH,
  clickSignOut,
  createAccount,
  EVENTS_PATH,
  ensureDemoBundle,
  launchChromium,
  type SeenRequest,
  serverSpread,
  signedInTabs,
  startDemoServer,
  theLeader,
  watchEvent,
} from "../../test/browser/support.js";
import type { RunContext } from "../lib/context.js";
import { USER_AGENT } from "../servers/common.js";

export interface TabsRow {
  tabs: number;
  /** Requests while the tabs opened and signed in (page loads, assets, first API calls). */
  startupRequests: number;
  /** Event streams (GET /api/session/events) held open at the end of the window. */
  openStreams: number;
  requests: number;
  requestsPerMinute: number;
  /** What was asked, by "METHOD path", over the idle window. */
  paths: Record<string, number>;
}

/** A sign-out in one of ten tabs of one browser, in ms from the click. */
export interface SignOutSpread {
  tabs: number;
  /** Until every tab's client heard `logout`. */
  heardMs: number;
  /** Until every tab was on /login. */
  allOnLoginMs: number;
  /** At the server: from DELETE /api/session to the last tab's GET /login. */
  serverMs: number;
}

export interface BrowserTabsResult {
  seconds: number;
  rows: TabsRow[];
  signOut?: SignOutSpread;
  skipped?: string;
}

const TAB_COUNTS = [1, 3, 10];

export async function runBrowserTabs(run: RunContext, alongside: () => Promise<void>): Promise<BrowserTabsResult> {
  const seconds = run.profile.tabSeconds;
  if (!existsSync(CHROMIUM_PATH)) {
    await alongside();
    return { seconds, rows: [], skipped: `no Chromium at ${CHROMIUM_PATH} (apt-get install -y chromium)` };
  }
  await ensureDemoBundle();
  // `stint serve`'s timeouts (the browser tests shorten them).
  const server = await startDemoServer({ idleTimeout: "24h", absoluteTimeout: "7d" });
  let browser: Browser | undefined;
  try {
    browser = await launchChromium();
    const opened = Date.now();
    const pages = await Promise.all(
      TAB_COUNTS.map(async (tabs) => {
        const username = await createAccount(server);
        const context = await browser!.newContext({ userAgent: agentFor(tabs) });
        const tabPages = await signedInTabs(context, server, username, Array(tabs).fill("/"));
        await theLeader(tabPages);
        return tabPages;
      }),
    );
    // Let every tab finish starting (leader election, the leader's event stream) before counting.
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    run.log(`  ${TAB_COUNTS.join(", ")} idle tabs side by side for ${seconds} s`);
    const since = Date.now();
    const idle = new Promise((resolve) => setTimeout(resolve, seconds * 1000)).then(() =>
      TAB_COUNTS.map((tabs): TabsRow => {
        const seen = server.requestsSince(since, agentFor(tabs));
        return {
          tabs,
          startupRequests: server.requestsSince(opened, agentFor(tabs)).length - seen.length,
          openStreams: server.openStreams(agentFor(tabs)),
          requests: seen.length,
          requestsPerMinute: (seen.length / seconds) * 60,
          paths: byPath(seen),
        };
      }),
    );
    const [rows] = await Promise.all([idle, alongside()]);
    const ten = pages[TAB_COUNTS.indexOf(10)] ?? [];
    return { seconds, rows, signOut: await signOutSpread(server, ten) };
  } finally {
    await browser?.close();
    await server.close();
  }
}

async function signOutSpread(
  server: Awaited<ReturnType<typeof startDemoServer>>,
  tabs: Awaited<ReturnType<typeof signedInTabs>>,
): Promise<SignOutSpread> {
  await watchEvent(tabs, "logout");
  const started = Date.now();
  await clickSignOut(tabs[Math.floor(tabs.length / 2)]!);
  const arrivals = await Promise.all(tabs.map((tab) => arrivedAt(tab, "/login", 30_000)));
  const heard = await allHeard(tabs, "logout", 30_000);
  const spread = serverSpread(
    server.requestsSince(started, agentFor(tabs.length)),
    { method: "DELETE", path: "/api/session" },
    { method: "GET", path: "/login" },
  );
  return {
    tabs: tabs.length,
    heardMs: heard - started,
    allOnLoginMs: Math.max(...arrivals) - started,
    serverMs: spread.ms,
  };
}

const agentFor = (tabs: number) => `${USER_AGENT} StintBench/${tabs}-tabs`;

function byPath(requests: readonly SeenRequest[]): Record<string, number> {
  const paths: Record<string, number> = {};
  for (const { method, path } of requests) {
    const key = path === EVENTS_PATH ? `${method} ${path} (reconnect)` : `${method} ${path}`;
    paths[key] = (paths[key] ?? 0) + 1;
  }
  return paths;
}
