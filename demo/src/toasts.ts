import { hook } from "./dom.js";

const VISIBLE_MS = 4000;
const MAX_TOASTS = 3;

/** A short note in the page's polite live region, gone after a few seconds. */
export function toast(message: string): void {
  const region = hook("toasts");
  if (!region) return;
  const item = document.createElement("div");
  item.className = "toast";
  item.dataset.stint = "toast";
  item.textContent = message;
  region.append(item);
  while (region.childElementCount > MAX_TOASTS) region.firstElementChild?.remove();
  setTimeout(() => {
    item.classList.add("leaving");
    setTimeout(() => item.remove(), 300);
  }, VISIBLE_MS);
}
