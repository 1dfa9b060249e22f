const units: Record<string, number> = { "": 1000, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/**
 * Parses a duration like `90`, `90s`, `30m`, `24h`, `7d` (API.md's CLI durations) into
 * milliseconds. A bare number is seconds. Throws on anything else, naming the rule.
 */
export function parseDuration(text: string): number {
  const match = /^\s*(\d+(?:\.\d+)?)\s*([smhd]?)\s*$/.exec(text);
  if (!match) {
    throw new TypeError(
      `Invalid duration ${JSON.stringify(text)}: use a number of seconds or a number with s, m, h or d (e.g. 30m, 24h, 7d).`,
    );
  }
  // Rounded before the check, so "0.0001s" cannot slip through as a zero duration.
  const ms = Math.round(Number(match[1]) * (units[match[2] ?? ""] ?? 1000));
  if (!Number.isFinite(ms) || ms <= 0) {
    throw new TypeError(`Invalid duration ${JSON.stringify(text)}: it must be greater than zero.`);
  }
  return ms;
}

/** Formats milliseconds back into the shortest exact unit (`86400000` → `1d`). */
export function formatDuration(ms: number): string {
  for (const unit of ["d", "h", "m", "s"] as const) {
    const size = units[unit] as number;
    if (ms % size === 0) return `${ms / size}${unit}`;
  }
  return `${ms / 1000}s`;
}
