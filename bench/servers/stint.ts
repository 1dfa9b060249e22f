/**
 * Stint for a benchmark server: its store, counted at the store as test/support does, and
 * `createStint` with the defaults an app gets.
 */
import { join } from "node:path";
import { createStint, memoryStore, type Stint, type Store } from "stint";
import { sqliteStore } from "stint/sqlite";
import { countingStore } from "../../test/support/counting-store.js";
import { type CounterSource, SECRET, type StoreKind, type VariantContext } from "./common.js";

export async function openStore(kind: StoreKind, context: VariantContext): Promise<Store> {
  const name = `bench_${context.spec.framework}_${context.spec.session}`.replaceAll("-", "_");
  switch (kind) {
    case "memory":
      return memoryStore({ maxEntries: 100_000 });
    case "sqlite":
      return sqliteStore({ path: join(context.dir, "stint.db") });
    case "redis": {
      const { redisStore } = await import("stint/redis");
      return redisStore({ client: await countedRedis(required(context.redisUrl, "Redis")), prefix: `${name}:` });
    }
    case "redis-cluster": {
      const { redisStore } = await import("stint/redis");
      return redisStore({ url: required(context.redisClusterUrl, "Redis Cluster"), prefix: `${name}:` });
    }
    case "postgres": {
      const { postgresStore } = await import("stint/postgres");
      return postgresStore({ url: required(context.postgresUrl, "PostgreSQL"), table: name });
    }
  }
}

/** Stint on the variant's store, every store call counted. */
export async function benchStint(context: VariantContext): Promise<{ stint: Stint; counters: CounterSource }> {
  const store = countingStore(await openStore(context.spec.store ?? "memory", context));
  return {
    stint: createStint({ store, secret: SECRET }),
    counters: { calls: () => ({ ...store.calls, [ROUND_TRIPS]: roundTrips }), writes: store.writes },
  };
}

/** Where the Redis round trips of a server are reported among its store calls. */
export const ROUND_TRIPS = "redis round trips";
let roundTrips = 0;

/**
 * An ioredis client like the one `redisStore({ url })` opens, whose every command sent to
 * Redis (a round trip, whatever a script runs inside it) is counted. Its pub/sub connection
 * (a duplicate) is not.
 */
async function countedRedis(url: string) {
  const { Redis } = await import("ioredis");
  const client = new Redis(url, { maxRetriesPerRequest: 1 });
  const send = client.sendCommand.bind(client);
  client.sendCommand = (command, stream) => {
    roundTrips++;
    return send(command, stream);
  };
  await new Promise((resolve) => client.once("ready", resolve));
  return client;
}

function required(url: string | undefined, what: string): string {
  if (!url) throw new Error(`This variant needs the parent to start a ${what} server.`);
  return url;
}
