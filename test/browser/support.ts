/**
 * Shared setup of the browser tests: the demo bundle (built once when missing or stale), a
 * real Stint serving the demo on 127.0.0.1 with every request recorded, one headless Chromium
 * per test file (Debian's, through playwright-core) with a fresh context per test, and
 * helpers that register and sign in through the real pages.
 *
 * One browser CONTEXT is one browser: its pages share cookies, BroadcastChannel and Web
 * Locks. Two contexts are two devices.
 */
import { execFile } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import type { IncomingMessage, ServerResponse } from "node:http";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { type Browser, type BrowserContext, chromium, type Page } from "playwright-core";
import { createStint, type Stint } from "stint";
import { createAccounts, createPasswordHasher, sqliteUserStore } from "stint/accounts";
import { serve } from "stint/adapters/node";
import { afterAll, afterEach, beforeAll } from "vitest";
import type { PolicyOptions } from "../../src/core/policy.js";
import { demoListener } from "../../src/demo/listener.js";
import { openStoreUrl } from "../../src/stores/from-url.js";
import { TEST_SECRET } from "../support/api-target.js";
import { TestBrowser } from "../support/browser.js";

const run = promisify(execFile);
const root = fileURLToPath(new URL("../../", import.meta.url));

/**
 * How long any single wait in these tests may take: generous, because a loaded machine is
 * slow, not wrong. These tests check what happens; how fast is measured by `npm run bench`.
 */
export const WAIT_MS = 15_000;
export const PASSWORD = "correct horse battery";

// ---- Chromium ---------------------------------------------------------------------------

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const chromiumFound = existsSync(CHROMIUM_PATH);

/**
 * Skip the browser suites only on a developer machine without Chromium. Under CI a missing
 * Chromium is a failure: `launchChromium` throws.
 */
export const skipBrowser = !chromiumFound && !process.env.CI;
if (skipBrowser) {
  console.warn(
    `[browser] No Chromium at ${CHROMIUM_PATH}: the browser tests are skipped. ` +
      "Install it (apt-get install -y chromium) or set CHROMIUM_PATH.",
  );
}

export async function launchChromium(): Promise<Browser> {
  if (!chromiumFound) {
    throw new Error(`No Chromium at ${CHROMIUM_PATH}; the browser tests need it under CI (set CHROMIUM_PATH).`);
  }
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
}

const BASE_USER_AGENT =
  "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36";
const userAgents = new WeakMap<BrowserContext, string>();
let contextCount = 0;

/** The user agent every page of `context` sends: how the server's request log names a browser. */
export function agentOf(context: BrowserContext): string {
  const userAgent = userAgents.get(context);
  if (!userAgent) throw new Error("Not a context of useChromium().");
  return userAgent;
}

/**
 * One Chromium for the test file (launched in `beforeAll`), and a new context per test, closed
 * after it. Call inside a `describe`.
 */
export function useChromium(): { readonly browser: Browser; newContext(): Promise<BrowserContext> } {
  let browser: Browser | undefined;
  const contexts: BrowserContext[] = [];
  beforeAll(async () => {
    await ensureDemoBundle();
    browser = await launchChromium();
  });
  afterEach(async () => {
    await Promise.allSettled(contexts.splice(0).map((context) => context.close()));
  });
  afterAll(async () => {
    await browser?.close();
  });
  return {
    get browser() {
      if (!browser) throw new Error("Chromium is not running.");
      return browser;
    },
    /** A new browser (context) with its own user agent, so the server can tell its requests apart. */
    async newContext() {
      if (!browser) throw new Error("Chromium is not running.");
      const userAgent = `${BASE_USER_AGENT} stint-test/${process.pid}-${++contextCount}`;
      const context = await browser.newContext({ userAgent });
      userAgents.set(context, userAgent);
      context.setDefaultTimeout(WAIT_MS);
      context.setDefaultNavigationTimeout(WAIT_MS);
      contexts.push(context);
      return context;
    },
  };
}

// ---- the demo bundle --------------------------------------------------------------------

const bundlePath = join(root, "demo/public/assets/app.js");

/**
 * Whether app.js is newer than every file it was built from: the sources its source map
 * lists (a new import shows up as a change to a file already listed).
 */
function bundleIsFresh(): boolean {
  try {
    const built = statSync(bundlePath).mtimeMs;
    const map = JSON.parse(readFileSync(`${bundlePath}.map`, "utf8")) as { sources?: unknown };
    if (!Array.isArray(map.sources) || map.sources.length === 0) return false;
    return map.sources.every((source) => statSync(resolve(dirname(bundlePath), String(source))).mtimeMs <= built);
  } catch {
    return false;
  }
}

/** Builds demo/public/assets/app.js (scripts/build-demo.mjs) unless it is newer than its sources. */
export async function ensureDemoBundle(): Promise<void> {
  if (bundleIsFresh()) return;
  // Test files run in parallel processes: one builds, the others wait and find it fresh.
  await withLock("stint-browser-bundle", async () => {
    if (bundleIsFresh()) return;
    await run(process.execPath, ["scripts/build-demo.mjs"], { cwd: root });
  });
}

/** A lock between processes: a directory in the temp folder (stale after 60 s). */
async function withLock<T>(name: string, action: () => Promise<T>): Promise<T> {
  const dir = join(tmpdir(), `${name}.lock`);
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      mkdirSync(dir);
      break;
    } catch {
      const age = Date.now() - (statSync(dir, { throwIfNoEntry: false })?.mtimeMs ?? Date.now());
      if (age > 60_000) rmSync(dir, { recursive: true, force: true });
      if (Date.now() > deadline) throw new Error(`Timed out waiting for the lock ${dir}.`);
      await sleep(50);
    }
  }
  try {
    return await action();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// ---- the server -------------------------------------------------------------------------

/** One request as the server saw it. */
export interface SeenRequest {
  at: number;
  method: string;
  path: string;
  userAgent: string;
  /** The answer's status once it is complete (0 until then, and for an open event stream). */
  status: number;
}

export interface DemoServer {
  url: string;
  stint: Stint;
  /** Every request since the start, in arrival order. */
  readonly requests: SeenRequest[];
  /** Event streams (`GET /api/session/events`) open right now, by user agent. */
  openStreams(userAgent?: string): number;
  /** Cuts the open event streams of one user agent, as a network that drops does. */
  dropStreams(userAgent: string): void;
  /** Requests after `since` (epoch ms), optionally of one user agent only. */
  requestsSince(since: number, userAgent?: string): SeenRequest[];
  close(): Promise<void>;
}

export const EVENTS_PATH = "/api/session/events";

/**
 * How the server saw one change spread through a browser: the request that caused it, every
 * tab's request that followed it, and the time from the first to the last of those.
 */
export function serverSpread(
  requests: SeenRequest[],
  cause: { method: string; path: string },
  follow: { method: string; path: string },
): { cause: SeenRequest | undefined; followers: SeenRequest[]; ms: number } {
  const first = requests.find((seen) => seen.method === cause.method && seen.path === cause.path);
  const followers = requests.filter((seen) => seen.method === follow.method && seen.path === follow.path);
  return { cause: first, followers, ms: Math.max(...followers.map((seen) => seen.at)) - (first?.at ?? 0) };
}

/** Cheap argon2id: these tests exercise sessions in a browser, not the hash's cost. */
const hasher = createPasswordHasher({ memoryCost: 1024, timeCost: 1 });

/**
 * A real Stint (SQLite in a temp folder) serving the API and the demo on 127.0.0.1, port 0.
 * The default idle timeout is 30 minutes, short enough for the countdown to show seconds.
 */
export async function startDemoServer(policy: PolicyOptions = {}): Promise<DemoServer> {
  const dir = mkdtempSync(join(tmpdir(), "stint-browser-"));
  const { store, database } = await openStoreUrl(`sqlite:${join(dir, "stint.db")}`);
  const stint = createStint({
    store,
    secret: TEST_SECRET,
    idleTimeout: "30m",
    absoluteTimeout: "8h",
    ...policy,
    accounts: createAccounts({ users: sqliteUserStore({ database: database! }), hasher }),
  });
  const running = await serve(stint, {
    port: 0,
    host: "127.0.0.1",
    shutdownTimeoutMs: 1_000,
    fallback: demoListener(stint),
  });
  const requests: SeenRequest[] = [];
  const streams = new Map<ServerResponse, string>();
  running.server.on("request", (request: IncomingMessage, response: ServerResponse) => {
    const path = (request.url ?? "/").split("?", 1)[0] ?? "/";
    const userAgent = request.headers["user-agent"] ?? "";
    const seen: SeenRequest = { at: Date.now(), method: request.method ?? "GET", path, userAgent, status: 0 };
    requests.push(seen);
    response.once("finish", () => {
      seen.status = response.statusCode;
    });
    if (path === EVENTS_PATH) {
      streams.set(response, userAgent);
      response.once("close", () => streams.delete(response));
    }
  });
  return {
    url: running.url,
    stint,
    requests,
    openStreams: (userAgent) => [...streams.values()].filter((ua) => !userAgent || ua === userAgent).length,
    dropStreams(userAgent) {
      for (const [response, agent] of streams) if (agent === userAgent) response.destroy();
    },
    requestsSince: (since, userAgent) =>
      requests.filter((seen) => seen.at >= since && (!userAgent || seen.userAgent === userAgent)),
    async close() {
      await running.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A demo server for the test file: started in `beforeAll`, closed in `afterAll`. */
export function useDemoServer(policy: PolicyOptions = {}): { readonly server: DemoServer } {
  let server: DemoServer | undefined;
  beforeAll(async () => {
    server = await startDemoServer(policy);
  });
  afterAll(async () => {
    await server?.close();
  });
  return {
    get server() {
      if (!server) throw new Error("The demo server is not running.");
      return server;
    },
  };
}

// ---- accounts ---------------------------------------------------------------------------

let accounts = 0;

export function uniqueUsername(prefix = "user"): string {
  return `${prefix}${++accounts}_${process.pid}_${Date.now() % 100_000}`;
}

/** Creates an account over HTTP (not through a browser) and signs that HTTP client out again. */
export async function createAccount(server: DemoServer, username = uniqueUsername()): Promise<string> {
  const client = new TestBrowser({ baseUrl: server.url, fetch: (request) => fetch(request) });
  const answer = await client.post("/api/auth/register", { username, password: PASSWORD });
  if (answer.status !== 201) throw new Error(`register answered ${answer.status}: ${answer.text.slice(0, 200)}`);
  await client.delete("/api/session");
  return username;
}

// ---- pages ------------------------------------------------------------------------------

/** Waits until the page script has read the session (`body[data-stint-ready]`). */
export async function waitReady(page: Page): Promise<void> {
  await page.waitForSelector("body[data-stint-ready]", { state: "attached", timeout: WAIT_MS });
}

/** Opens `count` tabs of `context` on `path`, each ready. */
export async function openTabs(context: BrowserContext, server: DemoServer, count: number, path: string) {
  const pages = await Promise.all(Array.from({ length: count }, () => context.newPage()));
  await Promise.all(pages.map((page) => goto(page, server, path)));
  return pages;
}

export async function goto(page: Page, server: DemoServer, path: string): Promise<void> {
  await page.goto(new URL(path, server.url).href);
  await waitReady(page);
}

/** The path of the page's current URL. */
export function pathOf(page: Page): string {
  return new URL(page.url()).pathname;
}

/** Waits for the page to be at `path` (and its script ready); resolves with when it got there (epoch ms). */
export async function arrivedAt(page: Page, path: string, timeout = WAIT_MS): Promise<number> {
  await page.waitForURL((url) => url.pathname === path, { timeout, waitUntil: "commit" });
  const at = Date.now();
  await waitReady(page);
  return at;
}

/**
 * Makes `page` the tab in front, as a person does before typing into it. Headless Chromium
 * runs animation frames only in the front tab, and Playwright's click waits for two of them
 * (its "stable" check): in a tab behind, a click would wait ~2 s.
 */
export async function toFront(page: Page): Promise<void> {
  await page.bringToFront();
}

/** Signs in through the page's login form (the page must be on /login). */
export async function submitLogin(page: Page, username: string, options: { remember?: boolean } = {}): Promise<void> {
  await toFront(page);
  await page.fill('form[data-stint="login-form"] input[name="username"]', username);
  await page.fill('form[data-stint="login-form"] input[name="password"]', PASSWORD);
  if (options.remember) await page.check('form[data-stint="login-form"] input[name="remember"]');
  await page.click('form[data-stint="login-form"] button[type="submit"]');
}

/** Goes to /login and signs in; resolves once the page is on the dashboard. */
export async function signIn(page: Page, server: DemoServer, username: string): Promise<void> {
  await goto(page, server, "/login");
  await submitLogin(page, username);
  await arrivedAt(page, "/");
}

/** Registers through /register; resolves once the page is on the dashboard. */
export async function register(page: Page, server: DemoServer, username = uniqueUsername()): Promise<string> {
  await goto(page, server, "/register");
  await toFront(page);
  await page.fill('form[data-stint="register-form"] input[name="username"]', username);
  await page.fill('form[data-stint="register-form"] input[name="password"]', PASSWORD);
  await page.click('form[data-stint="register-form"] button[type="submit"]');
  await arrivedAt(page, "/");
  return username;
}

/**
 * A browser signed in as `username` with one tab on each of `paths`: the first tab signs in
 * through /login (or creates the account through /register), the others open afterwards.
 */
export async function signedInTabs(
  context: BrowserContext,
  server: DemoServer,
  username: string,
  paths: readonly string[],
  options: { register?: boolean } = {},
): Promise<Page[]> {
  const first = await context.newPage();
  if (options.register) await register(first, server, username);
  else await signIn(first, server, username);
  const [start = "/", ...rest] = paths;
  if (start !== "/") await goto(first, server, start);
  const others = await Promise.all(rest.map(async (path) => (await openTabs(context, server, 1, path))[0]!));
  return [first, ...others];
}

/** Clicks the dashboard's "Sign out". */
export async function clickSignOut(page: Page): Promise<void> {
  await toFront(page);
  await page.click('form[data-stint="logout-form"] button');
}

export function isLeader(page: Page): Promise<boolean> {
  return page.evaluate(() => window.stintDemo?.client.isLeader ?? false);
}

export async function leaders(pages: readonly Page[]): Promise<Page[]> {
  const flags = await Promise.all(pages.map(isLeader));
  return pages.filter((_, index) => flags[index]);
}

/** Waits until exactly one of `pages` leads and returns it. */
export async function theLeader(pages: readonly Page[], timeout = WAIT_MS): Promise<Page> {
  const deadline = Date.now() + timeout;
  for (;;) {
    const leading = await leaders(pages);
    if (leading.length === 1 && leading[0]) return leading[0];
    if (Date.now() > deadline) throw new Error(`Expected one leading tab, found ${leading.length}.`);
    await sleep(50);
  }
}

/**
 * The network of one browser drops: Chromium goes offline (new requests fail) and the server
 * cuts its event stream (Chromium's offline emulation alone leaves an open stream stalled,
 * not broken, and it resumes afterwards). Resolves once the leading tab has noticed: its
 * stream failed and the check that follows failed too (a network error in its metrics).
 */
export async function dropNetwork(server: DemoServer, context: BrowserContext, tabs: readonly Page[]): Promise<void> {
  const leader = await theLeader(tabs);
  const errorsBefore = await leader.evaluate(() => window.stintDemo?.client.metrics().errors ?? 0);
  await context.setOffline(true);
  server.dropStreams(agentOf(context));
  await leader.waitForFunction(
    (before) => !navigator.onLine && (window.stintDemo?.client.metrics().errors ?? 0) > before,
    errorsBefore,
    { timeout: WAIT_MS, polling: 50 },
  );
}

/** The countdown's text on the dashboard. */
export function remainingText(page: Page): Promise<string> {
  return page.locator('[data-stint="remaining"]').innerText();
}

/** "29:54" → 1794 seconds; "23:59:54" and "6 d 23:59:54" too. */
export function secondsOf(text: string): number {
  const match = /^(?:(\d+) d )?(?:(\d+):)?(\d+):(\d{2})$/.exec(text.trim());
  if (!match) throw new Error(`Not a countdown: ${JSON.stringify(text)}`);
  const [, days = "0", hours = "0", minutes = "0", seconds = "0"] = match;
  return ((Number(days) * 24 + Number(hours)) * 60 + Number(minutes)) * 60 + Number(seconds);
}

type WatchedEvent = "login" | "state" | "leader" | "logout" | "revoked" | "expired" | "warning";

const markPrefix = "stint-test:";

/**
 * Notes, in each page, when (page clock, epoch ms: the same clock as this process) its
 * client next emits `name` (for `leader`: becomes the leader). The time is kept in the tab's
 * sessionStorage, so it survives the tab navigating away (to /login, say); read it with
 * `eventTime` or `allHeard`.
 */
export async function watchEvent(pages: readonly Page[], name: WatchedEvent): Promise<void> {
  await Promise.all(
    pages.map((page) =>
      page.evaluate(
        ({ event, key }) => {
          sessionStorage.removeItem(key);
          window.stintDemo?.client.on(event, (payload: unknown) => {
            if (event === "leader" && !(payload as { isLeader: boolean }).isLeader) return;
            if (sessionStorage.getItem(key) === null) sessionStorage.setItem(key, String(Date.now()));
          });
        },
        { event: name, key: markPrefix + name },
      ),
    ),
  );
}

/** When `page`'s client emitted `name` since `watchEvent` (epoch ms), or null (also while it navigates). */
export async function eventTime(page: Page, name: WatchedEvent): Promise<number | null> {
  try {
    const value = await page.evaluate((key) => sessionStorage.getItem(key), markPrefix + name);
    return value === null ? null : Number(value);
  } catch {
    return null;
  }
}

/** Waits until every page's client emitted `name`; resolves with the last time (epoch ms). */
export async function allHeard(pages: readonly Page[], name: WatchedEvent, timeout = WAIT_MS): Promise<number> {
  const deadline = Date.now() + timeout;
  for (;;) {
    const times = await Promise.all(pages.map((page) => eventTime(page, name)));
    if (times.every((at) => at !== null)) return Math.max(...(times as number[]));
    if (Date.now() > deadline) throw new Error(`Timed out waiting for every tab to hear "${name}".`);
    await sleep(50);
  }
}

/** Polls a condition of this process (the server's request log, say) every 25 ms. */
export async function waitUntil(check: () => boolean, what: string, timeout = WAIT_MS): Promise<void> {
  const deadline = Date.now() + timeout;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}.`);
    await sleep(25);
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

// ---- measurements -----------------------------------------------------------------------

export const RESULTS_PATH = join(tmpdir(), "stint-browser-results.json");

/**
 * Prints a figure for the report (`[measure] …`) and merges it into RESULTS_PATH, a
 * JSON object shared by every browser test file of the run.
 */
export async function recordMeasure(name: string, value: unknown, line: string): Promise<void> {
  console.log(`[measure] ${line} → ${RESULTS_PATH}`);
  await withLock("stint-browser-results", async () => {
    let results: Record<string, unknown> = {};
    try {
      results = JSON.parse(readFileSync(RESULTS_PATH, "utf8")) as Record<string, unknown>;
    } catch {
      // First figure of the run, or an unreadable file: start over.
    }
    results[name] = value;
    results.updatedAt = new Date().toISOString();
    writeFileSync(RESULTS_PATH, `${JSON.stringify(results, null, 2)}\n`);
  });
}
