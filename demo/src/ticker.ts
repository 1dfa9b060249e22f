import type { DemoClient } from "./client.js";

// A little after the boundary, so the client's rounded-up seconds have just changed.
const AFTER_BOUNDARY_MS = 20;

/**
 * Calls `callback` each time the whole number of seconds left changes. Ticks are aligned to
 * the session's deadline rather than to when the page loaded, so every tab shows the same
 * count at the same moment. Returns the function that stops it.
 */
export function everySecond(client: DemoClient, callback: () => void): () => void {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const schedule = () => {
    const deadline = client.getSnapshot().expiresAt;
    const delay = deadline === null ? 1000 : (((deadline - Date.now()) % 1000) + 1000) % 1000;
    timer = setTimeout(() => {
      callback();
      schedule();
    }, delay + AFTER_BOUNDARY_MS);
  };
  schedule();
  return () => clearTimeout(timer);
}
