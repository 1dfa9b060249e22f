import type { SessionStreamEventType, StreamEvent } from "../protocol.js";

/**
 * Carries stream events between the processes serving the same store. In one process it is
 * a direct call; across processes a store-backed transport (Redis pub/sub, PostgreSQL
 * LISTEN/NOTIFY) publishes and every process, the publisher included, receives.
 */
export interface EventTransport {
  publish(event: StreamEvent): void;
  subscribe(listener: (event: StreamEvent) => void): () => void;
  close(): Promise<void>;
}

const SESSION_EVENT_TYPES: ReadonlySet<string> = new Set<SessionStreamEventType>([
  "state",
  "extended",
  "revoked",
  "logout",
]);

/**
 * Events from another process are parsed defensively: anything unexpected is ignored. A
 * session's event names its session; `user-state` names the user, whose every session hears it.
 */
export function parseStreamEvent(message: string): StreamEvent | null {
  try {
    const value = JSON.parse(message) as { sessionId?: unknown; userId?: unknown; type?: unknown; data?: unknown };
    const data =
      value.data && typeof value.data === "object" && !Array.isArray(value.data)
        ? (value.data as Record<string, unknown>)
        : {};
    if (value.type === "user-state") {
      return typeof value.userId === "string" ? { userId: value.userId, type: "user-state", data } : null;
    }
    if (typeof value.sessionId !== "string" || !SESSION_EVENT_TYPES.has(value.type as string)) return null;
    return { sessionId: value.sessionId, type: value.type as SessionStreamEventType, data };
  } catch {
    return null;
  }
}

/** A set of listeners, called in turn; what every transport delivers to. */
export function listenerSet<T>() {
  const listeners = new Set<(value: T) => void>();
  return {
    add(listener: (value: T) => void): () => void {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    emit(value: T): void {
      for (const listener of listeners) listener(value);
    },
    clear(): void {
      listeners.clear();
    },
  };
}

/** Events that stay in this process (one server, or a store only this process uses). */
export function localTransport(): EventTransport {
  const listeners = listenerSet<StreamEvent>();
  return {
    publish: (event) => listeners.emit(event),
    subscribe: (listener) => listeners.add(listener),
    close: async () => listeners.clear(),
  };
}
