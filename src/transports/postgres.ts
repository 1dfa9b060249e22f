import { heartbeat, InFlight, type PubSub, Topics } from "./pubsub.js";

/** A connection held for LISTEN (a pg `Client` of its own). */
export interface PostgresListenConnection {
  query(text: string, values?: unknown[]): Promise<unknown>;
  on(event: "notification", listener: (message: { channel: string; payload?: string }) => void): unknown;
  on(event: "error" | "end", listener: (...args: unknown[]) => void): unknown;
  /** Closes it for good (it is never reused after an error). */
  release(error?: Error | boolean): void;
}

export interface PostgresPubSubOptions {
  /** NOTIFY through any connection (the store's pool). */
  query(text: string, values?: unknown[]): Promise<unknown>;
  /** Opens the connection that listens: a client of its own, not one of the pool's. */
  listen(): Promise<PostgresListenConnection>;
}

const RECONNECT_MS = 500;

/**
 * PostgreSQL LISTEN/NOTIFY beside the store's pool: NOTIFY through any pooled connection, and
 * one connection of its own held for LISTEN for the life of the process (opened on the first
 * subscription), so the pool keeps all of its connections for queries. When it drops, the link is reported down, and it is opened again until it
 * listens. Channel names are lower-case identifiers; payloads stay far under NOTIFY's 8,000
 * bytes.
 */
export function postgresPubSub(pool: PostgresPubSubOptions): PubSub {
  const topics = new Topics();
  const sending = new InFlight();
  let listener: { connection: PostgresListenConnection; drop(error?: unknown): void } | undefined;
  let started = false;
  let closed = false;

  const listen = async (): Promise<void> => {
    if (closed) return;
    let connection: PostgresListenConnection;
    try {
      connection = await pool.listen();
    } catch {
      setTimeout(listen, RECONNECT_MS).unref();
      return;
    }
    let lost = false;
    let stopHeartbeat = () => {};
    const drop = (error?: unknown) => {
      if (lost) return;
      lost = true;
      stopHeartbeat();
      if (listener?.connection === connection) listener = undefined;
      topics.setLink(false);
      // Destroyed, not returned to the pool: it may be half-dead.
      connection.release(error instanceof Error ? error : true);
      if (!closed) setTimeout(listen, RECONNECT_MS).unref();
    };
    connection.on("notification", (message) => topics.deliver(message.channel, message.payload ?? ""));
    connection.on("error", drop);
    connection.on("end", drop);
    try {
      // Topics added while this runs are listened to as well.
      const listening = new Set<string>();
      for (let next = topics.names[0]; next !== undefined; next = topics.names.find((name) => !listening.has(name))) {
        await connection.query(`LISTEN ${identifier(next)}`);
        listening.add(next);
      }
    } catch (error) {
      drop(error);
      return;
    }
    if (closed) return drop();
    listener = { connection, drop };
    topics.setLink(true);
    // A connection that stopped answering is dropped, and another opened.
    stopHeartbeat = heartbeat(() => connection.query("SELECT 1"), drop);
  };

  return {
    publish: (topic, message) => {
      if (!closed) sending.track(pool.query("SELECT pg_notify($1, $2)", [topic, message]));
    },
    subscribe: (topic, notify) => {
      const { remove, opened } = topics.add(topic, notify);
      if (!started) {
        started = true;
        void listen();
      } else if (opened && listener) {
        // Until LISTEN is done, this topic's notifications may be missed: say the link is down.
        const current = listener;
        topics.setLink(false);
        current.connection.query(`LISTEN ${identifier(topic)}`).then(() => {
          if (listener === current && !closed) topics.setLink(true);
        }, current.drop);
      }
      return remove;
    },
    onLink: (notify) => topics.onLink(notify),
    get up() {
      return topics.up;
    },
    close: async () => {
      closed = true;
      topics.setLink(false);
      topics.clear();
      listener?.drop();
      // A revocation published just before closing (the CLI's) still goes out before the pool ends.
      await sending.settled();
    },
  };
}

/** A channel name as a quoted identifier (names are Stint's own, but quoting costs nothing). */
function identifier(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}
