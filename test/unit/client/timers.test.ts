import { describe, expect, it } from "vitest";
import { estimateSkewMs, toLocalTime } from "../../../src/client/skew.js";
import { backoffMs, debounce, runAt } from "../../../src/client/timers.js";
import { FakeClock } from "./fakes.js";

describe("debounce", () => {
  it("collapses a burst into one trailing call", async () => {
    const clock = new FakeClock();
    let calls = 0;
    const debounced = debounce(clock, 50, () => calls++);
    for (let i = 0; i < 5; i++) {
      debounced();
      await clock.advance(10);
    }
    expect(calls).toBe(0);
    await clock.advance(50);
    expect(calls).toBe(1);
    debounced();
    debounced.cancel();
    await clock.advance(100);
    expect(calls).toBe(1);
  });
});

describe("runAt", () => {
  it("waits past setTimeout's 32-bit limit instead of firing at once", async () => {
    const clock = new FakeClock();
    let fired = false;
    runAt(clock, clock.now() + 30 * 24 * 3600_000, () => (fired = true));
    await clock.advance(2_147_483_647 + 1000);
    expect(fired).toBe(false);
    await clock.advance(30 * 24 * 3600_000);
    expect(fired).toBe(true);
  });

  it("can be cancelled", async () => {
    const clock = new FakeClock();
    let fired = false;
    const cancel = runAt(clock, clock.now() + 1000, () => (fired = true));
    cancel();
    await clock.advance(2000);
    expect(fired).toBe(false);
  });
});

describe("backoffMs", () => {
  it("grows, stays within the cap and keeps at least half the step", () => {
    expect(backoffMs(0, 1000, 30_000, () => 0)).toBe(500);
    expect(backoffMs(0, 1000, 30_000, () => 1)).toBe(1000);
    expect(backoffMs(3, 1000, 30_000, () => 1)).toBe(8000);
    expect(backoffMs(50, 1000, 30_000, () => 1)).toBe(30_000);
  });
});

describe("estimateSkewMs", () => {
  const local = Date.UTC(2030, 0, 1, 12, 0, 0, 400);

  it("is zero when the Date header agrees with the local clock within its one-second resolution", () => {
    const date = new Date(Date.UTC(2030, 0, 1, 12, 0, 0)).toUTCString();
    expect(estimateSkewMs(date, local - 50, local)).toBe(0);
  });

  it("finds a server two minutes ahead, to within the header's resolution", () => {
    const date = new Date(local + 120_000).toUTCString();
    const skew = estimateSkewMs(date, local - 50, local);
    expect(skew).toBeGreaterThan(118_900);
    expect(skew).toBeLessThanOrEqual(120_000);
  });

  it("finds a server two minutes behind", () => {
    const date = new Date(local - 120_000).toUTCString();
    const skew = estimateSkewMs(date, local - 50, local);
    expect(skew).toBeLessThan(-118_900);
    expect(skew).toBeGreaterThanOrEqual(-120_500);
  });

  it("is null without a usable header", () => {
    expect(estimateSkewMs(null, 0, 0)).toBeNull();
    expect(estimateSkewMs("yesterday-ish", 0, 0)).toBeNull();
  });

  it("maps server times to local ones", () => {
    expect(toLocalTime("2030-01-01T12:00:00.000Z", 1000)).toBe(Date.UTC(2030, 0, 1, 12, 0, 0) - 1000);
    expect(toLocalTime("garbage", 0)).toBeNull();
  });
});
