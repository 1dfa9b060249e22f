import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { fileURLToPath, pathToFileURL } from "node:url";

/**
 * The real `stint` command line, spawned as a user would run it: `node --import tsx
 * src/cli/main.ts …` so it works before a build, in a directory of the test's choosing; or,
 * with `built: true`, the built `dist/cli/main.js` that `npm test` builds first (what the
 * package ships, and faster to start).
 */

const repo = fileURLToPath(new URL("../../", import.meta.url));
const main = fileURLToPath(new URL("../../src/cli/main.ts", import.meta.url));
const builtMain = fileURLToPath(new URL("../../dist/cli/main.js", import.meta.url));
// Resolved here, not from the child's cwd (a temp dir without node_modules).
const tsx = pathToFileURL(createRequire(import.meta.url).resolve("tsx")).href;

if (!existsSync(main)) throw new Error(`No CLI at ${main} (repo ${repo}).`);

export interface CliOptions {
  cwd: string;
  /** Added to a clean environment (no STINT_*, PORT or NODE_ENV from the test runner). */
  env?: Record<string, string>;
  /** Run dist/cli/main.js (`npm run build` first) instead of the sources through tsx. */
  built?: boolean;
}

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (/^(STINT_|PORT$|HOST$|NODE_ENV$|VITEST|NODE_OPTIONS$)/.test(name)) continue;
    env[name] = value;
  }
  return { ...env, ...extra };
}

export function spawnCli(args: string[], options: CliOptions): ChildProcess {
  if (options.built && !existsSync(builtMain)) throw new Error(`No ${builtMain}: run \`npm run build\` first.`);
  const entry = options.built ? [builtMain] : ["--import", tsx, main];
  return spawn(process.execPath, [...entry, ...args], {
    cwd: options.cwd,
    env: cleanEnv(options.env),
    stdio: ["ignore", "pipe", "pipe"],
  });
}

/** Runs a command to its end; killed (and the test failed by the caller) after `timeoutMs`. */
export function runCli(args: string[], options: CliOptions & { timeoutMs?: number }): Promise<CliResult> {
  const child = spawnCli(args, options);
  let stdout = "";
  let stderr = "";
  child.stdout?.on("data", (chunk) => {
    stdout += chunk;
  });
  child.stderr?.on("data", (chunk) => {
    stderr += chunk;
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`stint ${args.join(" ")} did not end within ${options.timeoutMs ?? 15_000} ms\n${stderr}`));
    }, options.timeoutMs ?? 15_000);
    child.on("error", reject);
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

/** A running `stint serve`. */
export interface ServeProcess {
  child: ChildProcess;
  /** The URL from the ready line. */
  url: string;
  readonly stdout: string;
  readonly stderr: string;
  /** Resolves with the exit status. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Waits (bounded) for the exit, sending nothing. */
  waitExit(timeoutMs?: number): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Sends `signal` and waits (bounded) for the exit. */
  stop(signal?: NodeJS.Signals, timeoutMs?: number): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Starts `stint serve …` and waits (bounded) for its ready line. */
export async function startServe(
  args: string[],
  options: CliOptions & { readyTimeoutMs?: number },
): Promise<ServeProcess> {
  const child = spawnCli(["serve", ...args], options);
  let stdout = "";
  let stderr = "";
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.on("close", (code, signal) => resolve({ code, signal }));
  });
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`stint serve was not ready within ${options.readyTimeoutMs ?? 15_000} ms\n${stderr}`));
    }, options.readyTimeoutMs ?? 15_000);
    child.stdout?.on("data", (chunk) => {
      stdout += chunk;
      const found = /https?:\/\/[^\s)]+/.exec(stdout);
      if (found) {
        clearTimeout(timer);
        resolve(found[0]);
      }
    });
    child.stderr?.on("data", (chunk) => {
      stderr += chunk;
    });
    void exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`stint serve exited (${code ?? signal}) before it was ready\n${stderr}`));
    });
  });
  const waitExit = async (timeoutMs = 15_000) => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        child.kill("SIGKILL");
        reject(new Error(`stint serve did not exit within ${timeoutMs} ms`));
      }, timeoutMs);
    });
    try {
      return await Promise.race([exited, timeout]);
    } finally {
      clearTimeout(timer);
    }
  };
  return {
    child,
    url,
    get stdout() {
      return stdout;
    },
    get stderr() {
      return stderr;
    },
    exited,
    waitExit,
    stop(signal = "SIGTERM", timeoutMs = 15_000) {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return waitExit(timeoutMs);
    },
  };
}
