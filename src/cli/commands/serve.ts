import { join } from "node:path";
import pino from "pino";
import { createStint } from "../../app/stint.js";
import { demoListener } from "../../demo/listener.js";
import { serve } from "../../http/adapters/node.js";
import { durationFlag, type FlagSpec, integerFlag, readFlags, stringFlag } from "../args.js";
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
  "trust-proxy": { type: "boolean", env: "STINT_TRUST_PROXY" },
  "audit-log": { type: "string", env: "STINT_AUDIT_LOG", default: "./data/audit.log" },
  "data-dir": { type: "string", env: "STINT_DATA_DIR", default: "./data" },
};

const CLEANUP_EVERY_MS = 10 * 60_000;

/** `stint serve`: the API and the demo app on one node:http server. */
export async function serveCommand(argv: string[]): Promise<void> {
  const { flags } = readFlags(argv, serveFlags);
  const production = process.env.NODE_ENV === "production";
  const port = integerFlag(flags, "port", 0) ?? 3000;
  const host = stringFlag(flags, "host") ?? "127.0.0.1";
  const storeUrl = stringFlag(flags, "store") ?? DEFAULT_STORE_URL;
  const dataDir = stringFlag(flags, "data-dir") ?? "./data";
  const secret = resolveSecret(stringFlag(flags, "secret"), join(dataDir, "secret"), production);
  const workers = integerFlag(flags, "workers") ?? 1;
  const backend = await openBackend(storeUrl);
  if (workers > 1) {
    throw new Error(
      `--workers ${workers} needs a store shared between processes (redis:// or postgres://); ${backend.store.kind} keeps sessions and events in one process.`,
    );
  }
  const auditPath = stringFlag(flags, "audit-log") ?? "./data/audit.log";
  const auditLog = pino(
    { base: null, timestamp: pino.stdTimeFunctions.isoTime },
    auditPath === "-" ? pino.destination(1) : pino.destination({ dest: auditPath, mkdir: true, sync: false }),
  );
  const stint = createStint({
    store: backend.store,
    secret,
    secure: flags.secure === true || production,
    allowedOrigins: (flags["allowed-origin"] as string[] | undefined) ?? [],
    idleTimeout: durationFlag(flags, "idle-timeout"),
    absoluteTimeout: durationFlag(flags, "absolute-timeout"),
    rememberTimeout: durationFlag(flags, "remember-timeout"),
    maxSessionsPerUser: integerFlag(flags, "max-sessions-per-user"),
    fingerprint: { bindUserAgent: flags["bind-user-agent"] === true },
    accounts: { users: backend.users },
    auditLog,
  });
  const trustProxy = flags["trust-proxy"] === true;
  const running = await serve(stint, {
    port,
    host,
    trustProxy,
    fallback: demoListener(stint, { trustProxy }),
  });
  const cleanup = setInterval(() => {
    stint.cleanup().catch(() => undefined);
  }, CLEANUP_EVERY_MS);
  cleanup.unref();
  const stop = () => {
    clearInterval(cleanup);
    running.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
  console.log(`Stint is ready on ${running.url} (store ${backend.label})`);
}
