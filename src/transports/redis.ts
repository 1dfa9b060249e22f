import { heartbeat, InFlight, type PubSub, Topics } from "./pubsub.js";

/** A connection that listens: what ioredis' `duplicate()` gives (a `Redis` or a `Cluster`). */
export interface RedisSubscriberConnection {
  subscribe(...channels: string[]): Promise<unknown>;
  /** Allowed on a subscribed connection: its answer proves the link still delivers. */
  ping(): Promise<unknown>;
  on(event: "message", listener: (channel: string, message: string) => void): unknown;
  on(event: "ready" | "close" | "end" | "reconnecting" | "error", listener: (...args: unknown[]) => void): unknown;
  disconnect(reconnect?: boolean): void;
}

/** The commands the pub/sub needs of the store's client, typed structurally (ioredis fits). */
export interface RedisPubSubClient {
  publish(channel: string, message: string): Promise<unknown>;
  duplicate(options?: Record<string, unknown>): RedisSubscriberConnection;
}

/**
 * Redis pub/sub over the store's own client: PUBLISH on it, and one more connection (its
 * duplicate) that only listens, opened on the first subscription. A subscribed connection
 * can do nothing else. ioredis reconnects by itself; Stint subscribes again on every `ready`
 * (not ioredis' auto-resubscribe), so the link is reported up only once it truly listens.
 */
export function redisPubSub(client: RedisPubSubClient): PubSub {
  const topics = new Topics();
  const sending = new InFlight();
  let subscriber: RedisSubscriberConnection | undefined;
  let closed = false;
  let stopHeartbeat = () => {};

  const listen = (connection: RedisSubscriberConnection) => {
    const names = topics.names;
    connection.subscribe(...names).then(
      () => {
        if (subscriber === connection && !closed) topics.setLink(true);
      },
      // The connection drops again or the server refuses: `close` follows and ready retries.
      () => undefined,
    );
  };

  const open = () => {
    const connection = client.duplicate({
      autoResubscribe: false,
      enableOfflineQueue: true,
      maxRetriesPerRequest: null,
      lazyConnect: false,
    });
    subscriber = connection;
    connection.on("message", (channel, message) => topics.deliver(channel, message));
    connection.on("ready", () => listen(connection));
    for (const event of ["close", "end", "reconnecting"] as const) connection.on(event, () => topics.setLink(false));
    // Failures show as a link down; an unhandled "error" event would crash the process.
    connection.on("error", () => undefined);
    // A link that stopped answering is down, and is made again.
    stopHeartbeat = heartbeat(
      () => connection.ping(),
      () => {
        if (subscriber !== connection || closed || !topics.up) return;
        topics.setLink(false);
        connection.disconnect(true);
      },
    );
  };

  return {
    publish: (topic, message) => {
      if (!closed) sending.track(client.publish(topic, message));
    },
    subscribe: (topic, listener) => {
      const { remove, opened } = topics.add(topic, listener);
      if (!subscriber) open();
      else if (opened) {
        // Until the server confirms, this topic's messages may be missed: say the link is down.
        const connection = subscriber;
        topics.setLink(false);
        connection.subscribe(topic).then(
          () => {
            if (subscriber === connection && !closed) topics.setLink(true);
          },
          () => undefined,
        );
      }
      return remove;
    },
    onLink: (listener) => topics.onLink(listener),
    get up() {
      return topics.up;
    },
    close: async () => {
      closed = true;
      stopHeartbeat();
      topics.setLink(false);
      topics.clear();
      subscriber?.disconnect();
      // A revocation published just before closing (the CLI's) still goes out.
      await sending.settled();
    },
  };
}
