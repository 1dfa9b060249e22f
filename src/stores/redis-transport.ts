import { Redis } from "ioredis";
import { type EventTransport, parseStreamEvent, type StreamEvent } from "../http/event-hub.js";

/**
 * Stream events between workers over Redis pub/sub. A subscribed connection can do nothing
 * else, so the transport keeps two: one to publish, one to listen. ioredis re-subscribes by
 * itself after a reconnect.
 */
export function redisTransport(url: string, options: { channel?: string } = {}): EventTransport {
  const channel = options.channel ?? "stint:events";
  const connection = { lazyConnect: false, maxRetriesPerRequest: 1, enableOfflineQueue: true, connectTimeout: 2_000 };
  const publisher = new Redis(url, connection);
  const subscriber = new Redis(url, { ...connection, maxRetriesPerRequest: null });
  // Connection errors surface as store errors on requests; here they would only be noise.
  publisher.on("error", () => undefined);
  subscriber.on("error", () => undefined);
  const listeners = new Set<(event: StreamEvent) => void>();
  subscriber.subscribe(channel).catch(() => undefined);
  subscriber.on("message", (_channel: string, message: string) => {
    const event = parseStreamEvent(message);
    if (event) for (const listener of listeners) listener(event);
  });
  return {
    publish: (event) => {
      publisher.publish(channel, JSON.stringify(event)).catch(() => undefined);
    },
    subscribe: (listener) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    close: async () => {
      listeners.clear();
      publisher.disconnect();
      subscriber.disconnect();
    },
  };
}
