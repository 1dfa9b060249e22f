import type { BrowserContext, Page } from "playwright-core";
import { describe, expect, it } from "vitest";
import {
  agentOf,
  arrivedAt,
  createAccount,
  type DemoServer,
  dropNetwork,
  EVENTS_PATH,
  openTabs,
  pathOf,
  recordMeasure,
  signedInTabs,
  skipBrowser,
  sleep,
  theLeader,
  toFront,
  uniqueUsername,
  useChromium,
  useDemoServer,
  WAIT_MS,
  waitUntil,
} from "./support.js";

const OFFLINE_MS = 4_000;

/** Two browsers (two contexts) of one user: revocation, and losing and regaining the network. */
describe.skipIf(skipBrowser)("demo in Chromium: another device, and the network", () => {
  const chromium = useChromium();
  const demo = useDemoServer();

  /** A browser signed in as `username` with tabs on `paths`, its leader holding the stream. */
  async function signedInBrowser(
    username: string,
    paths: string[],
    options: { register?: boolean } = {},
  ): Promise<{ context: BrowserContext; tabs: Page[] }> {
    const { server } = demo;
    const context = await chromium.newContext();
    const tabs = await signedInTabs(context, server, username, paths, options);
    await theLeader(tabs);
    await waitUntil(() => server.openStreams(agentOf(context)) === 1, "the leader's event stream");
    return { context, tabs };
  }

  it("a session signed out from another browser sends every tab of the first to /login", async () => {
    // This browser creates the account through /register.
    const username = uniqueUsername();
    const first = await signedInBrowser(username, ["/", "/", "/devices"], { register: true });
    const second = await signedInBrowser(username, ["/devices"]);
    const [devices] = second.tabs as [Page];
    await devices.waitForFunction(
      () => document.querySelectorAll("li.device[data-session-id]").length === 2,
      undefined,
      { polling: 50 },
    );

    await toFront(devices);
    const revokedAt = Date.now();
    await devices.click('li.device:not(.current) form[data-stint="revoke"] button');
    const arrivals = await Promise.all(first.tabs.map((tab) => arrivedAt(tab, "/login")));
    const revokeMs = Math.max(...arrivals) - revokedAt;
    for (const tab of first.tabs) {
      await expect(tab.locator('[data-stint="notice"]').textContent()).resolves.toBe(
        "This device was signed out from another device.",
      );
    }
    // The other browser stays signed in, and its device list now shows itself alone.
    await devices.waitForFunction(
      () => document.querySelectorAll("li.device[data-session-id]").length === 1,
      undefined,
      { polling: 50 },
    );
    expect(pathOf(devices)).toBe("/devices");
    await expect(devices.locator('[data-stint="this-device"]').count()).resolves.toBe(1);

    await recordMeasure(
      "revokedElsewhere",
      { revokeMs },
      `3 tabs: a sign-out from another browser reached every tab in ${revokeMs} ms`,
    );
  });

  it("after the network drops and returns, the tabs catch up with a state change made meanwhile", async () => {
    const { server } = demo;
    const username = await createAccount(server);
    const first = await signedInBrowser(username, ["/", "/", "/"]);
    // A second browser holding the same session (its cookie copied): the change happens there.
    const elsewhere = await chromium.newContext();
    await elsewhere.addCookies(await first.context.cookies());
    const [other] = await openTabs(elsewhere, server, 1, "/");

    await dropNetwork(server, first.context, first.tabs);
    const droppedAt = Date.now();
    await toFront(other!);
    await other!.selectOption('select[name="workspace"]', "initech");
    await other!.waitForFunction(
      () => document.querySelector('[data-stint="save-status"]')?.textContent === "Saved.",
      undefined,
      { polling: 50 },
    );
    // Offline for a few seconds: the leader's reconnect attempts fail and back off (to 2–4 s).
    await sleep(Math.max(500, droppedAt + OFFLINE_MS - Date.now()));
    for (const tab of first.tabs) await expect(workspaceOf(tab)).resolves.toBe("acme");

    const onlineAt = Date.now();
    await first.context.setOffline(false);
    await waitForWorkspace(server, first.tabs, "initech", onlineAt);
    const resyncMs = Date.now() - onlineAt;
    // The leader's stream is back at once (not after its backoff), so a later change arrives live again.
    const reopened = () =>
      server.requestsSince(onlineAt, agentOf(first.context)).find((seen) => seen.path === EVENTS_PATH);
    await waitUntil(() => reopened() !== undefined, "the event stream to reconnect");
    const streamBackMs = (reopened()?.at ?? 0) - onlineAt;
    await other!.selectOption('select[name="workspace"]', "globex");
    await waitForWorkspace(server, first.tabs, "globex", onlineAt);

    await recordMeasure(
      "offlineResync",
      { resyncMs, streamBackMs },
      `back online: 3 tabs showed the state changed meanwhile after ${resyncMs} ms; event stream reopened after ${streamBackMs} ms`,
    );
    // Seconds offline on purpose, and three tabs on two cores: a slow machine is not a wrong one.
  }, 90_000);

  it("a session revoked while the browser was offline sends its tabs to /login once back online", async () => {
    const { server } = demo;
    const username = await createAccount(server);
    const first = await signedInBrowser(username, ["/", "/", "/"]);
    const second = await signedInBrowser(username, ["/"]);

    await dropNetwork(server, first.context, first.tabs);
    const revoked = await second.tabs[0]!.evaluate(async () => {
      const response = await window.stintDemo!.client.fetch("/api/sessions", { method: "DELETE" });
      return ((await response.json()) as { revoked: number }).revoked;
    });
    expect(revoked).toBe(1);
    await sleep(500);
    // Offline, the tabs cannot know yet.
    for (const tab of first.tabs) expect(pathOf(tab)).toBe("/");

    const onlineAt = Date.now();
    await first.context.setOffline(false);
    const arrivals = await Promise.all(first.tabs.map((tab) => arrivedAt(tab, "/login")));
    const noticedMs = Math.max(...arrivals) - onlineAt;
    // The other browser is still signed in.
    expect(pathOf(second.tabs[0]!)).toBe("/");

    await recordMeasure(
      "offlineRevocation",
      { noticedMs },
      `back online: 3 tabs noticed a revocation made while offline in ${noticedMs} ms`,
    );
  });
});

function workspaceOf(page: Page): Promise<string> {
  return page.locator('select[name="workspace"]').inputValue();
}

/**
 * Waits (2 s at most) until every tab shows `value` in the workspace switcher; on a timeout
 * the error tells what each tab and the server saw since `since`.
 */
async function waitForWorkspace(
  server: DemoServer,
  tabs: readonly Page[],
  value: string,
  since: number,
): Promise<void> {
  try {
    for (const tab of tabs) {
      await tab.waitForFunction(
        (expected) => document.querySelector<HTMLSelectElement>('select[name="workspace"]')?.value === expected,
        value,
        { timeout: WAIT_MS, polling: 50 },
      );
    }
  } catch (error) {
    const seen = tabs[0] ? server.requestsSince(since - 5000, agentOf(tabs[0].context())) : [];
    const states = await Promise.all(
      tabs.map((tab) =>
        tab.evaluate(() => ({
          workspace: document.querySelector<HTMLSelectElement>('select[name="workspace"]')?.value,
          leader: window.stintDemo?.client.isLeader,
          onLine: navigator.onLine,
          metrics: window.stintDemo?.client.metrics(),
        })),
      ),
    );
    const log = seen.map((request) => `${request.at - since} ms ${request.method} ${request.path} → ${request.status}`);
    throw new Error(
      `Not every tab shows "${value}": ${JSON.stringify(states)}\nrequests (ms after the mark):\n${log.join("\n")}`,
      { cause: error },
    );
  }
}
