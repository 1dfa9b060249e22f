import { type ChannelMessage, parseTabMessage, toWire } from "./messages.js";

/**
 * How tabs of one browser tell each other that something happened. Implementations parse
 * every incoming message with `parseTabMessage` and drop anything else, and never deliver
 * a tab's own messages back to it.
 *
 * @example
 * ```ts
 * const channel = createTabChannel("stint");
 * const stop = channel.subscribe((message) => console.log(message.type));
 * channel.post({ v: 1, type: "state", version: 3, at: Date.now(), from: tabId });
 * stop();
 * channel.close();
 * ```
 */
export interface TabChannel {
  post(message: ChannelMessage): void;
  /** Returns the function that unsubscribes. */
  subscribe(listener: (message: ChannelMessage) => void): () => void;
  close(): void;
}

/** Listener fan-out shared by the implementations: one failing listener never stops the rest. */
function listenerSet() {
  const listeners = new Set<(message: ChannelMessage) => void>();
  return {
    add(listener: (message: ChannelMessage) => void): () => void {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    deliver(raw: unknown): void {
      const message = parseTabMessage(raw);
      if (!message) return;
      for (const listener of [...listeners]) {
        try {
          listener(message);
        } catch (error) {
          console.error("stint: a tab channel listener failed", error);
        }
      }
    },
    clear(): void {
      listeners.clear();
    },
  };
}

/**
 * The channel over `BroadcastChannel`. It only ever reaches same-origin contexts of this
 * browser profile, and it does not echo a message to the object that posted it.
 *
 * @example
 * ```ts
 * const channel = broadcastTabChannel("stint");
 * ```
 */
export function broadcastTabChannel(name: string): TabChannel {
  const channel = new BroadcastChannel(name);
  const listeners = listenerSet();
  const onMessage = (event: MessageEvent) => listeners.deliver(event.data);
  channel.addEventListener("message", onMessage);
  return {
    post(message) {
      try {
        channel.postMessage(toWire(message));
      } catch {
        // Posting on a closed channel throws InvalidStateError; a signal is best-effort.
      }
    },
    subscribe: listeners.add,
    close() {
      listeners.clear();
      channel.removeEventListener("message", onMessage);
      channel.close();
    },
  };
}

/** The few members of a `storage` event this channel reads. */
interface StorageEventLike {
  key?: string | null;
  newValue?: string | null;
  storageArea?: unknown;
}

/**
 * The fallback channel for browsers without `BroadcastChannel`: a message is written to one
 * localStorage key, which fires `storage` in every other tab, and removed straight away,
 * so nothing stays in storage and two identical messages in a row still both fire.
 *
 * @example
 * ```ts
 * const channel = storageTabChannel("stint", window.localStorage);
 * ```
 */
export function storageTabChannel(
  name: string,
  storage: Storage = globalThis.localStorage,
  target: EventTarget = globalThis,
): TabChannel {
  const key = `${name}:signal`;
  const listeners = listenerSet();
  const onStorage = (event: Event) => {
    const storageEvent = event as Event & StorageEventLike;
    if (storageEvent.key !== key || storageEvent.storageArea !== storage) return;
    // The removal that follows every post arrives as newValue === null: not a message.
    if (typeof storageEvent.newValue !== "string") return;
    listeners.deliver(storageEvent.newValue);
  };
  target.addEventListener("storage", onStorage);
  return {
    post(message) {
      try {
        storage.setItem(key, JSON.stringify(toWire(message)));
        storage.removeItem(key);
      } catch {
        // Quota exceeded or storage disabled: a signal is best-effort.
      }
    },
    subscribe: listeners.add,
    close() {
      listeners.clear();
      target.removeEventListener("storage", onStorage);
    },
  };
}

/** A channel that reaches nobody: for a single tab, or where neither transport exists. */
export function silentTabChannel(): TabChannel {
  return { post() {}, subscribe: () => () => {}, close() {} };
}

/**
 * Picks the best channel this browser has: `BroadcastChannel`, then the `storage` event,
 * then none.
 *
 * @example
 * ```ts
 * const client = new SessionClient({ channel: createTabChannel("my-app") });
 * ```
 */
export function createTabChannel(name: string): TabChannel {
  if (typeof globalThis.BroadcastChannel === "function") return broadcastTabChannel(name);
  const storage = usableLocalStorage();
  if (storage && typeof globalThis.addEventListener === "function") return storageTabChannel(name, storage);
  return silentTabChannel();
}

/** localStorage, or undefined where it is missing or throws on use (blocked cookies, some private modes). */
export function usableLocalStorage(): Storage | undefined {
  try {
    const storage = globalThis.localStorage;
    if (!storage) return undefined;
    const probe = "stint:probe";
    storage.setItem(probe, "1");
    storage.removeItem(probe);
    return storage;
  } catch {
    return undefined;
  }
}
