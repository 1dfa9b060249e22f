import type { Store } from "../stores/store.js";

/**
 * Deletes expired sessions in bounded batches, yielding to the event loop between them so a
 * large cleanup never stalls the requests being served (an index on expiry, never a scan).
 *
 * 100 per batch by default: on SQLite a batch runs synchronously, and with a million
 * sessions a batch of 500 held the event loop for up to ~57 ms (random ids dirty a page of
 * each index per row), 100 for ~2 ms typically (bench/workers/scale.ts). The longest batches
 * left are those that trigger SQLite's WAL checkpoint, as any write can.
 */
export async function deleteExpiredInBatches(
  store: Store,
  now: () => number,
  options: { batchSize?: number; maxBatches?: number } = {},
): Promise<number> {
  const { batchSize = 100, maxBatches = Number.POSITIVE_INFINITY } = options;
  let total = 0;
  for (let batch = 0; batch < maxBatches; batch++) {
    const deleted = await store.deleteExpired(now(), batchSize);
    total += deleted;
    if (deleted < batchSize) break;
    await yieldToEvents();
  }
  return total;
}

/**
 * Deletes expired sessions every `intervalMs` (the library's `cleanupInterval`), in the same
 * bounded batches; returns the function that stops it. A failed round (store down) is simply
 * tried again at the next tick. The timer never keeps a process alive by itself.
 */
export function startCleanupLoop(cleanup: () => Promise<unknown>, intervalMs: number): () => void {
  if (!(intervalMs > 0)) return () => undefined;
  let running = false;
  const timer = setInterval(() => {
    if (running) return;
    running = true;
    cleanup()
      .catch(() => undefined)
      .finally(() => {
        running = false;
      });
  }, intervalMs);
  timer.unref?.();
  return () => clearInterval(timer);
}

/** Lets I/O run between batches: setImmediate where there is one (Node, Bun, Deno), else a timer. */
function yieldToEvents(): Promise<void> {
  const immediate = (globalThis as { setImmediate?: (callback: () => void) => unknown }).setImmediate;
  return new Promise((resolve) => (immediate ? immediate(resolve) : setTimeout(resolve, 0)));
}
