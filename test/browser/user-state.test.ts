import type { Page } from "playwright-core";
import { describe, expect, it } from "vitest";
import {
  agentOf,
  createAccount,
  recordMeasure,
  signedInTabs,
  skipBrowser,
  theLeader,
  toFront,
  useChromium,
  useDemoServer,
  WAIT_MS,
  waitUntil,
} from "./support.js";

type Inbox = { __stintMessages?: unknown[] };

/** Starts keeping every app message `page`'s client hears. */
function collectMessages(page: Page): Promise<void> {
  return page.evaluate(() => {
    const inbox = window as unknown as Inbox;
    inbox.__stintMessages = [];
    window.stintDemo?.client.on("message", (message) => inbox.__stintMessages?.push(message));
  });
}

function messagesOf(page: Page): Promise<unknown[]> {
  return page.evaluate(() => (window as unknown as Inbox).__stintMessages ?? []);
}

/** API.md's demo table: theme and language are the user's state and follow the person to every device. */
describe.skipIf(skipBrowser)("demo in Chromium: the user's state on two devices, and tab messages", () => {
  const chromium = useChromium();
  const demo = useDemoServer();

  it("a theme chosen in one browser becomes the other browser's theme; the workspace stays per browser", async () => {
    const { server } = demo;
    const username = await createAccount(server);
    const laptop = await chromium.newContext();
    const phone = await chromium.newContext();
    const [onLaptop] = (await signedInTabs(laptop, server, username, ["/"])) as [Page];
    const phoneTabs = await signedInTabs(phone, server, username, ["/", "/devices"]);
    await theLeader(phoneTabs);
    await waitUntil(() => server.openStreams(agentOf(phone)) === 1, "the phone's event stream");
    for (const tab of [onLaptop, ...phoneTabs]) {
      await expect(tab.evaluate(() => document.documentElement.dataset.theme ?? "system")).resolves.toBe("system");
    }

    // The workspace first: the session's state, this browser's alone.
    await toFront(onLaptop);
    await onLaptop.selectOption('select[name="workspace"]', "globex");
    await onLaptop.waitForFunction(
      () => document.querySelector('[data-stint="save-status"]')?.textContent === "Saved.",
      undefined,
      { polling: 50 },
    );
    const changedAt = Date.now();
    await onLaptop.locator('input[name="theme"][value="dark"]').check({ force: true });
    await onLaptop.waitForFunction(
      () => document.querySelector('[data-stint="preferences-status"]')?.textContent === "Saved.",
      undefined,
      { polling: 50 },
    );
    for (const tab of phoneTabs) {
      await tab.waitForFunction(() => document.documentElement.dataset.theme === "dark", undefined, {
        timeout: WAIT_MS,
        polling: 50,
      });
    }
    const followMs = Date.now() - changedAt;
    const [phoneDashboard] = phoneTabs as [Page, Page];
    await expect(phoneDashboard.locator('input[name="theme"][value="dark"]').isChecked()).resolves.toBe(true);
    await phoneDashboard.waitForSelector('[data-stint="toast"]:text-matches("^Updated from another")');
    await expect(phoneDashboard.locator('select[name="workspace"]').inputValue()).resolves.toBe("acme");
    await expect(onLaptop.evaluate(() => document.documentElement.dataset.theme)).resolves.toBe("dark");

    // And back: the phone picks a language, the laptop's page follows.
    await toFront(phoneDashboard);
    await phoneDashboard.selectOption('select[name="language"]', "de");
    await onLaptop.waitForFunction(() => document.documentElement.lang === "de", undefined, {
      timeout: WAIT_MS,
      polling: 50,
    });
    await expect(onLaptop.locator('[data-stint="greeting"]').innerText()).resolves.toBe("Hallo");
    await expect(onLaptop.locator('select[name="language"]').inputValue()).resolves.toBe("de");

    // It is the person's, not the session's: a new sign-in on a third browser finds it.
    const tablet = await chromium.newContext();
    const [onTablet] = (await signedInTabs(tablet, server, username, ["/"])) as [Page];
    await expect(onTablet.evaluate(() => document.documentElement.dataset.theme)).resolves.toBe("dark");
    await expect(onTablet.evaluate(() => document.documentElement.lang)).resolves.toBe("de");

    await recordMeasure(
      "userState2",
      { followMs },
      `2 browsers: a theme chosen in one was the other's (both its tabs) ${followMs} ms later`,
    );
  });

  it("the app's own messages reach the other tabs of the browser, never its sender or another browser", async () => {
    const { server } = demo;
    const username = await createAccount(server);
    const context = await chromium.newContext();
    const tabs = (await signedInTabs(context, server, username, ["/", "/", "/devices"])) as [Page, Page, Page];
    const other = await chromium.newContext();
    const [foreign] = (await signedInTabs(other, server, username, ["/"])) as [Page];
    for (const tab of [...tabs, foreign]) await collectMessages(tab);
    const [sender, ...receivers] = tabs;

    await sender.evaluate(() => window.stintDemo?.client.broadcast("session_selected", { sessionId: "my_session" }));
    for (const tab of receivers) {
      await tab.waitForFunction(() => ((window as unknown as Inbox).__stintMessages ?? []).length === 1, undefined, {
        timeout: WAIT_MS,
        polling: 50,
      });
      await expect(messagesOf(tab)).resolves.toEqual([
        { type: "session_selected", data: { sessionId: "my_session" }, source: "tab" },
      ]);
    }
    await expect(messagesOf(sender)).resolves.toEqual([]);

    // The CSRF token is never sent; junk on the channel is dropped without an error.
    const refused = await sender.evaluate(async () => {
      const client = window.stintDemo?.client;
      const token = await client?.getCsrfToken();
      try {
        client?.broadcast("leak", { token });
        return "sent";
      } catch (error) {
        return (error as Error).message;
      }
    });
    expect(refused).toMatch(/CSRF token/);
    const errors: string[] = [];
    receivers[0]?.on("pageerror", (error) => errors.push(error.message));
    await sender.evaluate(() => {
      const channel = new BroadcastChannel("stint");
      channel.postMessage("not a message");
      channel.postMessage({ v: 1, type: "message", name: "no data" });
      channel.postMessage({ v: 1, type: "message", name: "<b>", data: 1, at: 1, from: "hostile" });
      channel.postMessage({ v: 1, type: "message", name: "ok", data: { a: 1 }, at: 1, from: "hostile" });
      channel.close();
    });
    await receivers[0]?.waitForFunction(
      () => ((window as unknown as Inbox).__stintMessages ?? []).length === 2,
      undefined,
      { timeout: WAIT_MS, polling: 50 },
    );
    await expect(messagesOf(receivers[0] as Page)).resolves.toEqual([
      { type: "session_selected", data: { sessionId: "my_session" }, source: "tab" },
      { type: "ok", data: { a: 1 }, source: "tab" },
    ]);
    expect(errors).toEqual([]);
    // Another browser of the same user hears none of it: tab messages never leave the browser.
    await expect(messagesOf(foreign)).resolves.toEqual([]);
  });
});
