import { formatRemaining } from "../../src/demo/format.js";
import { type DemoClient, describeFailure } from "./client.js";
import { hook } from "./dom.js";
import { everySecond } from "./ticker.js";
import { toast } from "./toasts.js";

/**
 * The warning before the session expires, in every signed-in tab. It opens on the client's
 * `warning`, counts down each second from the client's expiry (server clock, skew-corrected),
 * and closes by itself once any tab extends. A modal <dialog> keeps focus inside; Esc
 * dismisses it (the countdown on the page goes on), and focus returns where it was.
 */
export function setupExpiryDialog(client: DemoClient, signOut: () => Promise<void>): void {
  const dialog = hook<HTMLDialogElement>("expiry-warning");
  const stay = hook<HTMLButtonElement>("stay-signed-in");
  const count = hook("warning-remaining");
  if (!dialog || !stay) return;
  let returnFocus: Element | null = null;
  let stopTicking = () => {};

  const tick = () => {
    const seconds = client.remainingSeconds;
    // Extended here, in another tab or by activity: the warning is no longer true.
    if (seconds === null || seconds > client.warningThresholdSeconds) {
      close();
      return;
    }
    if (count) count.textContent = formatRemaining(seconds);
  };
  const open = () => {
    if (dialog.open) return;
    returnFocus = document.activeElement;
    tick();
    dialog.showModal();
    stay.focus();
    stopTicking = everySecond(client, tick);
  };
  const close = () => {
    if (dialog.open) dialog.close();
  };

  dialog.addEventListener("close", () => {
    stopTicking();
    if (returnFocus instanceof HTMLElement && returnFocus.isConnected) returnFocus.focus();
    returnFocus = null;
  });
  client.on("warning", open);
  client.on("change", () => {
    if (dialog.open) tick();
  });
  stay.addEventListener("click", async () => {
    stay.setAttribute("aria-busy", "true");
    try {
      await client.extend();
      close();
      toast("You're still signed in.");
    } catch (error) {
      toast(describeFailure(error));
    } finally {
      stay.removeAttribute("aria-busy");
    }
  });
  hook("dialog-sign-out")?.addEventListener("click", () => {
    close();
    void signOut();
  });
}
