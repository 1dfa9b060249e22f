import type { TestProject } from "vitest/node";
import { type RedisCluster, startRedisCluster } from "./redis-cluster.js";
import { type PostgresServer, type RedisServer, ServiceMissingError, startPostgres, startRedis } from "./services.js";

declare module "vitest" {
  export interface ProvidedContext {
    /** A Redis for the whole run, or "" when none is installed (suites skip, never under CI). */
    redisUrl: string;
    /** A PostgreSQL database for the whole run, or "" when none is installed. */
    databaseUrl: string;
    /**
     * A Redis Cluster for the whole run (`redis+cluster://…`, three masters with a replica
     * each), or "" when redis-server is not installed. Shared: a test that kills nodes starts its own.
     */
    redisClusterUrl: string;
  }
}

let redis: RedisServer | undefined;
let postgres: PostgresServer | undefined;
let cluster: RedisCluster | undefined;

/**
 * Starts one Redis, one PostgreSQL and one Redis Cluster for the whole run, all at once,
 * unless REDIS_URL / DATABASE_URL / REDIS_CLUSTER_URL name servers already. A missing binary
 * fails the run under CI (issue 4: "a missing server is a failure, not a skip"); on a
 * developer machine it warns and those suites are skipped.
 */
export async function setup(project: TestProject): Promise<void> {
  const started = await Promise.allSettled([
    process.env.REDIS_URL ??
      optional("redis-server", async () => {
        redis = await startRedis();
        return redis.url;
      }),
    process.env.DATABASE_URL ??
      optional("PostgreSQL", async () => {
        postgres = await startPostgres();
        await createDatabase(postgres.url, "stint_test");
        return postgres.urlFor("stint_test");
      }),
    process.env.REDIS_CLUSTER_URL ??
      optional("Redis Cluster", async () => {
        cluster = await startRedisCluster();
        return cluster.url;
      }),
  ]);
  const failed = started.find((result) => result.status === "rejected");
  if (failed) {
    await teardown();
    throw failed.reason;
  }
  const [redisUrl, databaseUrl, redisClusterUrl] = started.map((result) =>
    result.status === "fulfilled" ? result.value : "",
  );
  project.provide("redisUrl", redisUrl ?? "");
  project.provide("databaseUrl", databaseUrl ?? "");
  project.provide("redisClusterUrl", redisClusterUrl ?? "");
}

export async function teardown(): Promise<void> {
  await Promise.allSettled([redis?.dispose(), postgres?.dispose(), cluster?.dispose()]);
  redis = undefined;
  postgres = undefined;
  cluster = undefined;
}

async function optional(name: string, start: () => Promise<string>): Promise<string> {
  try {
    return await start();
  } catch (error) {
    if (!(error instanceof ServiceMissingError) || process.env.CI) throw error;
    console.warn(`[global-setup] ${error.message} The ${name} suites are skipped.`);
    return "";
  }
}

async function createDatabase(url: string, name: string): Promise<void> {
  const { default: pg } = await import("pg");
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(`CREATE DATABASE "${name}"`);
  } finally {
    await client.end();
  }
}
