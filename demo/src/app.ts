/**
 * The demo's page script, bundled to /assets/app.js. Every page works without it (plain
 * forms posting to the demo's own routes); with it, forms go straight to the API through the
 * browser client, and every open tab of the browser stays in step.
 */
import { SessionClient } from "../../src/client.js";
import { applyAppearance, followState } from "./appearance.js";
import { setupAuthPage } from "./auth-form.js";
import { setupAutoExtend } from "./auto-extend.js";
import type { DemoClient, DemoState, DemoUserState } from "./client.js";
import { setupDevicesPage } from "./devices.js";
import { setupExpiryDialog } from "./expiry-dialog.js";
import { localiseTimes } from "./local-time.js";
import { leaveForLogin, navigate } from "./navigation.js";
import { setupPreferencesForms } from "./preferences-form.js";
import { setupSessionCard, signOut } from "./session-card.js";

declare global {
  interface Window {
    /** For people poking at the demo (and browser tests): the page's session client. */
    stintDemo?: { client: DemoClient };
  }
}

/** Wires a signed-in page; returns what to do with the states once the client has read them. */
function signedInPage(client: DemoClient, page: "dashboard" | "devices"): () => void {
  // Sign-out, revocation and expiry, here or in any other tab: every tab goes to /login.
  client.on("logout", () => leaveForLogin("signed-out"));
  client.on("revoked", () => leaveForLogin("session-revoked"));
  client.on("expired", () => leaveForLogin("expired"));
  // Someone else signed in in another tab: this page shows the wrong person now.
  client.on("login", () => navigate(location.pathname));

  const leave = () => signOut(client);
  setupExpiryDialog(client, leave);
  setupAutoExtend(client);
  if (page === "dashboard") {
    setupSessionCard(client);
    const fill = setupPreferencesForms(client);
    followState(client, fill);
    return fill;
  }
  followState(client);
  setupDevicesPage(client, leave);
  return () => {};
}

async function main(): Promise<void> {
  const page = document.body.dataset.page;
  const client: DemoClient = new SessionClient<DemoState, DemoUserState>();
  window.stintDemo = { client };
  localiseTimes();

  let ready: () => void = () => {};
  if (page === "login" || page === "register") setupAuthPage(client, page);
  else if (page === "dashboard" || page === "devices") ready = signedInPage(client, page);
  else followState(client);

  const snapshot = await client.init();
  applyAppearance(client);
  if ((page === "dashboard" || page === "devices") && snapshot.status !== "authenticated") {
    // The session ended between the server's render and now.
    leaveForLogin("expired");
    return;
  }
  // The states may have changed since the server rendered the page.
  ready();
  document.body.dataset.stintReady = "true";
}

main().catch((error: unknown) => console.error("stint demo: the page script failed to start", error));
