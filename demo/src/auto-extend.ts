import type { DemoClient } from "./client.js";
import { hook } from "./dom.js";
import { toast } from "./toasts.js";

const AUTO_EXTEND_KEY = "stint-demo:auto-extend";

function readAutoExtend(): boolean {
  try {
    return localStorage.getItem(AUTO_EXTEND_KEY) === "1";
  } catch {
    return false;
  }
}

/**
 * "Keep me signed in while I'm active": a choice per browser, so it lives in localStorage
 * and every tab follows it (the `storage` event). Applied on every signed-in page; the
 * checkbox is on the dashboard.
 */
export function setupAutoExtend(client: DemoClient): void {
  const field = hook("auto-extend-field");
  const box = hook<HTMLInputElement>("auto-extend");
  const apply = (enabled: boolean) => {
    if (box) box.checked = enabled;
    client.setAutoExtend(enabled);
  };
  apply(readAutoExtend());
  window.addEventListener("storage", (event) => {
    if (event.key === AUTO_EXTEND_KEY) apply(event.newValue === "1");
  });
  if (!field || !box) return;
  field.hidden = false;
  box.addEventListener("change", () => {
    try {
      localStorage.setItem(AUTO_EXTEND_KEY, box.checked ? "1" : "0");
    } catch {
      // Not remembered; it still applies to this tab.
    }
    apply(box.checked);
    toast(box.checked ? "You'll stay signed in while you're active." : "Activity no longer extends your session.");
  });
}
