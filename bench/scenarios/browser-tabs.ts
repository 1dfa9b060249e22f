/**
 * The browser client: server requests per minute for 1, 3 and 10 idle tabs of the demo
 * dashboard, signed in. Real Chromium (playwright-core); each tab count is its own browser
 * context (its own cookies, storage and tab channel), all three side by side against one
 * `stint serve`-equivalent server in this process (createStint + the node adapter + the demo
 * pages), which counts every request it gets by the context's User-Agent.
 */
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { createServer, type IncomingMessage } from "node:http";
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

export async function runBrowserTabs(run: RunContext): Promise<BrowserTabsResult> {
  const seconds = run.profile.tabSeconds;
  if (!existsSync(CHROMIUM)) return { seconds, rows: [], skipped: `no Chromium at ${CHROMIUM}` };
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
        for (let i = 1; i < tabs; i++) await (await context.newPage()).goto(`${server.url}/`);
        return context;
      }),
    );
    // Let every tab finish starting (leader election, the leader's event stream) before counting.
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    run.log(`  ${TAB_COUNTS.join(", ")} idle tabs side by side for ${seconds} s`);
    server.counts.clear();
    await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
    const rows = TAB_COUNTS.map((tabs) => {
      const paths = server.counts.get(agentFor(tabs)) ?? {};
      const requests = Object.values(paths).reduce((a, b) => a + b, 0);
      return { tabs, requests, requestsPerMinute: (requests / seconds) * 60, paths };
    });
    await Promise.all(contexts.map((context) => context.close()));
    return { seconds, rows };
  } finally {
    await browser?.close();
    await server.close();
  }
}

const agentFor = (tabs: number) => `${USER_AGENT} StintBench/${tabs}-tabs`;

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
  const count = (request: IncomingMessage) => {
    const agent = request.headers["user-agent"] ?? "";
    const path = `${request.method} ${(request.url ?? "/").split("?", 1)[0]}`;
    const paths = counts.get(agent) ?? {};
    paths[path] = (paths[path] ?? 0) + 1;
    counts.set(agent, paths);
  };
  const server = createServer((request, response) => {
    count(request);
    listener(request, response);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    counts,
    close: async () => {
      listener.shutdown();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await stint.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
