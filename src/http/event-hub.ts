import type { EventBus } from "../core/events.js";
import type { StreamEvent } from "../protocol.js";
import type { EventTransport } from "../transports/transport.js";

/** Routes the manager's lifecycle events to the open streams of the sessions they concern. */
export class SessionEventHub {
  readonly #streams = new Map<string, Set<(event: StreamEvent) => void>>();
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
    );
  }

  /** Listen to one session's events; returns the unsubscribe function. */
  subscribe(sessionId: string, listener: (event: StreamEvent) => void): () => void {
    let set = this.#streams.get(sessionId);
    if (!set) this.#streams.set(sessionId, (set = new Set()));
    set.add(listener);
    return () => {
      set.delete(listener);
      if (set.size === 0) this.#streams.delete(sessionId);
    };
  }

  get openStreams(): number {
    let count = 0;
    for (const set of this.#streams.values()) count += set.size;
    return count;
  }

  close(): void {
    for (const stop of this.#stop) stop();
    this.#streams.clear();
  }

  #dispatch(event: StreamEvent): void {
    const set = this.#streams.get(event.sessionId);
    if (set) for (const listener of [...set]) listener(event);
  }
}
