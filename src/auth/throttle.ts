import type { Clock } from "../core/clock.js";
import { systemClock } from "../core/clock.js";

export type LimitCheck = { allowed: true } | { allowed: false; retryAfterSeconds: number };

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
 * attempt after it opens a new window. In memory and per process.
 */
export interface AttemptLimiter {
  /** May the key try now? Does not count anything. */
  check(key: string): LimitCheck;
  /** Counts one attempt (for logins: a failure, or one reserved before the outcome is known). */
  record(key: string): void;
  /** Takes back one attempt counted by `record` in the current window (never below zero). */
  release(key: string): void;
  /** Forgets the key: its next attempt opens a fresh window. */
  reset(key: string): void;
  /** Keys currently tracked (bounded by `maxKeys`). */
  readonly size: number;
}

interface Window {
  startedAt: number;
  count: number;
}

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
export function createAttemptLimiter(options: AttemptLimiterOptions): AttemptLimiter {
  const { limit, windowMs, clock = systemClock, maxKeys = DEFAULT_MAX_KEYS } = options;
  if (!Number.isInteger(limit) || limit < 1) {
    throw new RangeError(`limit must be a positive integer; got ${String(limit)}.`);
  }
  if (!Number.isFinite(windowMs) || windowMs <= 0) {
    throw new RangeError(`windowMs must be a positive number of milliseconds; got ${String(windowMs)}.`);
  }
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

  const limiter: AttemptLimiter = {
    check(key) {
      const now = clock.now();
      const window = current(key, now);
      if (window === undefined || window.count < limit) return { allowed: true };
      // Clamped to the window so a clock that steps backwards cannot lock a key out longer.
      const remainingMs = Math.min(windowMs, window.startedAt + windowMs - now);
      return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil(remainingMs / 1000)) };
    },
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
export function createAnonymousSessionLimiter(options: Partial<AttemptLimiterOptions> = {}): AttemptLimiter {
  const {
    limit = DEFAULT_LIMITS.anonymousSessions.limit,
    windowMs = DEFAULT_LIMITS.anonymousSessions.windowMs,
    ...rest
  } = options;
  return createAttemptLimiter({ ...rest, limit, windowMs });
}
