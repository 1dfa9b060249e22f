import { hook } from "./dom.js";

const VISIBLE_MS = 4000;
const MAX_TOASTS = 3;
const timers = new WeakMap<Element, ReturnType<typeof setTimeout>>();

function dismissLater(item: HTMLElement): void {
  clearTimeout(timers.get(item));
  timers.set(
    item,
    setTimeout(() => {
      item.classList.add("leaving");
      setTimeout(() => item.remove(), 300);
    }, VISIBLE_MS),
  );
}

/**
 * A short note in the page's polite live region, gone after a few seconds. The same note
 * twice in a row (two fields changed in another tab) shows once, for longer.
 */
export function toast(message: string): void {
  const region = hook("toasts");
  if (!region) return;
  const same = [...region.children].find(
    (child): child is HTMLElement =>
      child instanceof HTMLElement && child.textContent === message && !child.classList.contains("leaving"),
  );
  if (same) {
    dismissLater(same);
    return;
  }
  const item = document.createElement("div");
  item.className = "toast";
  item.dataset.stint = "toast";
  item.textContent = message;
  region.append(item);
  while (region.childElementCount > MAX_TOASTS) region.firstElementChild?.remove();
  dismissLater(item);
}
