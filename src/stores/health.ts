import type { StoreHealth } from "./store.js";

/**
 * A store's health: the time a cheap probe (a PING, a `SELECT 1`, a directory check) takes,
 * or its failure. The failure's own words stay in `detail`: guardStore keeps them for the
 * log and reports a fixed word (API.md: health never carries a driver's message).
 */
export async function probeHealth(probe: () => unknown): Promise<StoreHealth> {
  const started = performance.now();
  try {
    await probe();
    return { ok: true, latencyMs: performance.now() - started };
  } catch (error) {
    return { ok: false, latencyMs: performance.now() - started, detail: (error as Error).message };
  }
}
