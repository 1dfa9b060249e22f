/**
 * "stint/redis": sessions in Redis (ioredis), shared by every process, with Stint's events
 * between them over pub/sub.
 *
 * @example
 * ```ts
 * import { createStint } from "stint";
 * import { redisStore } from "stint/redis";
 * const stint = createStint({ store: redisStore({ url: "redis://127.0.0.1:6379/0" }), secret });
 * // Sessions spread over every master of a Redis Cluster:
 * const spread = redisStore({ cluster: ["10.0.0.1:7000", "10.0.0.2:7000"], shardKey: process.env.SHARD_KEY });
 * ```
 */
export {
  type RedisClientOptions,
  type RedisStoreClient,
  type RedisStoreOptions,
  type RedisUrlOptions,
  redisStore,
} from "./stores/redis.js";
export type {
  ClusterSeed,
  RedisClusterStoreClient,
  RedisClusterStoreOptions,
} from "./stores/redis-cluster.js";
