import { formatRemaining } from "../../src/demo/format.js";
import { type DemoClient, describeFailure } from "./client.js";
import { hook, interceptSubmit, showError } from "./dom.js";
import { setTime } from "./local-time.js";
import { everySecond } from "./ticker.js";
import { toast } from "./toasts.js";

/** The dashboard's session card: live countdown and times, extend, sign out, the tab's role. */
export function setupSessionCard(client: DemoClient): void {
  const remaining = hook("remaining");
  const bar = hook<HTMLProgressElement>("remaining-bar");
  const countdown = remaining?.closest(".countdown");

  const render = () => {
    const seconds = client.remainingSeconds;
    const session = client.session;
    if (seconds === null || !session) return;
    if (remaining) remaining.textContent = formatRemaining(seconds);
    if (bar) {
      // The idle window: from the last activity the server saw to the expiry it set.
      const span = Math.max(1, Math.round((Date.parse(session.expiresAt) - Date.parse(session.lastSeenAt)) / 1000));
      bar.max = span;
      bar.value = Math.min(span, seconds);
    }
    countdown?.classList.toggle("warning", seconds <= client.warningThresholdSeconds);
  };
  const renderTimes = () => {
    const session = client.session;
    if (!session) return;
    setTime(hook("created-at"), session.authenticatedAt ?? session.createdAt);
    setTime(hook("last-seen-at"), session.lastSeenAt);
    setTime(hook("expires-at"), session.expiresAt);
    setTime(hook("absolute-expires-at"), session.absoluteExpiresAt);
  };
  client.on("change", () => {
    render();
    renderTimes();
  });
  everySecond(client, render);
  render();
  renderTimes();

  const extendForm = hook<HTMLFormElement>("extend-form");
  if (extendForm) {
    interceptSubmit(extendForm, async () => {
      try {
        await client.extend();
        showError(null);
        toast("Session extended — you'll stay signed in.");
      } catch (error) {
        showError(describeFailure(error));
      }
    });
  }
  const logoutForm = hook<HTMLFormElement>("logout-form");
  if (logoutForm) interceptSubmit(logoutForm, () => signOut(client));

  setupTabRole(client);
}

/** Signs out through the client; its `logout` event then sends every tab to /login. */
export async function signOut(client: DemoClient): Promise<void> {
  try {
    await client.logout();
  } catch (error) {
    showError(describeFailure(error));
  }
}

function setupTabRole(client: DemoClient): void {
  const badge = hook("tab-role");
  if (!badge) return;
  const render = (isLeader: boolean) => {
    badge.textContent = isLeader ? "Leading tab · holds the live connection" : "Following the leading tab";
    badge.className = isLeader ? "badge accent live" : "badge";
  };
  render(client.isLeader);
  client.on("leader", ({ isLeader }) => render(isLeader));
}
