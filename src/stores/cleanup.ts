import type { Store } from "./store.js";

/**
 * Deletes expired sessions in bounded batches, yielding to the event loop between them so a
 * large cleanup never stalls the requests being served (an index on expiry, never a scan).
 */
export async function deleteExpiredInBatches(
  store: Store,
  now: () => number,
  options: { batchSize?: number; maxBatches?: number } = {},
): Promise<number> {
  const { batchSize = 500, maxBatches = Number.POSITIVE_INFINITY } = options;
  let total = 0;
  for (let batch = 0; batch < maxBatches; batch++) {
    const deleted = await store.deleteExpired(now(), batchSize);
    total += deleted;
    if (deleted < batchSize) break;
    await new Promise((resolve) => setImmediate(resolve));
  }
  return total;
}
