import { InFlight, type PubSub, Topics } from "./pubsub.js";

/** A connection held for LISTEN: what pg's `pool.connect()` gives. */
export interface PostgresListenConnection {
  query(text: string, values?: unknown[]): Promise<unknown>;
  on(event: "notification", listener: (message: { channel: string; payload?: string }) => void): unknown;
  on(event: "error" | "end", listener: (...args: unknown[]) => void): unknown;
  release(error?: Error | boolean): void;
}

/** What the pub/sub needs of the store's pool, typed structurally (a pg 8 `Pool` fits). */
export interface PostgresPubSubPool {
  query(text: string, values?: unknown[]): Promise<unknown>;
  connect(): Promise<PostgresListenConnection>;
}

const RECONNECT_MS = 500;

/**
 * PostgreSQL LISTEN/NOTIFY over the store's pool: NOTIFY through any pooled connection, and
 * one connection of the pool held for LISTEN for the life of the process (opened on the first
 * subscription). When it drops, the link is reported down, and it is opened again until it
 * listens. Channel names are lower-case identifiers; payloads stay far under NOTIFY's 8,000
 * bytes.
 */
export function postgresPubSub(pool: PostgresPubSubPool): PubSub {
  const topics = new Topics();
  const sending = new InFlight();
  let listener: { connection: PostgresListenConnection; drop(error?: unknown): void } | undefined;
  let started = false;
  let closed = false;

  const listen = async (): Promise<void> => {
    if (closed) return;
    let connection: PostgresListenConnection;
    try {
      connection = await pool.connect();
    } catch {
      setTimeout(listen, RECONNECT_MS).unref();
      return;
    }
    let lost = false;
    const drop = (error?: unknown) => {
      if (lost) return;
      lost = true;
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
      for (const topic of topics.names) await connection.query(`LISTEN ${identifier(topic)}`);
    } catch (error) {
      drop(error);
      return;
    }
    if (closed) return drop();
    listener = { connection, drop };
    topics.setLink(true);
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
        const { connection, drop } = listener;
        connection.query(`LISTEN ${identifier(topic)}`).catch(drop);
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
