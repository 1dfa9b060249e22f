import { type Clock, systemClock } from "./clock.js";
import { createTabId } from "./messages.js";
import { usableLocalStorage } from "./tab-channel.js";

/**
 * Which one tab of this browser talks to the server on everyone's behalf: it holds the
 * event stream and polls, and the others hear from it over the tab channel, so ten tabs
 * cost the server what one costs.
 *
 * @example
 * ```ts
 * const leader = createLeader("stint");
 * const stop = leader.onChange((isLeader) => console.log(isLeader ? "leading" : "following"));
 * // later
 * stop();
 * leader.close();
 * ```
 */
export interface Leader {
  readonly isLeader: boolean;
  /** Called on every change; returns the function that unsubscribes. */
  onChange(listener: (isLeader: boolean) => void): () => void;
  /** Gives leadership up (another tab takes over) and stops competing for it. */
  close(): void;
}

/** The part of `navigator.locks` this module uses. */
export interface LockManagerLike {
  request(
    name: string,
    options: { signal?: AbortSignal },
    callback: (lock: unknown) => Promise<unknown>,
  ): Promise<unknown>;
}

function leaderState() {
  let current = false;
  const listeners = new Set<(isLeader: boolean) => void>();
  return {
    get: () => current,
    set(next: boolean) {
      if (next === current) return;
      current = next;
      for (const listener of [...listeners]) {
        try {
          listener(next);
        } catch (error) {
          console.error("stint: a leader listener failed", error);
        }
      }
    },
    onChange(listener: (isLeader: boolean) => void): () => void {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    clear: () => listeners.clear(),
  };
}

/**
 * Leadership through the Web Locks API: the leader holds an exclusive lock for as long as
 * the tab lives. The browser releases it when the tab closes or crashes and hands it
 * straight to the next waiting tab, so takeover needs no timeout.
 *
 * @example
 * ```ts
 * const leader = webLocksLeader("stint:leader");
 * ```
 */
export function webLocksLeader(name: string, locks: LockManagerLike = globalThis.navigator.locks): Leader {
  const state = leaderState();
  const abort = new AbortController();
  let closed = false;
  let release = () => {};
  locks
    .request(name, { signal: abort.signal }, () => {
      if (closed) return Promise.resolve();
      state.set(true);
      return new Promise<void>((resolve) => {
        release = resolve;
      });
    })
    // AbortError when closed while still waiting; nothing else can reject.
    .catch(() => {});
  return {
    get isLeader() {
      return state.get();
    },
    onChange: state.onChange,
    close() {
      if (closed) return;
      closed = true;
      state.clear();
      state.set(false);
      abort.abort();
      release();
    },
  };
}

export interface HeartbeatLeaderOptions {
  storage?: Storage;
  clock?: Clock;
  /** A claim not renewed for this long is free. Default 1000 ms. */
  ttlMs?: number;
  /** How often the claim is renewed and checked. Default 250 ms. */
  intervalMs?: number;
  /** Receives `storage` and `pagehide`/`pageshow`; default `globalThis`. */
  target?: EventTarget;
  tabId?: string;
}

interface Claim {
  id: string;
  until: number;
}

function readClaim(storage: Storage, key: string): Claim | null {
  try {
    const value = JSON.parse(storage.getItem(key) ?? "null") as unknown;
    if (typeof value !== "object" || value === null) return null;
    const { id, until } = value as Record<string, unknown>;
    if (typeof id !== "string" || typeof until !== "number" || !Number.isFinite(until)) return null;
    return { id, until };
  } catch {
    return null;
  }
}

/**
 * The fallback leadership for browsers without Web Locks: the leader renews a claim
 * `{ id, until }` in localStorage every `intervalMs`; a claim older than `ttlMs` is free.
 * localStorage has no compare-and-set, so a tab that finds the claim free writes its own
 * and becomes leader only when it still finds its own claim one interval later; two tabs
 * that wrote together thus settle on the last writer. A tab that closes cleanly
 * (`pagehide`) removes its claim so another takes over within one or two intervals; a
 * crashed one is replaced after `ttlMs`.
 *
 * @example
 * ```ts
 * const leader = heartbeatLeader("stint", { ttlMs: 1000 });
 * ```
 */
export function heartbeatLeader(name: string, options: HeartbeatLeaderOptions = {}): Leader {
  const {
    storage = globalThis.localStorage,
    clock = systemClock,
    ttlMs = 1000,
    intervalMs = 250,
    target = globalThis,
    tabId = createTabId(),
  } = options;
  const key = `${name}:leader`;
  const state = leaderState();
  let handle: unknown;
  let running = false;

  const write = () => {
    try {
      storage.setItem(key, JSON.stringify({ id: tabId, until: clock.now() + ttlMs }));
    } catch {
      // Storage full or blocked: this tab cannot lead, and another will.
    }
  };
  const tick = () => {
    if (!running) return;
    const claim = readClaim(storage, key);
    if (claim?.id === tabId) {
      write();
      state.set(true);
    } else if (!claim || claim.until <= clock.now()) {
      write();
      state.set(false);
    } else {
      state.set(false);
    }
    clock.clearTimeout(handle);
    handle = clock.setTimeout(tick, intervalMs);
  };
  const start = () => {
    if (running) return;
    running = true;
    tick();
  };
  const stop = () => {
    running = false;
    clock.clearTimeout(handle);
    try {
      if (readClaim(storage, key)?.id === tabId) storage.removeItem(key);
    } catch {
      // Nothing to release.
    }
    state.set(false);
  };
  const onStorage = (event: Event) => {
    const { key: changed, newValue } = event as Event & { key?: string | null; newValue?: string | null };
    // The leader released its claim: compete now instead of at the next interval.
    if (changed === key && newValue == null && running) tick();
  };
  const onPageHide = () => stop();
  const onPageShow = () => start();
  target.addEventListener?.("storage", onStorage);
  target.addEventListener?.("pagehide", onPageHide);
  target.addEventListener?.("pageshow", onPageShow);
  start();
  return {
    get isLeader() {
      return state.get();
    },
    onChange: state.onChange,
    close() {
      target.removeEventListener?.("storage", onStorage);
      target.removeEventListener?.("pagehide", onPageHide);
      target.removeEventListener?.("pageshow", onPageShow);
      state.clear();
      stop();
    },
  };
}

/** Always the leader: for a browser with neither Web Locks nor usable localStorage. */
export function soloLeader(): Leader {
  return { isLeader: true, onChange: () => () => {}, close() {} };
}

/**
 * Picks Web Locks, then the localStorage heartbeat, then `soloLeader`.
 *
 * @example
 * ```ts
 * const client = new SessionClient({ leader: createLeader("my-app") });
 * ```
 */
export function createLeader(name: string): Leader {
  const locks = globalThis.navigator?.locks;
  if (locks && typeof locks.request === "function") return webLocksLeader(`${name}:leader`, locks);
  const storage = usableLocalStorage();
  if (storage) return heartbeatLeader(name, { storage });
  return soloLeader();
}
