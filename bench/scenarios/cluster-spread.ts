/**
 * Sessions and load spread over the masters of a Redis Cluster (issue 13): many users sign in
 * (each session in its user's bucket) and each session is read once, with the sessions each
 * master holds and the commands each master ran (INFO commandstats) counted apart.
 */
import { randomUUID } from "node:crypto";
import { Redis } from "ioredis";
import { redisStore } from "stint/redis";
import { makeRecord } from "stint/testing";
import type { RunContext } from "../lib/context.js";
import { commandDelta, RedisCommandStats, totalCommands } from "../lib/redis-stats.js";
import { masterUrls } from "../lib/services.js";

export interface ClusterSpreadResult {
  users: number;
  /** Per master, in slot order: sessions held, and commands run by the sign-ins and reads. */
  masters: Array<{ port: number; sessions: number; commands: number }>;
  seconds: number;
}

export async function runClusterSpread(run: RunContext): Promise<ClusterSpreadResult | null> {
  const cluster = await run.services.cluster();
  if (!cluster) return null;
  const users = run.quick ? 2_000 : 20_000;
  const prefix = `bench_spread_${randomUUID().slice(0, 6)}:`;
  const urls = await masterUrls(cluster);
  const stats = new RedisCommandStats(urls);
  // No cache: every read goes to its master, as a read from another process would.
  const store = redisStore({ url: cluster.url, prefix, cache: false });
  try {
    const before = await stats.snapshotEach();
    const started = performance.now();
    const now = Date.now();
    const ids: string[] = [];
    for (let batch = 0; batch < users; batch += 100) {
      const made = Array.from({ length: Math.min(100, users - batch) }, (_, i) => {
        const userId = `u_spread${batch + i}`;
        return makeRecord({ id: store.newId?.(userId), userId });
      });
      await Promise.all(made.map((record) => store.create(record, { now, maxPerUser: 5 })));
      await Promise.all(made.map((record) => store.get(record.id, now)));
      ids.push(...made.map((record) => record.id));
    }
    const seconds = (performance.now() - started) / 1_000;
    const after = await stats.snapshotEach();
    const masters = await Promise.all(
      urls.map(async (url, index) => {
        const node = new Redis(url, { maxRetriesPerRequest: 1 });
        try {
          const sessions = (await node.keys(`${prefix}{*}s:*`)).length;
          const commands = totalCommands(commandDelta(before[index] ?? {}, after[index] ?? {}));
          return { port: Number(new URL(url).port), sessions, commands };
        } finally {
          node.disconnect();
        }
      }),
    );
    // In batches, as they were made: thousands of deletes at once would outlast their timeout.
    for (let batch = 0; batch < ids.length; batch += 100) {
      await Promise.all(ids.slice(batch, batch + 100).map((id) => store.delete(id)));
    }
    return { users, masters, seconds };
  } finally {
    await store.close();
    await stats.close();
  }
}
