/**
 * Progress of a long copy, for a person watching: how many done, how fast, how long is left.
 * On a terminal one status line is redrawn in place, at most once a second; otherwise (a log,
 * a pipe) the same text goes out as plain lines, at most one a second, with no control
 * characters. Lines printed meanwhile (`line`) never mix with the status line.
 */
export interface ProgressOutput {
  /** A finished line. */
  line(text: string): void;
  /** Replaces the status line (terminals only); without it, status text becomes plain lines. */
  status?(text: string): void;
  /** Removes the status line, if one is shown. */
  clear?(): void;
}

/** stdout as ProgressOutput: a status line on a terminal, plain lines otherwise. */
export function terminalOutput(stream: NodeJS.WriteStream = process.stdout): ProgressOutput {
  if (!stream.isTTY) return { line: (text) => stream.write(`${text}\n`) };
  let shown = false;
  const clear = () => {
    if (shown) stream.write("\r\x1b[2K");
    shown = false;
  };
  return {
    line: (text) => {
      clear();
      stream.write(`${text}\n`);
    },
    status: (text) => {
      stream.write(`\r\x1b[2K${text}`);
      shown = true;
    },
    clear,
  };
}

export interface ProgressOptions {
  /** What is counted, plural: "sessions". */
  noun: string;
  /** How many there are, when known (an estimate is fine): then a share and the time left. */
  total?: number | null;
  /** Milliseconds between two reports. Default 1,000. */
  intervalMs?: number;
  /** A clock in ms (performance.now). */
  now?: () => number;
}

export interface Progress {
  /** `done` items so far: reports if the interval has passed since the last report. */
  update(done: number): void;
  /** Clears the status line; returns the elapsed time in ms. */
  finish(): number;
}

export function progress(output: ProgressOutput, options: ProgressOptions): Progress {
  const { noun, total = null, intervalMs = 1_000, now = () => performance.now() } = options;
  const started = now();
  let last = started;
  return {
    update(done) {
      const at = now();
      if (at - last < intervalMs) return;
      last = at;
      const text = describeProgress(done, total, at - started, noun);
      if (output.status) output.status(text);
      else output.line(text);
    },
    finish() {
      output.clear?.();
      return now() - started;
    },
  };
}

/** "1,200 of 5,000 sessions (24%), 400 a second, about 10 s left". */
export function describeProgress(done: number, total: number | null, elapsedMs: number, noun: string): string {
  const rate = elapsedMs > 0 ? (done * 1_000) / elapsedMs : 0;
  const count = total === null ? `${number(done)} ${noun}` : `${number(done)} of ${number(total)} ${noun}`;
  const share = total ? ` (${Math.min(100, Math.floor((done * 100) / total))}%)` : "";
  const speed = `, ${number(Math.round(rate))} a second`;
  const left = total !== null && rate > 0 && total > done ? `, about ${duration((total - done) / rate)} left` : "";
  return `… ${count}${share}${speed}${left}`;
}

/** 1234567 → "1,234,567". */
export function number(value: number): string {
  return value.toLocaleString("en-US");
}

/** Seconds as "0.4 s", "42 s", "3 min 20 s", "2 h 5 min". */
export function duration(seconds: number): string {
  if (seconds < 10) return `${Math.max(0.1, Math.round(seconds * 10) / 10)} s`;
  const whole = Math.round(seconds);
  if (whole < 60) return `${whole} s`;
  if (whole < 3_600) return `${Math.floor(whole / 60)} min ${whole % 60} s`;
  return `${Math.floor(whole / 3_600)} h ${Math.floor((whole % 3_600) / 60)} min`;
}
