/**
 * The memory store's footprint (run with --expose-gc): bytes per session, from the heap
 * after a full GC, and the store staying at its cap as two and three times as many sessions
 * arrive (its heap settles: a Map keeps some room after deletions, then reuses it).
 */
import { memoryStore } from "stint";
import { randomIds, sessionRecord } from "../lib/records.js";
import { finish, workerInput } from "../lib/worker.js";

export interface MemoryInput {
  sessions: number;
}

export interface MemoryResult {
  sessions: number;
  bytesPerSession: number;
  maxEntries: number;
  inserted: number;
  countAtEnd: number;
  /** Heap held by the capped store once full, and after twice and three times its cap were inserted. */
  storeHeapAtCapMb: number;
  storeHeapAtTwiceCapMb: number;
  storeHeapAtThriceCapMb: number;
  /** Growth from 1× to 2×, and from 2× to 3×, relative to the store's size at its cap. */
  heapGrowthPercent: number;
  heapGrowthAfterPercent: number;
}

const gc = (globalThis as { gc?: () => void }).gc;

function heapUsed(): number {
  if (!gc) throw new Error("run with --expose-gc");
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

async function insert(store: ReturnType<typeof memoryStore>, count: number, now: number): Promise<void> {
  const ids = randomIds(count);
  for (let i = 0; i < count; i++)
    await store.create(sessionRecord(ids[i] as string, i, now, now + 86_400_000), { now });
}

async function main() {
  const { sessions } = workerInput<MemoryInput>();
  const now = Date.now();

  const sized = memoryStore({ maxEntries: sessions * 2 });
  const empty = heapUsed();
  await insert(sized, sessions, now);
  const bytesPerSession = (heapUsed() - empty) / sessions;
  await sized.close();

  const before = heapUsed();
  const capped = memoryStore({ maxEntries: sessions });
  await insert(capped, sessions, now);
  const atCap = heapUsed();
  await insert(capped, sessions, now);
  const atTwice = heapUsed();
  await insert(capped, sessions, now);
  const atThrice = heapUsed();
  const result: MemoryResult = {
    sessions,
    bytesPerSession,
    maxEntries: sessions,
    inserted: sessions * 3,
    countAtEnd: (await capped.count?.(now)) ?? 0,
    storeHeapAtCapMb: (atCap - before) / 2 ** 20,
    storeHeapAtTwiceCapMb: (atTwice - before) / 2 ** 20,
    storeHeapAtThriceCapMb: (atThrice - before) / 2 ** 20,
    heapGrowthPercent: ((atTwice - atCap) / (atCap - before)) * 100,
    heapGrowthAfterPercent: ((atThrice - atTwice) / (atCap - before)) * 100,
  };
  finish(result);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
