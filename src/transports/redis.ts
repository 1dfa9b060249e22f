import { heartbeat, InFlight, type PubSub, Topics } from "./pubsub.js";

/** A connection that listens: what ioredis' `duplicate()` gives, or a `Redis` to one cluster node. */
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
 * can do nothing else. ioredis reconnects by itself.
 */
export function redisPubSub(client: RedisPubSubClient): PubSub {
  return listeningPubSub({
    publish: (channel, message) => client.publish(channel, message),
    connect: () =>
      client.duplicate({
        autoResubscribe: false,
        enableOfflineQueue: true,
        maxRetriesPerRequest: null,
        lazyConnect: false,
      }),
  }).pubsub;
}

export interface ListeningOptions {
  publish(channel: string, message: string, about?: string): Promise<unknown>;
  /** A new listening connection; called again, after a pause, whenever the last one has ended for good. */
  connect(): RedisSubscriberConnection;
}

/**
 * The pub/sub both Redis layouts share: PUBLISH through the store's client, and one listening
 * connection. Stint subscribes again on every `ready` (not ioredis' auto-resubscribe), so the
 * link is reported up only once it truly listens; a heartbeat finds a link that went silent.
 * `interrupt` reports the link down and up again at once: messages may have been lost
 * although the connection stayed (a cluster node that published them died), so the listeners
 * drop what they derived from them.
 */
export function listeningPubSub(options: ListeningOptions): { pubsub: PubSub; interrupt(): void } {
  const topics = new Topics();
  const sending = new InFlight();
  let subscriber: RedisSubscriberConnection | undefined;
  let listening = false;
  let closed = false;
  let failures = 0;
  let stopHeartbeat = () => {};

  const setListening = (connection: RedisSubscriberConnection, up: boolean) => {
    if (subscriber !== connection || closed) return;
    listening = up;
    topics.setLink(up);
  };

  const listen = (connection: RedisSubscriberConnection, channels: string[]) => {
    connection.subscribe(...channels).then(
      () => {
        failures = 0;
        setListening(connection, true);
      },
      // The connection drops again or the server refuses: `close` follows and ready retries.
      () => undefined,
    );
  };

  const open = () => {
    if (closed) return;
    const connection = options.connect();
    subscriber = connection;
    connection.on("message", (channel, message) => topics.deliver(channel, message));
    connection.on("ready", () => listen(connection, topics.names));
    for (const event of ["close", "reconnecting"] as const) {
      connection.on(event, () => setListening(connection, false));
    }
    connection.on("end", () => {
      setListening(connection, false);
      if (subscriber !== connection || closed) return;
      // Ended for good (a cluster node gone): another connection, soon but not in a tight loop.
      subscriber = undefined;
      const timer = setTimeout(open, Math.min(50 * 2 ** failures++, 1_000));
      timer.unref?.();
    });
    // Failures show as a link down; an unhandled "error" event would crash the process.
    connection.on("error", () => undefined);
    // A link that stopped answering is down, and is made again (a cluster node's: elsewhere).
    stopHeartbeat();
    stopHeartbeat = heartbeat(
      () => connection.ping(),
      () => {
        if (subscriber !== connection || closed || !topics.up) return;
        setListening(connection, false);
        connection.disconnect(true);
      },
    );
  };

  const pubsub: PubSub = {
    publish: (topic, message, about) => {
      if (!closed) sending.track(options.publish(topic, message, about));
    },
    subscribe: (topic, listener) => {
      const { remove, opened } = topics.add(topic, listener);
      if (!subscriber) open();
      else if (opened) {
        // Until the server confirms, this topic's messages may be missed: say the link is down.
        setListening(subscriber, false);
        listen(subscriber, [topic]);
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
  return {
    pubsub,
    interrupt: () => {
      if (!listening || closed) return;
      topics.setLink(false);
      topics.setLink(true);
    },
  };
}
