import type { ConnectionOptions } from "node:tls";
import { Redis } from "ioredis";
import type { PubSub } from "./pubsub.js";
import { listeningPubSub } from "./redis.js";

/** How to reach one node, as ioredis keeps it (`Redis#options`). */
export interface RedisNodeOptions {
  host?: string;
  port?: number;
  username?: string;
  password?: string;
  tls?: ConnectionOptions;
  family?: number;
}

/** What the pub/sub needs of an ioredis `Cluster`, typed structurally (no ioredis types in ours). */
export interface RedisClusterPubSubClient {
  publish(channel: string, message: string): Promise<unknown>;
  /** The cluster's node connections (ioredis `Redis` instances): where a listener may connect. */
  nodes(
    role?: "all" | "master" | "slave",
  ): ReadonlyArray<{ readonly options: RedisNodeOptions; readonly status: string }>;
  on(event: "-node", listener: (...args: unknown[]) => void): unknown;
  off(event: "-node", listener: (...args: unknown[]) => void): unknown;
}

/**
 * Redis pub/sub on a Redis Cluster. PUBLISH (from the client or from inside a script) reaches
 * subscribers on every node: the cluster bus carries it. So one listening connection, to any
 * node, hears everything; it is Stint's own connection rather than ioredis' cluster subscriber
 * so that the link state is honest: when its node dies the link is down until a connection
 * to another node listens again, and meanwhile the session cache serves nothing from memory.
 *
 * A master that dies may take with it announcements it had published but not yet passed to
 * the other nodes. When the cluster client drops a node from its pool (after a failover), the
 * link is reported down and up at once, and the caches drop what they hold.
 */
export function redisClusterPubSub(
  client: RedisClusterPubSubClient,
  options: {
    timeoutMs: number;
    /**
     * PUBLISHes a message about a session from the master holding it. Its own scripts
     * announced the session's changes from there, and messages from one node reach a listener
     * in the order they were sent; from different nodes, in any order: a revocation's event
     * sent from elsewhere could reach another process before the announcement that drops the
     * session from its cache, and a client told "revoked" would still be served the session.
     */
    relay?: (about: string, channel: string, message: string) => Promise<unknown>;
  },
): PubSub {
  let next = 0;
  const { relay } = options;
  const { pubsub, interrupt } = listeningPubSub({
    publish: (channel, message, about) =>
      about !== undefined && relay ? relay(about, channel, message) : client.publish(channel, message),
    connect: () => {
      const nodes = client.nodes("all");
      const ready = nodes.filter((node) => node.status === "ready");
      // Before the cluster client has connected, its seeds are all there is.
      const candidates = ready.length > 0 ? ready : nodes;
      const node = candidates[next++ % Math.max(1, candidates.length)];
      const { host, port, username, password, tls, family } = node?.options ?? {};
      return new Redis({
        host,
        port,
        username,
        password,
        tls,
        family,
        connectTimeout: options.timeoutMs,
        // Named in CLIENT LIST, for operators (and tests) looking for Stint's listeners.
        connectionName: "stint-listener",
        autoResubscribe: false,
        enableOfflineQueue: true,
        maxRetriesPerRequest: null,
        // No reconnecting to this node: the next connection goes to another one.
        retryStrategy: () => null,
      });
    },
  });
  client.on("-node", interrupt);
  return {
    ...pubsub,
    get up() {
      return pubsub.up;
    },
    close: async () => {
      client.off("-node", interrupt);
      await pubsub.close();
    },
  };
}
