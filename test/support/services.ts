import { type ChildProcess, execFile, spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync } from "node:fs";
import { chmod, chown } from "node:fs/promises";
import { createConnection, createServer } from "node:net";
import { tmpdir, userInfo } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";

/**
 * Throwaway redis-server and PostgreSQL for tests: Debian's binaries, free loopback ports,
 * data in a temp dir, stopped by pid. See shared/research/env-check.md section 2.
 */

const run = promisify(execFile);

/** Thrown when a server's binaries are not installed, so callers can skip or fail (CI). */
export class ServiceMissingError extends Error {
  override name = "ServiceMissingError";
}

export interface RedisServer {
  url: string;
  port: number;
  pid: number;
  dir: string;
  /** SIGTERM and wait: with appendonly, everything acknowledged is on disk. */
  stop(): Promise<void>;
  /** SIGKILL, as a crash. */
  kill(): Promise<void>;
  /** Start again on the same port and directory (reloading the append-only file). */
  restart(): Promise<void>;
  /** Stop and delete the directory (when this module made it). */
  dispose(): Promise<void>;
}

export interface RedisOptions {
  appendonly?: boolean;
  dir?: string;
  /**
   * More redis-server arguments, asked for again whenever a start is retried on a new port
   * (so ports they name are fresh too); a restart reuses the last ones.
   */
  args?: () => Promise<string[]>;
}

export async function startRedis(options: RedisOptions = {}): Promise<RedisServer> {
  const binary = findOnPath("redis-server");
  if (!binary) throw new ServiceMissingError("redis-server is not installed (apt-get install redis-server).");
  const ownDir = options.dir === undefined;
  const dir = options.dir ?? temporaryDir("stint-redis-");
  mkdirSync(dir, { recursive: true });
  // As redis-server reports it (it chdirs there), for telling our server from another.
  const realDir = realpathSync(dir);
  let child: ChildProcess | undefined;
  let port = 0;
  let extraArgs: string[] = [];

  const launch = async (fixedPort?: number): Promise<void> => {
    let lastError: unknown;
    for (let attempt = 0; attempt < (fixedPort ? 1 : 3); attempt++) {
      const candidate = fixedPort ?? (await freePort());
      if (!fixedPort) extraArgs = (await options.args?.()) ?? [];
      const process = spawn(
        binary,
        [
          "--port",
          String(candidate),
          "--bind",
          "127.0.0.1",
          "--save",
          "",
          "--appendonly",
          options.appendonly ? "yes" : "no",
          "--appendfsync",
          "always",
          "--daemonize",
          "no",
          "--dir",
          dir,
          "--logfile",
          join(dir, "redis.log"),
          ...extraArgs,
        ],
        { stdio: "ignore" },
      );
      untilExit(process);
      try {
        // redis-server may exit at once (port taken): readiness is an answer, not a pid.
        await waitFor(() => answersFrom(candidate, realDir), 5_000, {
          failed: () => process.exitCode !== null || process.signalCode !== null,
        });
        child = process;
        port = candidate;
        return;
      } catch (error) {
        lastError = error;
        process.kill("SIGKILL");
      }
    }
    throw new Error(`redis-server did not start: ${(lastError as Error).message}\n${tail(join(dir, "redis.log"))}`);
  };

  const terminate = async (signal: NodeJS.Signals): Promise<void> => {
    const process = child;
    child = undefined;
    if (!process || process.exitCode !== null || process.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => process.once("exit", () => resolve()));
    process.kill(signal);
    await exited;
  };

  await launch();
  const server: RedisServer = {
    get url() {
      return `redis://127.0.0.1:${port}`;
    },
    get port() {
      return port;
    },
    get pid() {
      return child?.pid ?? 0;
    },
    dir,
    stop: () => terminate("SIGTERM"),
    kill: () => terminate("SIGKILL"),
    async restart() {
      await terminate("SIGTERM");
      await launch(port);
    },
    async dispose() {
      await terminate("SIGTERM");
      if (ownDir) removeTemporaryDir(dir);
    },
  };
  return server;
}

export interface PostgresServer {
  /** postgres://postgres@127.0.0.1:PORT/postgres */
  url: string;
  port: number;
  /** The postmaster's pid, 0 while stopped. */
  readonly pid: number;
  dir: string;
  /** A URL for another database on this server. */
  urlFor(database: string): string;
  /** pg_ctl stop -m fast (clean shutdown). */
  stop(): Promise<void>;
  /** pg_ctl stop -m immediate, as a crash. */
  kill(): Promise<void>;
  start(): Promise<void>;
  /** Stop and delete the data directory. */
  dispose(): Promise<void>;
}

export async function startPostgres(): Promise<PostgresServer> {
  const bin = postgresBin();
  if (!bin) throw new ServiceMissingError("PostgreSQL is not installed (apt-get install postgresql).");
  const root = process.getuid?.() === 0;
  // The server runs as "postgres" when we are root (postgres refuses root), so its directory
  // and every parent must be traversable by that user.
  const dir = mkdtempSync(join(tmpdir(), "stint-pg-"));
  await chmod(dir, 0o755);
  const data = join(dir, "data");
  if (root) {
    const { uid, gid } = await postgresUser();
    await chown(dir, uid, gid);
  }
  const asPostgres = (file: string, args: string[]) =>
    root ? run("runuser", ["-u", "postgres", "--", file, ...args]) : run(file, args);
  const user = "postgres";
  await asPostgres(join(bin, "initdb"), [
    "-D",
    data,
    "-U",
    user,
    "--auth=trust",
    "-E",
    "UTF8",
    "--no-locale",
    "--no-sync",
  ]).catch((error: { stderr?: string }) => {
    throw new Error(`initdb failed: ${error.stderr ?? error}`);
  });
  let port = 0;
  let running = false;

  const pgCtl = (args: string[]) => asPostgres(join(bin, "pg_ctl"), ["-D", data, ...args]);
  const launch = async (fixedPort?: number): Promise<void> => {
    let lastError: unknown;
    for (let attempt = 0; attempt < (fixedPort ? 1 : 3); attempt++) {
      const candidate = fixedPort ?? (await freePort());
      const settings = `-p ${candidate} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off`;
      try {
        await pgCtl(["-l", join(dir, "server.log"), "-w", "-t", "30", "-o", settings, "start"]);
        port = candidate;
        running = true;
        return;
      } catch (error) {
        lastError = error;
      }
    }
    throw new Error(`postgres did not start: ${(lastError as Error).message}\n${tail(join(dir, "server.log"))}`);
  };
  const shutdown = async (mode: "fast" | "immediate") => {
    if (!running) return;
    running = false;
    await pgCtl(["-m", mode, "-w", "-t", "30", "stop"]);
  };

  await launch();
  const urlFor = (database: string) => `postgres://${user}@127.0.0.1:${port}/${database}`;
  return {
    get url() {
      return urlFor("postgres");
    },
    get port() {
      return port;
    },
    get pid() {
      if (!running) return 0;
      try {
        return Number(readFileSync(join(data, "postmaster.pid"), "utf8").split("\n")[0]);
      } catch {
        return 0;
      }
    },
    dir,
    urlFor,
    stop: () => shutdown("fast"),
    kill: () => shutdown("immediate"),
    start: () => launch(port),
    async dispose() {
      await shutdown("fast");
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A port free on 127.0.0.1 right now (the caller retries if someone takes it first). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() =>
        typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port")),
      );
    });
  });
}

/**
 * Does the redis-server on `port` answer, and is it the one working in `dir`? When two
 * starts race for one port the loser exits, and a PONG alone would be the winner's.
 */
function answersFrom(port: number, dir: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: "127.0.0.1", port });
    let reply = "";
    socket.setTimeout(500, () => socket.destroy());
    socket.on("connect", () => socket.write("PING\r\nCONFIG GET dir\r\n"));
    socket.on("data", (chunk) => {
      reply += chunk.toString();
      // An error (LOADING) ends the first reply; "+PONG" and the 5-line array make 6 lines.
      if (reply.startsWith("-") || reply.split("\r\n").length > 6) socket.end();
    });
    socket.on("close", () => resolve(reply.startsWith("+PONG") && reply.includes(`\r\n${dir}\r\n`)));
    socket.on("error", () => resolve(false));
  });
}

/**
 * Polls `check` until it holds. `failed` ends the wait early (the process died);
 * `intervalMs` spaces checks that cost more than a PING.
 */
export async function waitFor(
  check: () => Promise<boolean>,
  timeoutMs: number,
  { failed = () => false, intervalMs = 25 }: { failed?: () => boolean; intervalMs?: number } = {},
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    if (failed()) throw new Error("the process exited");
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
  throw new Error(`not ready within ${timeoutMs} ms`);
}

/**
 * Servers still running and directories still there: SIGKILLed and deleted if this process
 * exits without disposing of them (a crash, a scratch script cut short).
 */
const children = new Set<ChildProcess>();
const dirs = new Set<string>();
process.on("exit", () => {
  for (const child of children) child.kill("SIGKILL");
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function untilExit(child: ChildProcess): void {
  children.add(child);
  child.once("exit", () => children.delete(child));
}

/** A new directory under the system's temp dir, deleted by `removeTemporaryDir` or at exit. */
export function temporaryDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  dirs.add(dir);
  return dir;
}

export function removeTemporaryDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
  dirs.delete(dir);
}

export function findOnPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? "").split(":")) {
    if (dir && existsSync(join(dir, name))) return join(dir, name);
  }
  return undefined;
}

/** PG_BIN, else the newest /usr/lib/postgresql/<n>/bin, else initdb on PATH. */
function postgresBin(): string | undefined {
  if (process.env.PG_BIN && existsSync(join(process.env.PG_BIN, "initdb"))) return process.env.PG_BIN;
  const debian = "/usr/lib/postgresql";
  if (existsSync(debian)) {
    const versions = readdirSync(debian)
      .filter((version) => existsSync(join(debian, version, "bin", "initdb")))
      .sort((a, b) => Number(b) - Number(a));
    if (versions[0]) return join(debian, versions[0], "bin");
  }
  const initdb = findOnPath("initdb");
  return initdb ? join(initdb, "..") : undefined;
}

async function postgresUser(): Promise<{ uid: number; gid: number }> {
  const { stdout } = await run("id", ["-u", "postgres"]).catch(() => {
    throw new ServiceMissingError(
      `No "postgres" system user to run PostgreSQL as (running as ${userInfo().username}).`,
    );
  });
  const gid = await run("id", ["-g", "postgres"]);
  return { uid: Number(stdout.trim()), gid: Number(gid.stdout.trim()) };
}

/** The last lines of a log, for an error message. */
export function tail(file: string): string {
  try {
    return readFileSync(file, "utf8").split("\n").slice(-5).join("\n");
  } catch {
    return "";
  }
}
