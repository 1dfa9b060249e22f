import { PassThrough } from "node:stream";
import { describe, expect, it } from "vitest";
import { describeProgress, duration, progress, terminalOutput } from "../../src/cli/progress.js";

/** A clock the test moves by hand. */
function manualClock(start = 1_000) {
  let at = start;
  return { now: () => at, advance: (ms: number) => void (at += ms) };
}

describe("progress of a long copy", () => {
  it("says how many, the share, the rate and the time left", () => {
    expect(describeProgress(1_200, 5_000, 3_000, "sessions")).toBe(
      "… 1,200 of 5,000 sessions (24%), 400 a second, about 9.5 s left",
    );
    expect(describeProgress(90_000, 1_000_000, 60_000, "sessions")).toBe(
      "… 90,000 of 1,000,000 sessions (9%), 1,500 a second, about 10 min 7 s left",
    );
    // Without a total: no share and no estimate.
    expect(describeProgress(500, null, 2_000, "sessions")).toBe("… 500 sessions, 250 a second");
    expect(duration(7_500)).toBe("2 h 5 min");
  });

  it("prints plain lines at most once a second where there is no terminal", () => {
    const lines: string[] = [];
    const clock = manualClock();
    const shown = progress({ line: (text) => lines.push(text) }, { noun: "sessions", total: 300, now: clock.now });
    for (let done = 1; done <= 300; done++) {
      clock.advance(10);
      shown.update(done);
    }
    expect(lines).toEqual([
      "… 100 of 300 sessions (33%), 100 a second, about 2 s left",
      "… 200 of 300 sessions (66%), 100 a second, about 1 s left",
      "… 300 of 300 sessions (100%), 100 a second",
    ]);
    expect(shown.finish()).toBe(3_000);
    for (const line of lines) expect(line).not.toMatch(/[\r\x1b]/);
  });

  it("redraws one status line on a terminal, and clears it before a finished line", () => {
    const stream = Object.assign(new PassThrough(), { isTTY: true }) as unknown as NodeJS.WriteStream;
    let written = "";
    (stream as unknown as PassThrough).on("data", (chunk) => {
      written += chunk;
    });
    const output = terminalOutput(stream);
    const clock = manualClock();
    const shown = progress(output, { noun: "sessions", total: 10, now: clock.now });
    for (let done = 1; done <= 3; done++) {
      clock.advance(1_000);
      shown.update(done);
    }
    shown.finish();
    output.line("Migrated.");
    expect(written).toBe(
      [
        "\r\x1b[2K… 1 of 10 sessions (10%), 1 a second, about 9 s left",
        "\r\x1b[2K… 2 of 10 sessions (20%), 1 a second, about 8 s left",
        "\r\x1b[2K… 3 of 10 sessions (30%), 1 a second, about 7 s left",
        "\r\x1b[2K",
        "Migrated.\n",
      ].join(""),
    );
  });
});
