/**
 * The scale scenario's worker, one fresh process per store: fills the store with `sessions`
 * sessions (of which `expired` expire first), times `lookups` store.get calls of random live
 * ids, then deletes the expired ones with the bounded, batched cleanup Stint runs
 * (deleteExpiredInBatches) while monitorEventLoopDelay records the longest stall.
 */
import { monitorEventLoopDelay } from "node:perf_hooks";
import type { Store } from "stint";
import { deleteExpiredInBatches } from "../../src/core/cleanup.js";
import { percentile, randomIds, sessionRecord } from "../lib/records.js";
import { finish, workerInput } from "../lib/worker.js";
import { type FillInput, fillPostgres, fillRedis, fillSqlite } from "./fill.js";

export interface ScaleInput {
  store: "sqlite" | "redis" | "postgres";
  sessions: number;
  expired: number;
  lookups: number;
  url?: string;
  dir: string;
}

export interface ScaleResult {
  store: string;
  sessions: number;
  insertSeconds: number;
  insertPath: string;
  lookups: number;
  lookupP50Ms: number;
  lookupP99Ms: number;
  lookupMaxMs: number;
  expired: number;
  deleted: number;
  cleanupSeconds: number;
  /** The longest the event loop was held while cleanup ran (monitorEventLoopDelay). */
  cleanupMaxStallMs: number;
  /** Batches cleanup ran, and the most one was allowed to delete (deleteExpiredInBatches' default). */
  cleanupBatches: number;
  cleanupBatchSize: number;
  /** The longest single batch, from call to answer. */
  cleanupLongestBatchMs: number;
  /** The most CPU time used between two event-loop turns (not counting waits for a core). */
  cleanupMaxOnCpuMs: number;
}

const HOUR = 3_600_000;

async function main() {
  const input = workerInput<ScaleInput>();
  const now = Date.now();
  const ids = randomIds(input.sessions);
  // The first `expired` sessions expire in an hour, the others in a day; cleanup runs "two
  // hours from now", so exactly the first ones are due.
  const soonAt = now + HOUR;
  const lateAt = now + 24 * HOUR;
  const fill: FillInput = {
    location: input.store === "sqlite" ? input.dir : (input.url ?? ""),
    ids,
    record: (index) => sessionRecord(ids[index] as string, index, now, index < input.expired ? soonAt : lateAt),
    expired: input.expired,
    soonAt,
    lateAt,
    now,
  };
  const started = performance.now();
  const fillers = { sqlite: fillSqlite, redis: fillRedis, postgres: fillPostgres };
  const filled = await fillers[input.store](fill);
  const insertSeconds = (performance.now() - started) / 1000;

  const timings = await lookups(filled.store, ids, input.expired, input.lookups, now);
  const cleanup = await cleanupWithStalls(filled.store, now + 2 * HOUR);
  await filled.close();
  const result: ScaleResult = {
    store: input.store,
    sessions: input.sessions,
    insertSeconds,
    insertPath: filled.path,
    lookups: input.lookups,
    lookupP50Ms: percentile(timings, 50),
    lookupP99Ms: percentile(timings, 99),
    lookupMaxMs: timings[timings.length - 1] ?? 0,
    expired: input.expired,
    deleted: cleanup.deleted,
    cleanupSeconds: cleanup.seconds,
    cleanupMaxStallMs: cleanup.maxStallMs,
    cleanupBatches: cleanup.batches,
    cleanupBatchSize: cleanup.batchSize,
    cleanupLongestBatchMs: cleanup.longestBatchMs,
    cleanupMaxOnCpuMs: cleanup.maxOnCpuMs,
  };
  finish(result);
}

/** Each lookup timed alone (performance.now around one awaited store.get), sorted. */
async function lookups(store: Store, ids: string[], firstLive: number, count: number, now: number) {
  const timings = new Float64Array(count);
  // Warm the connection and the statement first.
  for (let i = 0; i < 200; i++) await store.get(ids[firstLive + i] as string, now);
  for (let i = 0; i < count; i++) {
    const id = ids[firstLive + Math.floor(Math.random() * (ids.length - firstLive))] as string;
    const started = performance.now();
    const found = await store.get(id, now);
    timings[i] = performance.now() - started;
    if (!found) throw new Error(`a stored session was not found (${id})`);
  }
  return timings.sort();
}

async function cleanupWithStalls(store: Store, at: number) {
  // Each batch timed too: on SQLite it runs synchronously, so it is the stall the store causes.
  let longestBatchMs = 0;
  let batches = 0;
  let batchSize = 0;
  const timed: Store = {
    ...store,
    async deleteExpired(now, limit) {
      batches += 1;
      batchSize = Math.max(batchSize, limit);
      const started = performance.now();
      try {
        return await store.deleteExpired(now, limit);
      } finally {
        longestBatchMs = Math.max(longestBatchMs, performance.now() - started);
      }
    },
  };
  const histogram = monitorEventLoopDelay({ resolution: 1 });
  histogram.enable();
  const onCpu = watchOnCpuStretches();
  const started = performance.now();
  const deleted = await deleteExpiredInBatches(timed, () => at);
  const seconds = (performance.now() - started) / 1000;
  histogram.disable();
  return {
    deleted,
    seconds,
    maxStallMs: histogram.max / 1e6,
    longestBatchMs,
    maxOnCpuMs: onCpu.stop(),
    batches,
    batchSize,
  };
}

/**
 * The most CPU time the process used between two turns of a 1 ms timer: unlike the event-loop
 * delay, it leaves out time the process waited for a core on a busy machine.
 */
function watchOnCpuStretches(): { stop(): number } {
  let longest = 0;
  let last = process.cpuUsage();
  const timer = setInterval(() => {
    const now = process.cpuUsage();
    longest = Math.max(longest, (now.user - last.user + now.system - last.system) / 1000);
    last = now;
  }, 1);
  return {
    stop() {
      clearInterval(timer);
      return longest;
    },
  };
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
