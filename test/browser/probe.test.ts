import { it } from "vitest";
import { createAccount, openTabs, startDemoServer, launchChromium, ensureDemoBundle } from "/work/main/test/browser/support.js";
it("probe", async () => {
  await ensureDemoBundle();
  const server = await startDemoServer();
  const browser = await launchChromium();
  const context = await browser.newContext();
  const username = await createAccount(server);
  const [a] = await openTabs(context, server, 3, "/login");
  let t = Date.now();
  const lap = (s: string) => { console.log(s, Date.now() - t); t = Date.now(); };
  await a!.fill('input[name="username"]', username); lap("fill1");
  await a!.fill('input[name="password"]', "correct horse battery"); lap("fill2");
  await a!.click('form[data-stint="login-form"] button[type="submit"]'); lap("click");
  await a!.waitForURL((u) => u.pathname === "/"); lap("url");
  await browser.close(); await server.close();
}, 30000);
