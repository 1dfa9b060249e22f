import { parseDuration } from "./duration.js";

/**
 * Timeouts and limits. Expiry is always computed from stored timestamps (createdAt,
 * lastSeenAt), never from "now" alone (@fastify/session's CVE-2024-35220).
 */
export interface PolicyOptions {
  /** Idle timeout: ms or a duration string. Default 24h. */
  idleTimeout?: number | string;
  /** Absolute lifetime from creation. Default 7d. */
  absoluteTimeout?: number | string;
  /**
   * Lifetime of a "remember me" session, used as both its idle and absolute timeout. Its
   * cookie is persistent, with Max-Age equal to the remaining lifetime. Default 30d.
   */
  rememberTimeout?: number | string;
  /** Activity is written at most this often. Default: idle / 10, at most 60 s. */
  touchInterval?: number | string;
  /** Keep at most this many sessions per user (the oldest are signed out). Default: no limit. */
  maxSessionsPerUser?: number;
  /** Seconds before expiry at which event streams get `expiring`. Default 60, capped to idle/2. */
  warningSeconds?: number;
}

export interface Policy {
  idleTimeout: number;
  absoluteTimeout: number;
  rememberTimeout: number;
  touchInterval: number;
  maxSessionsPerUser: number | undefined;
  warningMs: number;
}

const MAX_REMEMBER_MS = 400 * 24 * 60 * 60 * 1000;

const toMs = (value: number | string | undefined, fallback: string): number => {
  if (value === undefined) return parseDuration(fallback);
  if (typeof value === "string") return parseDuration(value);
  if (!Number.isFinite(value) || value <= 0) throw new TypeError(`Durations must be positive, got ${value}.`);
  return value;
};

export function resolvePolicy(options: PolicyOptions = {}): Policy {
  const idleTimeout = toMs(options.idleTimeout, "24h");
  const absoluteTimeout = toMs(options.absoluteTimeout, "7d");
  const rememberTimeout = toMs(options.rememberTimeout, "30d");
  const touchInterval =
    options.touchInterval === undefined
      ? Math.min(Math.floor(idleTimeout / 10), 60_000)
      : toMs(options.touchInterval, "60s");
  if (absoluteTimeout < idleTimeout) {
    throw new TypeError("absoluteTimeout must be at least idleTimeout.");
  }
  if (touchInterval >= idleTimeout) throw new TypeError("touchInterval must be shorter than idleTimeout.");
  // A remembered session's cookie carries Max-Age = its lifetime, and browsers cap that at
  // 400 days (RFC 6265bis §5.6.1): refuse here rather than fail every "remember me" login.
  if (rememberTimeout > MAX_REMEMBER_MS) throw new TypeError("rememberTimeout must not exceed 400 days.");
  const max = options.maxSessionsPerUser;
  if (max !== undefined && (!Number.isInteger(max) || max < 1)) {
    throw new TypeError("maxSessionsPerUser must be a whole number ≥ 1.");
  }
  const warningMs = Math.min((options.warningSeconds ?? 60) * 1000, Math.floor(idleTimeout / 2));
  return { idleTimeout, absoluteTimeout, rememberTimeout, touchInterval, maxSessionsPerUser: max, warningMs };
}

interface Times {
  createdAt: number;
  lastSeenAt: number;
  absoluteExpiresAt: number;
  persistent: boolean;
}

export function idleTimeoutOf(policy: Policy, persistent: boolean): number {
  return persistent ? policy.rememberTimeout : policy.idleTimeout;
}

export function absoluteExpiryOf(policy: Policy, createdAt: number, persistent: boolean): number {
  return createdAt + (persistent ? policy.rememberTimeout : policy.absoluteTimeout);
}

/** API.md: a session dies at min(lastSeenAt + idleTimeout, createdAt + absoluteTimeout). */
export function expiryOf(policy: Policy, times: Times): number {
  return Math.min(times.lastSeenAt + idleTimeoutOf(policy, times.persistent), times.absoluteExpiresAt);
}

/** Is activity at `now` worth a write? Only once per touchInterval. */
export function isTouchDue(policy: Policy, lastSeenAt: number, now: number): boolean {
  return now - lastSeenAt >= policy.touchInterval;
}
