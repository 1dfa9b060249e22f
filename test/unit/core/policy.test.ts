import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  absoluteExpiryOf,
  expiryOf,
  idleTimeoutOf,
  isTouchDue,
  type Policy,
  resolvePolicy,
} from "../../../src/core/policy.js";
import { DAY, HOUR, MINUTE, SECOND } from "../../support/fake-clock.js";

const T0 = Date.UTC(2026, 0, 1, 12);

describe("resolvePolicy defaults", () => {
  it("is 24h idle, 7d absolute, 30d remember, a 60 s touch interval, no limit and a 60 s warning", () => {
    expect(resolvePolicy()).toEqual({
      idleTimeout: 24 * HOUR,
      absoluteTimeout: 7 * DAY,
      rememberTimeout: 30 * DAY,
      touchInterval: 60 * SECOND,
      maxSessionsPerUser: undefined,
      warningMs: 60 * SECOND,
    } satisfies Policy);
  });

  it("derives touchInterval as a tenth of the idle timeout, at most 60 s", () => {
    expect(resolvePolicy({ idleTimeout: "5m" }).touchInterval).toBe(30 * SECOND);
    expect(resolvePolicy({ idleTimeout: "10m" }).touchInterval).toBe(60 * SECOND);
    expect(resolvePolicy({ idleTimeout: "2h" }).touchInterval).toBe(60 * SECOND);
    expect(resolvePolicy({ idleTimeout: 12_345 }).touchInterval).toBe(1_234);
  });

  it("caps the warning at half the idle timeout", () => {
    expect(resolvePolicy({ idleTimeout: "1m" }).warningMs).toBe(30 * SECOND);
    expect(resolvePolicy({ warningSeconds: 10 }).warningMs).toBe(10 * SECOND);
  });
});

describe("resolvePolicy options", () => {
  it("takes durations as milliseconds or duration strings", () => {
    const policy = resolvePolicy({
      idleTimeout: 30 * MINUTE,
      absoluteTimeout: "12h",
      rememberTimeout: "14d",
      touchInterval: "10s",
      maxSessionsPerUser: 3,
    });
    expect(policy).toMatchObject({
      idleTimeout: 30 * MINUTE,
      absoluteTimeout: 12 * HOUR,
      rememberTimeout: 14 * DAY,
      touchInterval: 10 * SECOND,
      maxSessionsPerUser: 3,
    });
  });

  it("refuses non-positive and non-finite numbers and bad strings", () => {
    for (const idleTimeout of [0, -1, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(() => resolvePolicy({ idleTimeout })).toThrow(/Durations must be positive/);
    }
    expect(() => resolvePolicy({ absoluteTimeout: "1w" })).toThrow(/Invalid duration/);
    expect(() => resolvePolicy({ rememberTimeout: "-1d" })).toThrow(/Invalid duration/);
  });

  it("refuses an absolute timeout shorter than the idle timeout", () => {
    expect(() => resolvePolicy({ idleTimeout: "2h", absoluteTimeout: "1h" })).toThrow(
      /absoluteTimeout must be at least idleTimeout/,
    );
    expect(resolvePolicy({ idleTimeout: "1h", absoluteTimeout: "1h" }).absoluteTimeout).toBe(HOUR);
  });

  it("refuses a touch interval that is not shorter than the idle timeout", () => {
    expect(() => resolvePolicy({ idleTimeout: "1m", touchInterval: "1m" })).toThrow(
      /touchInterval must be shorter than idleTimeout/,
    );
    expect(() => resolvePolicy({ idleTimeout: "1m", touchInterval: "2m" })).toThrow(/touchInterval/);
  });

  it("refuses a remember timeout over 400 days, which no cookie Max-Age can carry", () => {
    expect(resolvePolicy({ rememberTimeout: "400d" }).rememberTimeout).toBe(400 * DAY);
    expect(() => resolvePolicy({ rememberTimeout: "401d" })).toThrow(/rememberTimeout must not exceed 400 days/);
  });

  it("refuses a per-user limit that is not a whole number of at least 1", () => {
    for (const maxSessionsPerUser of [0, -1, 1.5, Number.NaN]) {
      expect(() => resolvePolicy({ maxSessionsPerUser })).toThrow(/maxSessionsPerUser must be a whole number/);
    }
    expect(resolvePolicy({ maxSessionsPerUser: 1 }).maxSessionsPerUser).toBe(1);
  });
});

describe("expiry", () => {
  const policy = resolvePolicy({ idleTimeout: "1h", absoluteTimeout: "8h", rememberTimeout: "30d" });

  it("is lastSeenAt + idle while that comes before the absolute end", () => {
    const times = { createdAt: T0, lastSeenAt: T0 + HOUR, absoluteExpiresAt: T0 + 8 * HOUR, persistent: false };
    expect(expiryOf(policy, times)).toBe(T0 + 2 * HOUR);
  });

  it("never passes the absolute end, however recent the activity", () => {
    const times = { createdAt: T0, lastSeenAt: T0 + 7.5 * HOUR, absoluteExpiresAt: T0 + 8 * HOUR, persistent: false };
    expect(expiryOf(policy, times)).toBe(T0 + 8 * HOUR);
  });

  it("is min(lastSeenAt + idle, absoluteExpiresAt) for any times", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 30 * DAY }),
        fc.integer({ min: 0, max: 30 * DAY }),
        fc.boolean(),
        (seen, absolute, persistent) => {
          const times = { createdAt: T0, lastSeenAt: T0 + seen, absoluteExpiresAt: T0 + absolute, persistent };
          const idle = persistent ? 30 * DAY : HOUR;
          expect(expiryOf(policy, times)).toBe(Math.min(T0 + seen + idle, T0 + absolute));
          expect(expiryOf(policy, times)).toBeLessThanOrEqual(times.absoluteExpiresAt);
        },
      ),
    );
  });

  it("uses the remember timeout as both idle and absolute lifetime of a remembered session", () => {
    expect(idleTimeoutOf(policy, true)).toBe(30 * DAY);
    expect(idleTimeoutOf(policy, false)).toBe(HOUR);
    expect(absoluteExpiryOf(policy, T0, true)).toBe(T0 + 30 * DAY);
    expect(absoluteExpiryOf(policy, T0, false)).toBe(T0 + 8 * HOUR);
    const times = { createdAt: T0, lastSeenAt: T0 + 2 * DAY, absoluteExpiresAt: T0 + 30 * DAY, persistent: true };
    expect(expiryOf(policy, times)).toBe(T0 + 30 * DAY);
  });
});

describe("isTouchDue", () => {
  const policy = resolvePolicy({ idleTimeout: "1h", touchInterval: "1m" });

  it("is false within the touch interval and true from its end", () => {
    expect(isTouchDue(policy, T0, T0)).toBe(false);
    expect(isTouchDue(policy, T0, T0 + MINUTE - 1)).toBe(false);
    expect(isTouchDue(policy, T0, T0 + MINUTE)).toBe(true);
    expect(isTouchDue(policy, T0, T0 + HOUR)).toBe(true);
  });

  it("is false when the clock is behind the stored activity", () => {
    expect(isTouchDue(policy, T0, T0 - HOUR)).toBe(false);
  });
});
