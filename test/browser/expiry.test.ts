import type { Page } from "playwright-core";
import { describe, expect, it } from "vitest";
import {
  createAccount,
  remainingText,
  secondsOf,
  signedInTabs,
  skipBrowser,
  sleep,
  toFront,
  useChromium,
  useDemoServer,
  WAIT_MS,
} from "./support.js";

const DIALOG = '[data-stint="expiry-warning"]';

/** The countdown and the expiry warning, on a server whose sessions go idle after 2 minutes. */
describe.skipIf(skipBrowser)("demo in Chromium: the countdown and the expiry warning", () => {
  const chromium = useChromium();
  const demo = useDemoServer({ idleTimeout: "2m" });

  async function dashboardTabs(count: number): Promise<Page[]> {
    const { server } = demo;
    const username = await createAccount(server);
    const context = await chromium.newContext();
    return signedInTabs(
      context,
      server,
      username,
      Array.from({ length: count }, () => "/"),
    );
  }

  it("the countdown moves, in step in every tab", async () => {
    const tabs = await dashboardTabs(3);
    const before = await Promise.all(tabs.map(remainingText));
    await sleep(2100);
    const after = await Promise.all(tabs.map(remainingText));
    for (const [index, text] of after.entries()) {
      expect(text).not.toBe(before[index]);
      const moved = secondsOf(before[index]!) - secondsOf(text);
      expect(moved).toBeGreaterThanOrEqual(1);
    }
    // Ticks are aligned to the session's deadline, so the tabs agree (read one after another,
    // so a tick may pass between two reads on a busy machine).
    const seconds = after.map(secondsOf);
    expect(Math.max(...seconds) - Math.min(...seconds)).toBeLessThanOrEqual(2);
  });

  it("warns before expiry with a dialog that counts down, and 'Stay signed in' extends in every tab", async () => {
    const tabs = await dashboardTabs(3);
    // The default warning comes 60 s before expiry; bring it to ~2 s from now in every tab.
    const remaining = await tabs[0]!.evaluate(() => window.stintDemo?.client.remainingSeconds ?? 0);
    expect(remaining).toBeGreaterThan(100);
    const threshold = remaining - 2;
    for (const tab of tabs) {
      await tab.evaluate((seconds) => window.stintDemo?.client.setWarningThreshold(seconds), threshold);
    }
    // Not yet: the session is further from expiry than the threshold.
    for (const tab of tabs) expect(await dialogOpen(tab)).toBe(false);

    await Promise.all(tabs.map((tab) => tab.waitForSelector(`${DIALOG}[open]`, { timeout: 5000 })));
    const counter = tabs[1]!.locator('[data-stint="warning-remaining"]');
    const first = await counter.textContent();
    await tabs[1]!.waitForFunction(
      (shown) => document.querySelector('[data-stint="warning-remaining"]')?.textContent !== shown,
      first,
      { timeout: 2500, polling: 50 },
    );
    const second = await counter.textContent();
    expect(secondsOf(second!)).toBeLessThan(secondsOf(first!));
    expect(secondsOf(second!)).toBeLessThanOrEqual(threshold);
    const shownBefore = await Promise.all(tabs.map(remainingText));

    await toFront(tabs[1]!);
    await expect(tabs[1]!.evaluate(() => document.activeElement?.getAttribute("data-stint"))).resolves.toBe(
      "stay-signed-in",
    );
    await tabs[1]!.click('[data-stint="stay-signed-in"]');
    // The dialog closes in every tab (the extension would warn again ~3 s later at this threshold).
    await Promise.all(
      tabs.map((tab) =>
        tab.waitForFunction((selector) => !document.querySelector<HTMLDialogElement>(selector)?.open, DIALOG, {
          timeout: WAIT_MS,
          polling: 50,
        }),
      ),
    );
    const shownAfter = await Promise.all(tabs.map(remainingText));
    for (const [index, text] of shownAfter.entries()) {
      expect(secondsOf(text)).toBeGreaterThan(secondsOf(shownBefore[index]!) + 1);
      expect(secondsOf(text)).toBeGreaterThanOrEqual(118);
    }
  });
});

function dialogOpen(page: Page): Promise<boolean> {
  return page.evaluate((selector) => document.querySelector<HTMLDialogElement>(selector)?.open ?? false, DIALOG);
}

/** Issue 10: with `stint serve`'s own defaults the countdown showed "23 h 59 min" for a minute. */
describe.skipIf(skipBrowser)("demo in Chromium: the countdown with stint serve's defaults (24 h idle)", () => {
  const chromium = useChromium();
  const demo = useDemoServer({ idleTimeout: "24h", absoluteTimeout: "7d" });

  it("changes every second", async () => {
    const username = await createAccount(demo.server);
    const [tab] = await signedInTabs(await chromium.newContext(), demo.server, username, ["/"]);
    const first = await remainingText(tab!);
    expect(secondsOf(first)).toBeGreaterThan(23 * 3600);
    // It changes within about a second (not a minute, as it did), counting down.
    await tab!.waitForFunction(
      (before) => document.querySelector('[data-stint="remaining"]')?.textContent !== before,
      first,
      { timeout: WAIT_MS, polling: 100 },
    );
    expect(secondsOf(first) - secondsOf(await remainingText(tab!))).toBeGreaterThanOrEqual(1);
  });
});
