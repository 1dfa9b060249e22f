import { html } from "../../src/demo/html.js";
import { type DeviceEntry, deviceItems } from "../../src/demo/views/device-list.js";
import { type DemoClient, describeResponse } from "./client.js";
import { hook, interceptSubmit, showError } from "./dom.js";
import { localClockTime, localTime } from "./local-time.js";
import { toast } from "./toasts.js";

const REFRESH_MS = 10_000;

/**
 * /devices, live: the list is re-read from GET /api/sessions every 10 s while the page is
 * visible, when it becomes visible again, and after the client reports a change, and is
 * re-rendered (by the same function the server uses) only when it changed.
 */
export function setupDevicesPage(client: DemoClient, signOut: () => Promise<void>): void {
  const list = hook("device-list");
  if (!list) return;
  const count = hook("device-count");
  const others = hook<HTMLButtonElement>("revoke-others-button");
  const updated = hook("devices-updated");
  let shown = "";
  let loading = false;

  const render = async (sessions: DeviceEntry[]) => {
    const key = JSON.stringify(sessions);
    if (key !== shown) {
      shown = key;
      // The token keeps the forms working as plain posts should the script fail later.
      const token = await client.getCsrfToken().catch(() => null);
      list.innerHTML = deviceItems(
        sessions,
        token,
        (iso) => html`<time datetime="${iso}">${localTime(iso)}</time>`,
      ).toString();
      if (count) count.textContent = String(sessions.length);
      if (others) others.disabled = !sessions.some((entry) => !entry.current);
    }
    if (updated) updated.textContent = `Updated ${localClockTime(new Date())} · refreshes every 10 seconds`;
  };

  const refresh = async () => {
    if (loading || client.status !== "authenticated") return;
    loading = true;
    try {
      const response = await client.fetch("/api/sessions", { headers: { accept: "application/json" } });
      // A 401 is turned into the client's `expired` event, which leaves this page.
      if (response.ok) await render(((await response.json()) as { sessions: DeviceEntry[] }).sessions);
    } catch (error) {
      console.debug("stint demo: device list refresh failed", error);
    } finally {
      loading = false;
    }
  };

  let soon: ReturnType<typeof setTimeout> | undefined;
  const refreshSoon = () => {
    clearTimeout(soon);
    soon = setTimeout(() => void refresh(), 300);
  };
  client.on("change", refreshSoon);
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "visible") void refresh();
  });
  setInterval(() => {
    if (document.visibilityState === "visible") void refresh();
  }, REFRESH_MS);
  void refresh();

  // Delegated: the list's forms are replaced on every re-render.
  list.addEventListener("submit", (event) => {
    const form = event.target as HTMLFormElement;
    if (form.dataset.stint !== "revoke") return;
    event.preventDefault();
    const item = form.closest<HTMLElement>("[data-session-id]");
    const id = item?.dataset.sessionId;
    if (!id) return;
    if (item.classList.contains("current")) {
      void signOut();
      return;
    }
    form.querySelector("button")?.setAttribute("aria-busy", "true");
    const name = hook("device-name", item)?.textContent ?? "that device";
    void revoke(client, id, name).then(refresh);
  });

  const revokeOthers = hook<HTMLFormElement>("revoke-others");
  if (revokeOthers) {
    interceptSubmit(revokeOthers, async () => {
      const response = await client.fetch("/api/sessions", { method: "DELETE" });
      if (!response.ok) {
        showError(await describeResponse(response));
        return;
      }
      const { revoked } = (await response.json()) as { revoked: number };
      showError(null);
      toast(revoked === 1 ? "Signed out 1 other device." : `Signed out ${revoked} other devices.`);
      await refresh();
    });
  }
}

async function revoke(client: DemoClient, id: string, name: string): Promise<void> {
  const response = await client.fetch(`/api/sessions/${encodeURIComponent(id)}`, { method: "DELETE" });
  if (response.ok || response.status === 404) {
    showError(null);
    toast(`Signed out ${name}.`);
    return;
  }
  showError(await describeResponse(response));
}
