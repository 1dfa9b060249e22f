import type { Clock } from "../core/clock.js";
import { systemClock } from "../core/clock.js";
import { StoreUnavailableError } from "../core/errors.js";
import type { AttemptCounts, AttemptWindow } from "../stores/store.js";

/**
 * A limiter's verdict. A refusal with `waiting` came from a full window of which some
 * attempts are still being verified (by any server): they may be freed, so it is worth
 * asking again shortly.
 */
export type LimitCheck = { allowed: true } | { allowed: false; retryAfterSeconds: number; waiting?: boolean };

export interface AttemptLimiterOptions {
  /** Attempts allowed per key per window; the next one is refused. */
  limit: number;
  /** Window length in milliseconds, counted from the key's first attempt. */
  windowMs: number;
  clock?: Clock;
  /** Most keys tracked at once; past it the oldest window is dropped. Default 100,000. */
  maxKeys?: number;
}

/**
 * Counts attempts per key (a username, a client address) in a fixed window that opens at
 * the key's first counted attempt. Once `limit` attempts are counted, `check` refuses until
 * that window has passed (API.md: "429 `rate_limited` until the window passes"); the next
 * attempt after it opens a new window. In this process's memory (`createAttemptLimiter`,
 * answers at once), or in a store every server shares (`sharedAttemptLimiter`, promises).
 */
export interface AttemptLimiter {
  /** May the key try now? Does not count anything. */
  check(key: string): LimitCheck | Promise<LimitCheck>;
  /** Takes one attempt if the window has room (atomically, however many try at once): the verdict. */
  take(key: string): LimitCheck | Promise<LimitCheck>;
  /** A taken attempt failed: it counts. */
  fail(key: string): void | Promise<void>;
  /** A taken attempt is given back: it never counted (never below zero). */
  release(key: string): void | Promise<void>;
  /** Counts one failure that was not taken first (found after the fact). */
  record(key: string): void | Promise<void>;
  /** Forgets the key: its next attempt opens a fresh window. */
  reset(key: string): void | Promise<void>;
}

/** The in-memory limiter: every answer at once. */
export interface MemoryAttemptLimiter extends AttemptLimiter {
  check(key: string): LimitCheck;
  take(key: string): LimitCheck;
  fail(key: string): void;
  record(key: string): void;
  release(key: string): void;
  reset(key: string): void;
  /** Keys currently tracked (bounded by `maxKeys`). */
  readonly size: number;
}

/** A key's window in memory: taken attempts count at once (this process knows its own in flight). */
type Window = Omit<AttemptWindow, "pending">;

export const DEFAULT_MAX_KEYS = 100_000;

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

/** API.md's defaults. Every one is configurable. */
export const DEFAULT_LIMITS = Object.freeze({
  /** ASVS 4.0.3 2.2.1 asks for at most 100 failures per hour per account; this is stricter. */
  usernameFailures: Object.freeze({ limit: 5, windowMs: 15 * MINUTE }),
  /** Generous, so many people behind one NAT or proxy are not locked out together. */
  addressFailures: Object.freeze({ limit: 100, windowMs: 15 * MINUTE }),
  anonymousSessions: Object.freeze({ limit: 1_000, windowMs: HOUR }),
});

/**
 * Builds an in-memory attempt limiter.
 *
 * The map is bounded so a flood of distinct keys cannot exhaust memory. The price is that
 * an attacker who can make `maxKeys` new keys inside one window can push a victim's count
 * out early; the per-address limit makes that expensive, and a larger `maxKeys` more so.
 *
 * @example
 * ```ts
 * const limiter = createAttemptLimiter({ limit: 5, windowMs: 15 * 60_000 });
 * const verdict = limiter.check("alice");
 * if (!verdict.allowed) throw new RateLimitedError(verdict.retryAfterSeconds);
 * limiter.record("alice");
 * ```
 */
export function createAttemptLimiter(options: AttemptLimiterOptions): MemoryAttemptLimiter {
  const { limit, windowMs, clock = systemClock, maxKeys = DEFAULT_MAX_KEYS } = options;
  checkLimit(limit, windowMs);
  if (!Number.isInteger(maxKeys) || maxKeys < 1) {
    throw new RangeError(`maxKeys must be a positive integer; got ${String(maxKeys)}.`);
  }

  // A Map iterates in insertion order, and a key is (re)inserted only when its window
  // opens, so the first entries are always the oldest windows: the ones to expire or drop.
  const windows = new Map<string, Window>();

  const isOver = (window: Window, now: number): boolean => now - window.startedAt >= windowMs;

  /** The key's live window, dropping it if it has passed. */
  const current = (key: string, now: number): Window | undefined => {
    const window = windows.get(key);
    if (window !== undefined && isOver(window, now)) {
      windows.delete(key);
      return undefined;
    }
    return window;
  };

  /** Drops passed windows from the front, then the oldest live ones while still full. */
  const makeRoom = (now: number): void => {
    for (const [key, window] of windows) {
      if (!isOver(window, now) && windows.size < maxKeys) return;
      windows.delete(key);
    }
  };

  const limiter: MemoryAttemptLimiter = {
    check(key) {
      const now = clock.now();
      return verdict(current(key, now), limit, windowMs, now);
    },
    take(key) {
      const allowed = limiter.check(key);
      if (allowed.allowed) limiter.record(key);
      return allowed;
    },
    // A taken attempt counted when it was taken.
    fail() {},
    record(key) {
      const now = clock.now();
      const window = current(key, now);
      if (window !== undefined) {
        window.count += 1;
        return;
      }
      makeRoom(now);
      windows.set(key, { startedAt: now, count: 1 });
    },
    release(key) {
      const window = current(key, clock.now());
      if (window !== undefined && window.count > 0) window.count -= 1;
    },
    reset(key) {
      windows.delete(key);
    },
    get size() {
      return windows.size;
    },
  };
  return limiter;
}

/**
 * A limiter whose counts live in a store every server shares (`store.attempts` of Redis,
 * PostgreSQL or SQLite), so a limit holds across all of them: of any number of concurrent
 * `take`s, from any servers, at most `limit` per window are allowed.
 *
 * @example
 * ```ts
 * const store = redisStore({ url: process.env.REDIS_URL! });
 * const byUsername = sharedAttemptLimiter(store.attempts!, { limit: 5, windowMs: 15 * 60_000 });
 * const verdict = await byUsername.take("alice");
 * ```
 */
export function sharedAttemptLimiter(counts: AttemptCounts, options: AttemptLimiterOptions): AttemptLimiter {
  const { limit, windowMs, clock = systemClock } = options;
  checkLimit(limit, windowMs);
  // While the store cannot be reached, this process counts alone (and says so once): sign-ins
  // on a fallback store keep working, still limited, rather than failing with the store.
  const local = createAttemptLimiter(options);
  let warned = false;
  const orLocal = async <T>(shared: () => Promise<T>, alone: () => T): Promise<T> => {
    try {
      return await shared();
    } catch (error) {
      if (!(error instanceof StoreUnavailableError)) throw error;
      if (!warned) console.error("stint: the store is unavailable: failed sign-ins are counted per process meanwhile");
      warned = true;
      return alone();
    }
  };
  return {
    check: (key) =>
      orLocal(
        async () => {
          const now = clock.now();
          return verdict(await counts.get(key, windowMs, now), limit, windowMs, now);
        },
        () => local.check(key),
      ),
    take: (key) =>
      orLocal(
        async () => {
          const now = clock.now();
          const window = await counts.take(key, limit, windowMs, now);
          if (window.taken) return ALLOWED;
          // Failures alone do not fill the window: attempts being verified do (or did, as the
          // window was read), and may hand their places back. Worth asking again shortly.
          if (window.count < limit) return { allowed: false, retryAfterSeconds: 1, waiting: true };
          return verdict(window, limit, windowMs, now);
        },
        () => local.take(key),
      ),
    fail: (key) =>
      orLocal(
        () => counts.settle(key, "fail", windowMs, clock.now()),
        () => local.fail(key),
      ),
    release: (key) =>
      orLocal(
        () => counts.settle(key, "free", windowMs, clock.now()),
        () => local.release(key),
      ),
    record: (key) =>
      orLocal(
        () => counts.add(key, windowMs, clock.now()),
        () => local.record(key),
      ),
    reset: (key) =>
      orLocal(
        () => counts.reset(key),
        () => local.reset(key),
      ),
  };
}

const ALLOWED: LimitCheck = Object.freeze({ allowed: true });

function checkLimit(limit: number, windowMs: number): void {
  if (!Number.isInteger(limit) || limit < 1) {
    throw new RangeError(`limit must be a positive integer; got ${String(limit)}.`);
  }
  if (!Number.isFinite(windowMs) || windowMs <= 0) {
    throw new RangeError(`windowMs must be a positive number of milliseconds; got ${String(windowMs)}.`);
  }
}

/** Allowed while the window has room; else refused until it passes. */
function verdict(
  window: (Window & { pending?: number }) | null | undefined,
  limit: number,
  windowMs: number,
  now: number,
): LimitCheck {
  const pending = window?.pending ?? 0;
  if (!window || window.count + pending < limit) return ALLOWED;
  // Clamped to the window so a clock that steps backwards cannot lock a key out longer.
  const remainingMs = Math.min(windowMs, window.startedAt + windowMs - now);
  const retryAfterSeconds = Math.max(1, Math.ceil(remainingMs / 1000));
  return pending > 0 ? { allowed: false, retryAfterSeconds, waiting: true } : { allowed: false, retryAfterSeconds };
}

/**
 * The per-address limit on new anonymous sessions (API.md: 1,000 per address per hour by
 * default). The HTTP layer checks it before creating an anonymous session and records one
 * after; it never sees signed-in traffic.
 *
 * @example
 * ```ts
 * const anonymous = createAnonymousSessionLimiter();
 * const verdict = anonymous.check(ip);
 * if (!verdict.allowed) throw new RateLimitedError(verdict.retryAfterSeconds);
 * const session = await manager.createAnonymous();
 * anonymous.record(ip);
 * ```
 */
export function createAnonymousSessionLimiter(options: Partial<AttemptLimiterOptions> = {}): MemoryAttemptLimiter {
  const {
    limit = DEFAULT_LIMITS.anonymousSessions.limit,
    windowMs = DEFAULT_LIMITS.anonymousSessions.windowMs,
    ...rest
  } = options;
  return createAttemptLimiter({ ...rest, limit, windowMs });
}
