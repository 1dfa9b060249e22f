import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { formatDuration, parseDuration } from "../../../src/core/duration.js";
import { DAY, HOUR, MINUTE, SECOND } from "../../support/fake-clock.js";

describe("parseDuration", () => {
  it("reads a bare number as seconds", () => {
    expect(parseDuration("90")).toBe(90 * SECOND);
  });

  it("reads s, m, h and d", () => {
    expect(parseDuration("90s")).toBe(90 * SECOND);
    expect(parseDuration("30m")).toBe(30 * MINUTE);
    expect(parseDuration("24h")).toBe(24 * HOUR);
    expect(parseDuration("7d")).toBe(7 * DAY);
  });

  it("reads decimals, rounding to whole milliseconds", () => {
    expect(parseDuration("1.5h")).toBe(90 * MINUTE);
    expect(parseDuration("0.5")).toBe(500);
    expect(parseDuration("0.0015s")).toBe(2);
  });

  it("allows whitespace around the number and the unit", () => {
    expect(parseDuration("  30m ")).toBe(30 * MINUTE);
    expect(parseDuration("30 m")).toBe(30 * MINUTE);
    expect(parseDuration("\t7d\n")).toBe(7 * DAY);
  });

  it("refuses zero, naming the rule", () => {
    expect(() => parseDuration("0")).toThrow(/greater than zero/);
    expect(() => parseDuration("0m")).toThrow(/greater than zero/);
    expect(() => parseDuration("0.0")).toThrow(/greater than zero/);
  });

  it("refuses a value that rounds to zero milliseconds", () => {
    expect(() => parseDuration("0.0001s")).toThrow(/greater than zero/);
  });

  it("refuses negatives, unknown units, words, empty input and other shapes", () => {
    for (const text of [
      "-5m",
      "1w",
      "abc",
      "",
      "   ",
      "m",
      "5 mm",
      "1e3",
      ".5m",
      "5.m",
      "1h30m",
      "+5m",
      "5M",
      "0x10",
    ]) {
      expect(() => parseDuration(text)).toThrow(TypeError);
    }
  });

  it("names the accepted forms in its message", () => {
    expect(() => parseDuration("1w")).toThrow(/Invalid duration "1w".*30m, 24h, 7d/);
  });
});

describe("formatDuration", () => {
  it("uses the largest exact unit", () => {
    expect(formatDuration(DAY)).toBe("1d");
    expect(formatDuration(36 * HOUR)).toBe("36h");
    expect(formatDuration(90 * MINUTE)).toBe("90m");
    expect(formatDuration(90 * SECOND)).toBe("90s");
    expect(formatDuration(1500)).toBe("1.5s");
  });

  it("round-trips through parseDuration for any positive whole number of milliseconds", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1e15 }), (ms) => {
        expect(parseDuration(formatDuration(ms))).toBe(ms);
      }),
      { numRuns: 2_000 },
    );
  });

  it("round-trips whole units", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 100_000 }), fc.constantFrom(SECOND, MINUTE, HOUR, DAY), (n, unit) => {
        expect(parseDuration(formatDuration(n * unit))).toBe(n * unit);
      }),
    );
  });
});
