/**
 * The throwaway Redis, Redis Cluster and PostgreSQL servers of a run (test/support/), started
 * in the background and shared by every scenario; a missing one is reported, not fatal.
 */
import { type RedisCluster, startRedisCluster } from "../../test/support/redis-cluster.js";
import {
  type PostgresServer,
  type RedisServer,
  ServiceMissingError,
  startPostgres,
  startRedis,
} from "../../test/support/services.js";
import type { StoreKind } from "../servers/common.js";
import { RedisCommandStats } from "./redis-stats.js";

/** The command counters of each Redis-backed store kind of a run. */
export type CommandStatsByStore = Partial<Record<StoreKind, RedisCommandStats>>;

/** A variant's store server is not installed here: the variant is left out and reported. */
export class Unavailable extends Error {
  constructor(readonly service: string) {
    super(`${service} is not available on this machine`);
  }
}

export class Services {
  readonly #redis: Promise<RedisServer | null>;
  readonly #cluster: Promise<RedisCluster | null>;
  readonly #postgres: Promise<PostgresServer | null>;
  readonly missing: string[] = [];
  #stats: Promise<CommandStatsByStore> | undefined;

  constructor(options: { redis: boolean; cluster: boolean; postgres: boolean }) {
    this.#redis = options.redis ? this.#optional("Redis", () => startRedis()) : Promise.resolve(null);
    this.#cluster = options.cluster
      ? this.#optional("Redis Cluster", () => startRedisCluster())
      : Promise.resolve(null);
    this.#postgres = options.postgres ? this.#optional("PostgreSQL", () => startPostgres()) : Promise.resolve(null);
  }

  async #optional<T>(name: string, start: () => Promise<T>): Promise<T | null> {
    try {
      return await start();
    } catch (error) {
      if (!(error instanceof ServiceMissingError)) throw error;
      this.missing.push(`${name}: ${error.message}`);
      return null;
    }
  }

  redis(): Promise<RedisServer | null> {
    return this.#redis;
  }

  /** Three masters with a replica each, on loopback. */
  cluster(): Promise<RedisCluster | null> {
    return this.#cluster;
  }

  postgres(): Promise<PostgresServer | null> {
    return this.#postgres;
  }

  /** INFO commandstats of the Redis server and of the cluster's masters (clients made on first use). */
  commandStats(): Promise<CommandStatsByStore> {
    this.#stats ??= (async () => {
      const [redis, cluster] = await Promise.all([this.#redis, this.#cluster]);
      const stats: CommandStatsByStore = {};
      if (redis) stats.redis = new RedisCommandStats(redis.url);
      if (cluster) stats["redis-cluster"] = new RedisCommandStats(await masterUrls(cluster));
      return stats;
    })();
    return this.#stats;
  }

  /**
   * The environment telling a benchmark server where its store is, waiting only for the
   * server it needs; throws Unavailable when that server could not be started.
   */
  async envFor(store: StoreKind | undefined): Promise<Record<string, string>> {
    if (store === "redis") {
      const redis = await this.#redis;
      if (!redis) throw new Unavailable("Redis");
      return { BENCH_REDIS_URL: redis.url };
    }
    if (store === "redis-cluster") {
      const cluster = await this.#cluster;
      if (!cluster) throw new Unavailable("Redis Cluster");
      return { BENCH_REDIS_CLUSTER_URL: cluster.url };
    }
    if (store === "postgres") {
      const postgres = await this.#postgres;
      if (!postgres) throw new Unavailable("PostgreSQL");
      return { BENCH_POSTGRES_URL: postgres.url };
    }
    return {};
  }

  async dispose(): Promise<void> {
    const stats = await this.#stats?.catch(() => ({}) as CommandStatsByStore);
    await Promise.all(Object.values(stats ?? {}).map((source) => source.close()));
    const [redis, cluster, postgres] = await Promise.allSettled([this.#redis, this.#cluster, this.#postgres]);
    if (redis.status === "fulfilled") await redis.value?.dispose();
    if (cluster.status === "fulfilled") await cluster.value?.dispose();
    if (postgres.status === "fulfilled") await postgres.value?.dispose();
  }
}

/** redis://… of each master of a cluster, for their command counts. */
export async function masterUrls(cluster: RedisCluster): Promise<string[]> {
  const nodes = await cluster.nodes();
  return nodes.filter((node) => node.role === "master").map((node) => `redis://127.0.0.1:${node.port}`);
}
