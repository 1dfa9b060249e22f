import { describe, expect, it } from "vitest";
import { createAnonymousSessionLimiter, createAttemptLimiter, DEFAULT_LIMITS } from "../../../src/auth/throttle.js";
import type { Clock } from "../../../src/core/clock.js";

const MINUTE = 60_000;
const WINDOW = 15 * MINUTE;

function fakeClock(start = Date.UTC(2025, 0, 1)) {
  let now = start;
  const clock: Clock = { now: () => now };
  return {
    clock,
    advance(ms: number) {
      now += ms;
    },
  };
}

function limiterWithClock(overrides: { limit?: number; windowMs?: number; maxKeys?: number } = {}) {
  const time = fakeClock();
  const limiter = createAttemptLimiter({ limit: 5, windowMs: WINDOW, clock: time.clock, ...overrides });
  return { limiter, ...time };
}

function recordTimes(limiter: { record(key: string): void }, key: string, times: number) {
  for (let i = 0; i < times; i += 1) limiter.record(key);
}

describe("createAttemptLimiter", () => {
  it("allows attempts up to the limit and refuses the next", () => {
    const { limiter } = limiterWithClock();
    recordTimes(limiter, "alice", 4);
    expect(limiter.check("alice")).toEqual({ allowed: true });
    limiter.record("alice");
    expect(limiter.check("alice")).toEqual({ allowed: false, retryAfterSeconds: 900 });
  });

  it("answers with the time left in the window, counted from the first attempt", () => {
    const { limiter, advance } = limiterWithClock();
    limiter.record("alice");
    advance(5 * MINUTE);
    recordTimes(limiter, "alice", 4);
    expect(limiter.check("alice")).toEqual({ allowed: false, retryAfterSeconds: 600 });
    advance(9 * MINUTE + 59_500);
    expect(limiter.check("alice")).toEqual({ allowed: false, retryAfterSeconds: 1 });
  });

  it("rounds the wait up, so a client that obeys Retry-After is never early", () => {
    const { limiter, advance } = limiterWithClock({ limit: 1, windowMs: 10_000 });
    limiter.record("k");
    advance(1);
    expect(limiter.check("k")).toEqual({ allowed: false, retryAfterSeconds: 10 });
  });

  it("allows again once the window has passed, with a fresh count", () => {
    const { limiter, advance } = limiterWithClock();
    recordTimes(limiter, "alice", 5);
    advance(WINDOW - 1);
    expect(limiter.check("alice").allowed).toBe(false);
    advance(1);
    expect(limiter.check("alice")).toEqual({ allowed: true });
    recordTimes(limiter, "alice", 4);
    expect(limiter.check("alice")).toEqual({ allowed: true });
    limiter.record("alice");
    expect(limiter.check("alice")).toEqual({ allowed: false, retryAfterSeconds: 900 });
  });

  it("does not extend the window for attempts refused while blocked", () => {
    const { limiter, advance } = limiterWithClock();
    recordTimes(limiter, "alice", 5);
    for (let i = 0; i < 14; i += 1) {
      advance(MINUTE);
      expect(limiter.check("alice").allowed).toBe(false);
    }
    advance(MINUTE);
    expect(limiter.check("alice").allowed).toBe(true);
  });

  it("counts each key on its own", () => {
    const { limiter } = limiterWithClock();
    recordTimes(limiter, "alice", 5);
    expect(limiter.check("alice").allowed).toBe(false);
    expect(limiter.check("bob")).toEqual({ allowed: true });
  });

  it("reset forgets a key", () => {
    const { limiter } = limiterWithClock();
    recordTimes(limiter, "alice", 5);
    limiter.reset("alice");
    expect(limiter.check("alice")).toEqual({ allowed: true });
    expect(limiter.size).toBe(0);
  });

  it("release takes back one attempt, never below zero", () => {
    const { limiter } = limiterWithClock({ limit: 2 });
    recordTimes(limiter, "k", 2);
    expect(limiter.check("k").allowed).toBe(false);
    limiter.release("k");
    expect(limiter.check("k").allowed).toBe(true);
    limiter.release("k");
    limiter.release("k");
    limiter.release("unknown");
    recordTimes(limiter, "k", 1);
    expect(limiter.check("k").allowed).toBe(true);
  });

  it("keeps at most maxKeys keys, dropping the oldest window", () => {
    const { limiter, advance } = limiterWithClock({ limit: 1, maxKeys: 3 });
    for (const key of ["a", "b", "c", "d"]) {
      limiter.record(key);
      advance(1000);
    }
    expect(limiter.size).toBe(3);
    expect(limiter.check("a")).toEqual({ allowed: true });
    for (const key of ["b", "c", "d"]) expect(limiter.check(key).allowed).toBe(false);
  });

  it("drops passed windows before live ones when it needs room", () => {
    const { limiter, advance } = limiterWithClock({ limit: 1, maxKeys: 2, windowMs: 10_000 });
    limiter.record("old");
    advance(5_000);
    limiter.record("live");
    advance(6_000); // "old" has passed, "live" has 4 s left
    limiter.record("new");
    expect(limiter.size).toBe(2);
    expect(limiter.check("live")).toEqual({ allowed: false, retryAfterSeconds: 4 });
    expect(limiter.check("new").allowed).toBe(false);
  });

  it("stays bounded under a flood of distinct keys", () => {
    const { limiter } = limiterWithClock({ maxKeys: 1000 });
    for (let i = 0; i < 50_000; i += 1) limiter.record(`203.0.113.${i}`);
    expect(limiter.size).toBe(1000);
  });

  it("never locks a key out for longer than the window when the clock steps back", () => {
    const { limiter, advance } = limiterWithClock({ limit: 1 });
    limiter.record("k");
    advance(-60 * MINUTE);
    expect(limiter.check("k")).toEqual({ allowed: false, retryAfterSeconds: 900 });
  });

  it("treats keys as opaque strings, __proto__ included", () => {
    const { limiter } = limiterWithClock({ limit: 1 });
    limiter.record("__proto__");
    expect(limiter.check("__proto__").allowed).toBe(false);
    expect(limiter.check("constructor").allowed).toBe(true);
  });

  it("refuses a configuration it cannot honour, naming the rule", () => {
    expect(() => createAttemptLimiter({ limit: 0, windowMs: 1000 })).toThrow(/limit must be a positive integer/);
    expect(() => createAttemptLimiter({ limit: 2.5, windowMs: 1000 })).toThrow(/limit/);
    expect(() => createAttemptLimiter({ limit: 1, windowMs: 0 })).toThrow(/windowMs must be a positive/);
    expect(() => createAttemptLimiter({ limit: 1, windowMs: Number.NaN })).toThrow(/windowMs/);
    expect(() => createAttemptLimiter({ limit: 1, windowMs: 1000, maxKeys: 0 })).toThrow(/maxKeys/);
  });
});

describe("createAnonymousSessionLimiter", () => {
  it("defaults to 1,000 new anonymous sessions per address per hour", () => {
    expect(DEFAULT_LIMITS.anonymousSessions).toEqual({ limit: 1000, windowMs: 60 * MINUTE });
    const { clock, advance } = fakeClock();
    const limiter = createAnonymousSessionLimiter({ clock });
    recordTimes(limiter, "198.51.100.1", 999);
    expect(limiter.check("198.51.100.1")).toEqual({ allowed: true });
    limiter.record("198.51.100.1");
    expect(limiter.check("198.51.100.1")).toEqual({ allowed: false, retryAfterSeconds: 3600 });
    expect(limiter.check("198.51.100.2")).toEqual({ allowed: true });
    advance(60 * MINUTE);
    expect(limiter.check("198.51.100.1")).toEqual({ allowed: true });
  });

  it("takes other limits, and undefined means the default", () => {
    const { clock } = fakeClock();
    const limiter = createAnonymousSessionLimiter({ limit: 2, windowMs: undefined, clock });
    recordTimes(limiter, "ip", 2);
    expect(limiter.check("ip")).toEqual({ allowed: false, retryAfterSeconds: 3600 });
  });
});
