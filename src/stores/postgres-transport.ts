import pg from "pg";
import { type EventTransport, parseStreamEvent, type StreamEvent } from "../http/event-hub.js";

const RECONNECT_MS = 500;

/**
 * Stream events between workers over PostgreSQL LISTEN/NOTIFY. LISTEN needs one dedicated
 * connection for the life of the process; when it drops, the transport reconnects and
 * listens again. NOTIFY payloads are limited to 8,000 bytes: stream events are tiny.
 */
export function postgresTransport(url: string, options: { channel?: string } = {}): EventTransport {
  const channel = options.channel ?? "stint_events";
  const publisher = new pg.Pool({ connectionString: url, max: 2, connectionTimeoutMillis: 2_000 });
  publisher.on("error", () => undefined);
  const listeners = new Set<(event: StreamEvent) => void>();
  let listener: pg.Client | null = null;
  let closed = false;

  const listen = async () => {
    if (closed) return;
    const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2_000 });
    client.on("error", () => undefined);
    client.on("end", () => {
      if (listener === client) listener = null;
      if (!closed) setTimeout(listen, RECONNECT_MS).unref();
    });
    client.on("notification", (message) => {
      const event = message.payload ? parseStreamEvent(message.payload) : null;
      if (event) for (const notify of listeners) notify(event);
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${channel}`);
      listener = client;
    } catch {
      await client.end().catch(() => undefined);
    }
  };
  void listen();

  return {
    publish: (event) => {
      publisher.query("SELECT pg_notify($1, $2)", [channel, JSON.stringify(event)]).catch(() => undefined);
    },
    subscribe: (notify) => {
      listeners.add(notify);
      return () => listeners.delete(notify);
    },
    close: async () => {
      closed = true;
      listeners.clear();
      await listener?.end().catch(() => undefined);
      await publisher.end().catch(() => undefined);
    },
  };
}
