import type { StreamEvent } from "../protocol.js";
import { type EventTransport, listenerSet, parseStreamEvent } from "./transport.js";

/**
 * Messages between the processes sharing one store, by topic: Redis pub/sub, PostgreSQL
 * LISTEN/NOTIFY. Stream events travel on one topic; the session cache's invalidations on
 * another, and the cache also needs to know when the link is down, since a message sent
 * meanwhile is lost for good.
 */
export interface PubSub {
  /**
   * Best effort: a message that cannot be sent is dropped (its loss is what `onLink` reports).
   * `about` names the session the message concerns: a store sharded over several servers sends
   * it from that session's server, so it arrives after the changes announced there.
   */
  publish(topic: string, message: string, about?: string): void;
  /** Opens the listening connection on first use. */
  subscribe(topic: string, listener: (message: string) => void): () => void;
  /** Told `false` when the listening link drops (messages may be lost), `true` once it listens again. */
  onLink(listener: (up: boolean) => void): () => void;
  /** Listening now: every message published from here on will arrive. */
  readonly up: boolean;
  close(): Promise<void>;
}

/** Stream events over one topic of a PubSub. */
export function pubSubTransport(pubsub: PubSub, topic: string): EventTransport {
  const listeners = listenerSet<StreamEvent>();
  let unsubscribe: (() => void) | undefined;
  return {
    publish: (event) =>
      pubsub.publish(topic, JSON.stringify(event), "sessionId" in event ? event.sessionId : undefined),
    subscribe: (listener) => {
      unsubscribe ??= pubsub.subscribe(topic, (message) => {
        const event = parseStreamEvent(message);
        if (event) listeners.emit(event);
      });
      return listeners.add(listener);
    },
    close: async () => {
      listeners.clear();
      unsubscribe?.();
      await pubsub.close();
    },
  };
}

/**
 * Listener bookkeeping shared by the PubSub implementations: topics with their listeners,
 * link listeners, and the link state.
 */
export class Topics {
  readonly #topics = new Map<string, ReturnType<typeof listenerSet<string>>>();
  readonly #link = listenerSet<boolean>();
  #up = false;

  get up(): boolean {
    return this.#up;
  }
  get names(): string[] {
    return [...this.#topics.keys()];
  }
  /** Adds a listener; `opened` is true when this is the topic's first. */
  add(topic: string, listener: (message: string) => void): { remove: () => void; opened: boolean } {
    let set = this.#topics.get(topic);
    const opened = set === undefined;
    if (!set) this.#topics.set(topic, (set = listenerSet<string>()));
    return { remove: set.add(listener), opened };
  }
  deliver(topic: string, message: string): void {
    this.#topics.get(topic)?.emit(message);
  }
  onLink(listener: (up: boolean) => void): () => void {
    return this.#link.add(listener);
  }
  setLink(up: boolean): void {
    if (up === this.#up) return;
    this.#up = up;
    this.#link.emit(up);
  }
  clear(): void {
    this.#topics.clear();
    this.#link.clear();
  }
}

/**
 * Publishes still on their way: `close()` waits for them, so an event published just before
 * (a revocation by the CLI, which exits right after) is not lost with the connection. A failed
 * publish is dropped, as every publish is best effort.
 */
export class InFlight {
  readonly #pending = new Set<Promise<unknown>>();

  track(sending: Promise<unknown>): void {
    const settled = sending.then(
      () => undefined,
      () => undefined,
    );
    this.#pending.add(settled);
    void settled.then(() => this.#pending.delete(settled));
  }

  async settled(): Promise<void> {
    await Promise.all([...this.#pending]);
  }
}

/** How often a listening link proves it is alive, and how long an answer may take. */
export const HEARTBEAT_MS = 1_000;

/**
 * Proves every HEARTBEAT_MS that a listening connection still delivers (a PING, a `SELECT 1`
 * on that very connection): a link that died silently (a partition, a half-open socket) is
 * then reported down within two heartbeats, instead of when TCP gives up minutes later. While
 * a link is down the session cache answers nothing from memory, so this bounds how long a
 * silently dead link can hide a change. Returns the function that stops it.
 */
export function heartbeat(probe: () => Promise<unknown>, onDead: (error: unknown) => void): () => void {
  let waiting = false;
  const timer = setInterval(() => {
    if (waiting) return;
    waiting = true;
    let timeout: ReturnType<typeof setTimeout> | undefined;
    const late = new Promise((_, reject) => {
      timeout = setTimeout(() => reject(new Error("the listening link did not answer")), HEARTBEAT_MS);
    });
    Promise.race([probe(), late])
      .then(() => undefined, onDead)
      .finally(() => {
        clearTimeout(timeout);
        waiting = false;
      });
  }, HEARTBEAT_MS);
  (timer as { unref?: () => void }).unref?.();
  return () => clearInterval(timer);
}
