import cluster from "node:cluster";
import { mkdirSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import pino from "pino";
import { createStint } from "../../app/stint.js";
import { createAccounts } from "../../auth/accounts.js";
import { type CookieSettings, SessionCookie } from "../../core/session-cookie.js";
import { demoListener } from "../../demo/listener.js";
import { serve } from "../../http/adapters/node.js";
import { fallbackStore } from "../../stores/fallback.js";
import { sharesAcrossProcesses } from "../../stores/from-url.js";
import { guardStore } from "../../stores/guard.js";
import { createPrivateFile } from "../../stores/private-file.js";
import {
  type Command,
  durationFlag,
  type FlagSpec,
  type Flags,
  hopsFlag,
  integerFlag,
  readFlags,
  storeUrlFlag,
  stringFlag,
  UsageError,
} from "../args.js";
import { DEFAULT_STORE_URL, openBackend } from "../context.js";
import { resolveSecret } from "../secret.js";

export const serveFlags: Record<string, FlagSpec> = {
  port: { type: "string", env: "PORT", default: "3000" },
  host: { type: "string", env: "HOST", default: "127.0.0.1" },
  store: { type: "string", env: "STINT_STORE", default: DEFAULT_STORE_URL },
  secret: { type: "string", env: "STINT_SECRET" },
  "idle-timeout": { type: "string", env: "STINT_IDLE_TIMEOUT", default: "24h" },
  "absolute-timeout": { type: "string", env: "STINT_ABSOLUTE_TIMEOUT", default: "7d" },
  "remember-timeout": { type: "string", env: "STINT_REMEMBER_TIMEOUT", default: "30d" },
  "max-sessions-per-user": { type: "string", env: "STINT_MAX_SESSIONS_PER_USER" },
  secure: { type: "boolean", env: "STINT_SECURE" },
  "allowed-origin": { type: "string", env: "STINT_ALLOWED_ORIGIN", multiple: true },
  workers: { type: "string", env: "STINT_WORKERS", default: "1" },
  "bind-user-agent": { type: "boolean", env: "STINT_BIND_USER_AGENT" },
  "trust-proxy": { type: "string", env: "STINT_TRUST_PROXY", implicit: "1" },
  "audit-log": { type: "string", env: "STINT_AUDIT_LOG" },
  "data-dir": { type: "string", env: "STINT_DATA_DIR", default: "./data" },
  "store-fallback": { type: "string", env: "STINT_STORE_FALLBACK" },
  "cookie-name": { type: "string", env: "STINT_COOKIE_NAME" },
  "cookie-domain": { type: "string", env: "STINT_COOKIE_DOMAIN" },
  "same-site": { type: "string", env: "STINT_SAME_SITE" },
  "admin-token": { type: "string", env: "STINT_ADMIN_TOKEN" },
};

/** Every store call is bounded: past this, 503 instead of a hang. */
const STORE_TIMEOUT_MS = 2_000;

/** `stint serve`: the API and the demo app on node:http, in one process or `--workers N`. */
export async function serveCommand(argv: string[]): Promise<void> {
  const { flags } = readFlags(argv, serveFlags);
  const production = process.env.NODE_ENV === "production";
  const dataDir = stringFlag(flags, "data-dir") ?? "./data";
  const storeUrl = storeUrlFlag(flags, "store") ?? DEFAULT_STORE_URL;
  const workers = integerFlag(flags, "workers") ?? 1;
  // Every flag is checked here, before anything is created or forked: a bad value is one usage
  // error from this process, not a failure in each worker (which the primary would restart).
  const settings = readSettings(flags);
  if (workers > 1 && !sharesAcrossProcesses(storeUrl)) {
    throw new UsageError(
      `--workers ${workers} needs a store that workers share, with events between them: use redis://…, redis+cluster://… or postgres://…. ` +
        `${storeUrl.split(":")[0]} keeps sessions or their events inside one process.`,
    );
  }
  // Resolved once, before forking, so every worker signs with the same secret.
  const secret = resolveSecret(stringFlag(flags, "secret"), join(dataDir, "secret"), production);
  if (workers > 1 && cluster.isPrimary) return runPrimary(workers, secret);
  return runServer(flags, settings, { secret, production, dataDir, storeUrl });
}

type Settings = ReturnType<typeof readSettings>;

function readSettings(flags: Flags) {
  const fallback = stringFlag(flags, "store-fallback");
  if (fallback !== undefined && fallback !== "memory") throw new UsageError('--store-fallback accepts only "memory".');
  return {
    port: integerFlag(flags, "port", 0, 65_535) ?? 3000,
    trustProxy: hopsFlag(flags, "trust-proxy"),
    host: stringFlag(flags, "host") ?? "127.0.0.1",
    fallback,
    idleTimeout: durationFlag(flags, "idle-timeout"),
    absoluteTimeout: durationFlag(flags, "absolute-timeout"),
    rememberTimeout: durationFlag(flags, "remember-timeout"),
    maxSessionsPerUser: integerFlag(flags, "max-sessions-per-user"),
    cookie: cookieSettings(flags),
  };
}

/** `--cookie-name`, `--cookie-domain`, `--same-site`: checked with the rest before anything starts. */
function cookieSettings(flags: Flags): CookieSettings {
  const sameSite = stringFlag(flags, "same-site")?.toLowerCase();
  if (sameSite !== undefined && !["lax", "strict", "none"].includes(sameSite)) {
    throw new UsageError('--same-site must be "lax", "strict" or "none".');
  }
  const settings: CookieSettings = {
    name: stringFlag(flags, "cookie-name"),
    domain: stringFlag(flags, "cookie-domain"),
    sameSite: sameSite as CookieSettings["sameSite"],
  };
  try {
    new SessionCookie(settings, secureCookies(flags));
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  return settings;
}

const secureCookies = (flags: Flags) => flags.secure === true || process.env.NODE_ENV === "production";

/** The primary of `--workers N`: forks, reports readiness once, forwards shutdown. */
async function runPrimary(workers: number, secret: string): Promise<void> {
  let ready = 0;
  let stopping = false;
  const fork = () => cluster.fork({ STINT_SECRET: secret, STINT_WORKER: "1" });
  cluster.on("message", (_worker, message: { ready?: string }) => {
    if (message.ready && ++ready === workers) console.log(`Stint is ready on ${message.ready} (${workers} workers)`);
  });
  let exitCode = 0;
  cluster.on("exit", (worker, code) => {
    if (stopping) {
      if (Object.keys(cluster.workers ?? {}).length === 0) process.exit(exitCode);
      return;
    }
    if (ready < workers) {
      // A worker that dies before all are ready failed to start (store URL, port in use): a
      // new one would fail the same way, forever. Stop them all and report the failure.
      console.error(`stint: worker ${worker.process.pid} exited (${code}) while starting; stopping.`);
      exitCode = code || 1;
      stop();
      return;
    }
    console.error(`stint: worker ${worker.process.pid} exited (${code}); starting another`);
    fork();
  });
  for (let i = 0; i < workers; i++) fork();
  function stop() {
    stopping = true;
    const running = Object.values(cluster.workers ?? {});
    if (running.length === 0) process.exit(exitCode);
    for (const worker of running) worker?.process.kill("SIGTERM");
  }
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
}

interface ServerConfig {
  secret: string;
  production: boolean;
  dataDir: string;
  storeUrl: string;
}

async function runServer(flags: Flags, settings: Settings, config: ServerConfig): Promise<void> {
  const { port, host, fallback } = settings;
  const backend = await openBackend(config.storeUrl, { dataDir: config.dataDir });
  const auditPath = stringFlag(flags, "audit-log") ?? join(config.dataDir, "audit.log");
  if (auditPath !== "-") {
    mkdirSync(dirname(resolve(auditPath)), { recursive: true, mode: 0o700 });
    // It names users, addresses and devices: 0600 wherever it is.
    createPrivateFile(auditPath);
  }
  const auditLog = pino(
    { base: null, timestamp: pino.stdTimeFunctions.isoTime },
    auditPath === "-" ? pino.destination(1) : pino.destination({ dest: auditPath, sync: false }),
  );
  const releaseBackend = () => backend.store.close();
  const stint = await startOrRelease(releaseBackend, () =>
    createStint({
      store: fallback ? fallbackStore(guardStore(backend.store, { timeoutMs: STORE_TIMEOUT_MS })) : backend.store,
      storeTimeoutMs: STORE_TIMEOUT_MS,
      secret: config.secret,
      secure: secureCookies(flags),
      allowedOrigins: (flags["allowed-origin"] as string[] | undefined) ?? [],
      idleTimeout: settings.idleTimeout,
      absoluteTimeout: settings.absoluteTimeout,
      rememberTimeout: settings.rememberTimeout,
      maxSessionsPerUser: settings.maxSessionsPerUser,
      cookie: settings.cookie,
      fingerprint: { bindUserAgent: flags["bind-user-agent"] === true },
      // Failed sign-ins are counted in the store, so the limits hold across every server on it.
      accounts: createAccounts({ users: backend.users, attempts: backend.store.attempts }),
      auditLog,
      adminToken: stringFlag(flags, "admin-token"),
    }),
  );
  const { trustProxy } = settings;
  const running = await startOrRelease(stint.close, () =>
    serve(stint, { port, host, trustProxy, fallback: demoListener(stint, { trustProxy }) }),
  );
  const stop = () => {
    running.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
  if (process.env.STINT_WORKER === "1" && process.send) process.send({ ready: running.url });
  else console.log(`Stint is ready on ${running.url} (store ${backend.label})`);
}

/**
 * Runs a step of starting up; if it fails (a bad option, the port in use), releases what was
 * opened before it, so the store's connections do not keep a failed `serve` alive.
 */
async function startOrRelease<T>(release: () => Promise<unknown>, step: () => T | Promise<T>): Promise<T> {
  try {
    return await step();
  } catch (error) {
    await release().catch(() => undefined);
    throw error;
  }
}

export const serveCli: Command = {
  usage: `Usage: stint serve [flags]

Serves the API and the demo app on node:http until SIGINT or SIGTERM.

  --port N                    (env PORT; default 3000; 0 picks a free port)
  --host H                    (env HOST; default 127.0.0.1)
  --store URL                 memory:, sqlite:PATH, file:DIR, redis://…, postgres://…
                              (env STINT_STORE; default ${DEFAULT_STORE_URL})
  --store-fallback memory     serve new sessions from memory while the store is down
  --secret S                  one or more comma-separated secrets, the first signs
                              (env STINT_SECRET; default: created once in DATA_DIR/secret)
  --idle-timeout 24h          --absolute-timeout 7d          --remember-timeout 30d
  --max-sessions-per-user N   sign out a user's oldest session past N
  --secure                    secure cookies (always with NODE_ENV=production)
  --allowed-origin URL        another origin allowed to send unsafe requests (repeatable)
  --workers N                 N processes (needs redis://… or postgres://…)
  --trust-proxy [HOPS]        believe X-Forwarded-For from HOPS proxies you run (default 1):
                              the address HOPS entries from the right
  --bind-user-agent           end a session whose User-Agent changes
  --audit-log PATH|-          (default DATA_DIR/audit.log; - for stdout)
  --data-dir DIR              (env STINT_DATA_DIR; default ./data)

Durations: 90, 90s, 30m, 24h, 7d. Every flag also reads an environment variable.`,
  run: (argv) => serveCommand(argv),
};
