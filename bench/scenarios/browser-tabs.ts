/**
 * The browser client: server requests per minute for 1, 3 and 10 idle tabs of the demo
 * dashboard, signed in. Real Chromium (playwright-core); each tab count is its own browser
 * context (its own cookies, storage and tab channel), all three side by side against one
 * `stint serve`-equivalent server in this process (createStint + the node adapter + the demo
 * pages), which counts every request it gets by the context's User-Agent.
 *
 * The idle window is mostly waiting, so the run uses it for `alongside`: scenarios that count
 * rather than time (store operations, the memory store's heap), whose load does not change
 * what idle tabs ask for. Nothing timed runs then.
 */
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser } from "playwright-core";
import { nodeListener } from "../../src/adapters/node.js";
import { demoListener } from "../../src/demo/listener.js";
import { createPasswordHasher, createStint, memoryUserStore, sqliteStore } from "../../src/index.js";
import type { RunContext } from "../lib/context.js";
import { SECRET, USER_AGENT } from "../servers/common.js";

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

export interface BrowserTabsResult {
  seconds: number;
  rows: TabsRow[];
  skipped?: string;
}

const TAB_COUNTS = [1, 3, 10];
const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const ARGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];
const PASSWORD = "bench-password-0123";

export async function runBrowserTabs(run: RunContext, alongside: () => Promise<void>): Promise<BrowserTabsResult> {
  const seconds = run.profile.tabSeconds;
  if (!existsSync(CHROMIUM)) {
    await alongside();
    return { seconds, rows: [], skipped: `no Chromium at ${CHROMIUM}` };
  }
  const { chromium } = await import("playwright-core");
  const server = await startDemo();
  let browser: Browser | undefined;
  try {
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
    const contexts = await Promise.all(
      TAB_COUNTS.map(async (tabs) => {
        const context = await browser!.newContext({ userAgent: agentFor(tabs) });
        const first = await context.newPage();
        await first.goto(`${server.url}/register`);
        await first.fill("#username", `tabs${tabs}`);
        await first.fill("#password", PASSWORD);
        await Promise.all([first.waitForURL(`${server.url}/`), first.click("button[type=submit]")]);
        const more = Array.from({ length: tabs - 1 }, async () => (await context.newPage()).goto(`${server.url}/`));
        await Promise.all(more);
        return context;
      }),
    );
    // Let every tab finish starting (leader election, the leader's event stream) before counting.
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    run.log(`  ${TAB_COUNTS.join(", ")} idle tabs side by side for ${seconds} s`);
    const startup = new Map([...server.counts].map(([agent, paths]) => [agent, total(paths)]));
    server.counts.clear();
    const idle = new Promise((resolve) => setTimeout(resolve, seconds * 1000)).then(() =>
      TAB_COUNTS.map((tabs) => {
        const paths = { ...server.counts.get(agentFor(tabs)) };
        const requests = total(paths);
        return {
          tabs,
          startupRequests: startup.get(agentFor(tabs)) ?? 0,
          openStreams: server.streams.get(agentFor(tabs)) ?? 0,
          requests,
          requestsPerMinute: (requests / seconds) * 60,
          paths,
        };
      }),
    );
    const [rows] = await Promise.all([idle, alongside()]);
    await Promise.all(contexts.map((context) => context.close()));
    return { seconds, rows };
  } finally {
    await browser?.close();
    await server.close();
  }
}

const agentFor = (tabs: number) => `${USER_AGENT} StintBench/${tabs}-tabs`;
const total = (paths: Record<string, number>) => Object.values(paths).reduce((a, b) => a + b, 0);

/** The demo as `stint serve` runs it, on SQLite, counting requests by User-Agent and path. */
async function startDemo() {
  const dir = mkdtempSync(join(tmpdir(), "stint-bench-tabs-"));
  const stint = createStint({
    store: sqliteStore({ path: join(dir, "stint.db") }),
    secret: SECRET,
    accounts: { users: memoryUserStore(), hasher: createPasswordHasher({ memoryCost: 1024, timeCost: 1 }) },
  });
  const listener = nodeListener(stint, { fallback: demoListener(stint) });
  const counts = new Map<string, Record<string, number>>();
  const streams = new Map<string, number>();
  const count = (request: IncomingMessage, response: ServerResponse) => {
    const agent = request.headers["user-agent"] ?? "";
    const path = `${request.method} ${(request.url ?? "/").split("?", 1)[0]}`;
    const paths = counts.get(agent) ?? {};
    paths[path] = (paths[path] ?? 0) + 1;
    counts.set(agent, paths);
    if (path === "GET /api/session/events") {
      streams.set(agent, (streams.get(agent) ?? 0) + 1);
      response.once("close", () => streams.set(agent, (streams.get(agent) ?? 1) - 1));
    }
  };
  const server = createServer((request, response) => {
    count(request, response);
    listener(request, response);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    counts,
    streams,
    close: async () => {
      listener.shutdown();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await stint.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
