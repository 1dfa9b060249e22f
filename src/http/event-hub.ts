import type { EventBus } from "../core/events.js";

/** What an open event stream of one session hears (API.md's `GET /api/session/events`). */
export interface StreamEvent {
  sessionId: string;
  type: "state" | "extended" | "revoked" | "logout";
  data: Record<string, unknown>;
}

/**
 * Carries stream events between the processes serving the same store. In one process it is
 * a direct call; across workers a store-backed transport (Redis pub/sub, PostgreSQL
 * LISTEN/NOTIFY) publishes and every worker, the publisher included, receives.
 */
export interface EventTransport {
  publish(event: StreamEvent): void;
  subscribe(listener: (event: StreamEvent) => void): () => void;
  close(): Promise<void>;
}

const STREAM_EVENT_TYPES = new Set(["state", "extended", "revoked", "logout"]);

/** Events from another process are parsed defensively: anything unexpected is ignored. */
export function parseStreamEvent(message: string): StreamEvent | null {
  try {
    const value = JSON.parse(message) as Partial<StreamEvent>;
    if (typeof value.sessionId !== "string" || !STREAM_EVENT_TYPES.has(value.type as string)) return null;
    const data = value.data && typeof value.data === "object" && !Array.isArray(value.data) ? value.data : {};
    return { sessionId: value.sessionId, type: value.type as StreamEvent["type"], data };
  } catch {
    return null;
  }
}

export function localTransport(): EventTransport {
  const listeners = new Set<(event: StreamEvent) => void>();
  return {
    publish: (event) => {
      for (const listener of listeners) listener(event);
    },
    subscribe: (listener) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    close: async () => listeners.clear(),
  };
}

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
