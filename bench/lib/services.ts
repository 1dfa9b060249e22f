/**
 * The throwaway Redis and PostgreSQL servers of a run (test/support/services.ts), started in
 * the background and shared by every scenario; a missing one is reported, not fatal.
 */
import {
  type PostgresServer,
  type RedisServer,
  ServiceMissingError,
  startPostgres,
  startRedis,
} from "../../test/support/services.js";
import type { StoreKind } from "../servers/common.js";
import { RedisCommandStats } from "./redis-stats.js";

/** A variant's store server is not installed here: the variant is left out and reported. */
export class Unavailable extends Error {
  constructor(readonly service: string) {
    super(`${service} is not available on this machine`);
  }
}

export class Services {
  readonly #redis: Promise<RedisServer | null>;
  readonly #postgres: Promise<PostgresServer | null>;
  readonly missing: string[] = [];
  #stats: RedisCommandStats | undefined;

  constructor(options: { redis: boolean; postgres: boolean }) {
    this.#redis = options.redis ? this.#optional("Redis", () => startRedis()) : Promise.resolve(null);
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

  postgres(): Promise<PostgresServer | null> {
    return this.#postgres;
  }

  /** INFO commandstats of the Redis server (one client, made on first use). */
  async redisStats(): Promise<RedisCommandStats | null> {
    const redis = await this.#redis;
    if (!redis) return null;
    this.#stats ??= new RedisCommandStats(redis.url);
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
    if (store === "postgres") {
      const postgres = await this.#postgres;
      if (!postgres) throw new Unavailable("PostgreSQL");
      return { BENCH_POSTGRES_URL: postgres.url };
    }
    return {};
  }

  async dispose(): Promise<void> {
    await this.#stats?.close();
    const [redis, postgres] = await Promise.allSettled([this.#redis, this.#postgres]);
    if (redis.status === "fulfilled") await redis.value?.dispose();
    if (postgres.status === "fulfilled") await postgres.value?.dispose();
  }
}
