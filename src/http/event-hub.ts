import type { EventBus } from "../core/events.js";
import type { StreamEvent } from "../protocol.js";
import type { EventTransport } from "../transports/transport.js";

type Listener = (event: StreamEvent) => void;

/**
 * Routes the manager's lifecycle events to the open streams they concern: a session's events
 * to that session's streams, a user's (`user-state`) to the streams of every session of the
 * user. Every event goes through the transport, so streams on other processes hear it too.
 */
export class SessionEventHub {
  readonly #bySession = new Map<string, Set<Listener>>();
  readonly #byUser = new Map<string, Set<Listener>>();
  readonly #stop: Array<() => void> = [];

  constructor(bus: EventBus, transport: EventTransport) {
    const publish = (event: StreamEvent) => transport.publish(event);
    this.#stop.push(
      transport.subscribe((event) => this.#dispatch(event)),
      bus.on("state_changed", (e) => publish({ sessionId: e.sessionId, type: "state", data: { version: e.version } })),
      bus.on("extended", (e) =>
        publish({ sessionId: e.sessionId, type: "extended", data: { expiresAt: new Date(e.expiresAt).toISOString() } }),
      ),
      bus.on("touched", (e) =>
        publish({ sessionId: e.sessionId, type: "extended", data: { expiresAt: new Date(e.expiresAt).toISOString() } }),
      ),
      bus.on("revoked", (e) =>
        publish({ sessionId: e.sessionId, type: e.reason === "logout" ? "logout" : "revoked", data: {} }),
      ),
      bus.on("limit_evicted", (e) => publish({ sessionId: e.sessionId, type: "revoked", data: {} })),
      bus.on("expired", (e) => publish({ sessionId: e.sessionId, type: "revoked", data: { reason: "expired" } })),
      bus.on("user_state_changed", (e) =>
        publish({ userId: e.userId, type: "user-state", data: { version: e.version } }),
      ),
    );
  }

  /**
   * Listen to one session's events, and to its user's when it has one; returns the
   * unsubscribe function.
   */
  subscribe(sessionId: string, userId: string | null, listener: Listener): () => void {
    const stops = [add(this.#bySession, sessionId, listener)];
    if (userId !== null) stops.push(add(this.#byUser, userId, listener));
    return () => {
      for (const stop of stops) stop();
    };
  }

  get openStreams(): number {
    let count = 0;
    for (const set of this.#bySession.values()) count += set.size;
    return count;
  }

  close(): void {
    for (const stop of this.#stop) stop();
    this.#bySession.clear();
    this.#byUser.clear();
  }

  #dispatch(event: StreamEvent): void {
    const set = "userId" in event ? this.#byUser.get(event.userId) : this.#bySession.get(event.sessionId);
    if (set) for (const listener of [...set]) listener(event);
  }
}

function add(index: Map<string, Set<Listener>>, key: string, listener: Listener): () => void {
  let set = index.get(key);
  if (!set) index.set(key, (set = new Set()));
  set.add(listener);
  return () => {
    set.delete(listener);
    if (set.size === 0) index.delete(key);
  };
}
