import { createAnonymousSessionLimiter } from "../auth/throttle.js";
import type { Clock } from "../core/clock.js";
import { systemClock } from "../core/clock.js";
import { readCookie } from "../core/cookie.js";
import { normalizeOrigin } from "../core/csrf.js";
import { RateLimitedError } from "../core/errors.js";
import { EventBus } from "../core/events.js";
import { type CommitOptions, type FingerprintOptions, SessionManager } from "../core/manager.js";
import type { PolicyOptions } from "../core/policy.js";
import type { StandardSchemaV1 } from "../core/schema.js";
import type { ClientContext, Session } from "../core/session.js";
import type { AccountService, CreationLimiter, HealthReport, StintServices } from "../http/context.js";
import { type EventTransport, localTransport, SessionEventHub } from "../http/event-hub.js";
import { createHandler, type StintHandler } from "../http/handler.js";
import { type AuditLogger, attachAuditLog } from "../observability/audit.js";
import { createMetrics } from "../observability/metrics.js";
import { guardStore } from "../stores/guard.js";
import type { JsonObject, Store } from "../stores/store.js";
import { type AccountsConfig, accountService } from "./accounts.js";

export interface StintOptions<Data extends JsonObject = JsonObject> extends PolicyOptions {
  /** Where sessions live. */
  store: Store;
  /** One secret (≥ 32 characters), a comma-separated list or an array: the first signs, all verify. */
  secret: string | readonly string[];
  /** Secure cookies (`__Host-stint_session`, `Secure`): set it in production, behind HTTPS. */
  secure?: boolean;
  /** Origins allowed to make unsafe requests besides the server's own. */
  allowedOrigins?: readonly string[];
  /** The demo accounts (register, login): `false` (default) leaves /api/auth/* unanswered. */
  accounts?: AccountsConfig | false;
  /** Typed, validated server-only data. */
  schema?: StandardSchemaV1<Data>;
  defaults?: Partial<Data>;
  maxStateBytes?: number;
  fingerprint?: FingerprintOptions;
  /** Audit log sink (a pino logger fits); none by default. */
  auditLog?: AuditLogger;
  /** Anonymous sessions per client address per hour (API.md default 1,000); 0 disables. */
  anonymousSessionsPerHour?: number;
  /** Every store call is bounded by this (default 2 s): then 503, never a hang. */
  storeTimeoutMs?: number;
  /** Carries stream events between workers (Redis, PostgreSQL); in-process by default. */
  transport?: EventTransport;
  clock?: Clock;
  /** Heartbeat comment interval of the event stream (API.md: 15 s). */
  heartbeatMs?: number;
}

export interface Stint<Data extends JsonObject = JsonObject> {
  readonly manager: SessionManager<Data>;
  readonly events: EventBus;
  /** API.md's routes as `(Request) => Promise<Response>`. */
  readonly handler: StintHandler;
  /** Origins allowed besides the server's own (normalised), for the guards of app routes. */
  readonly allowedOrigins: ReadonlySet<string>;
  /**
   * The session of an app's own request, from its `Cookie` header: the cheap path (no Web
   * Request is built). Pass the result to `commit` before answering.
   */
  load(cookieHeader: string | null | undefined, client?: ClientContext): Promise<Session<Data>>;
  /** Writes what the request changed; returns the `Set-Cookie` values to send. */
  commit(session: Session<Data>, options?: CommitOptions): Promise<string[]>;
  health(): Promise<HealthReport>;
  metrics(): Promise<{ contentType: string; body: string }>;
  /** Deletes expired sessions in bounded batches. */
  cleanup(): Promise<number>;
  close(): Promise<void>;
}

const startedAt = Date.now();

/**
 * Builds Stint: the session engine on a store, the HTTP API, the event stream, metrics and
 * the audit log.
 *
 * @example
 * ```ts
 * import { createStint, sqliteStore } from "stint";
 * const stint = createStint({ store: sqliteStore({ path: "./data/stint.db" }), secret: process.env.STINT_SECRET! });
 * const response = await stint.handler(new Request("http://localhost/api/session"));
 * ```
 */
export function createStint<Data extends JsonObject = JsonObject>(options: StintOptions<Data>): Stint<Data> {
  const {
    store: rawStore,
    secret,
    secure = false,
    allowedOrigins = [],
    accounts: accountsConfig = false,
    schema,
    defaults,
    maxStateBytes,
    fingerprint,
    auditLog,
    anonymousSessionsPerHour = 1_000,
    storeTimeoutMs,
    transport = localTransport(),
    clock = systemClock,
    heartbeatMs = 15_000,
    ...policy
  } = options;
  const events = new EventBus();
  const store = guardStore(rawStore, {
    timeoutMs: storeTimeoutMs,
    onDamagedRecord: (sessionId, problem) => events.emit("record_damaged", { sessionId, problem }, clock.now()),
  });
  const manager = new SessionManager<Data>({
    store,
    secrets: secret,
    policy,
    clock,
    events,
    schema,
    defaults,
    maxStateBytes,
    secure,
    fingerprint,
  });
  const origins = new Set<string>();
  for (const origin of allowedOrigins) {
    const normalized = normalizeOrigin(origin);
    if (!normalized) throw new TypeError(`allowedOrigins: ${JSON.stringify(origin)} is not an http(s) origin.`);
    origins.add(normalized);
  }
  const accounts: AccountService | null = accountsConfig ? accountService(accountsConfig, events, clock) : null;
  const hub = new SessionEventHub(events, transport);
  const stopAudit = auditLog ? attachAuditLog(events, auditLog) : () => undefined;

  const health = async (): Promise<HealthReport> => {
    const probe = await store.health();
    const active = probe.ok ? await store.count(clock.now()).catch(() => null) : null;
    const status = !probe.ok ? "unavailable" : probe.detail === "degraded" ? "degraded" : "ok";
    return {
      status,
      store: {
        kind: store.kind,
        ok: probe.ok,
        latencyMs: round(probe.latencyMs),
        ...(probe.detail ? { detail: probe.detail } : {}),
      },
      sessions: { active },
      uptimeSeconds: Math.floor((Date.now() - startedAt) / 1000),
    };
  };
  const metrics = createMetrics(events, {
    activeSessions: () => store.count(clock.now()),
    storeLatencyMs: async () => (await store.health()).latencyMs,
  });
  const metricsText = async () => ({
    contentType: metrics.registry.contentType,
    body: await metrics.registry.metrics(),
  });

  const services: StintServices<Data> = {
    manager,
    hub,
    accounts,
    anonymousLimiter: anonymousSessionsPerHour > 0 ? creationLimiter(anonymousSessionsPerHour, clock) : null,
    allowedOrigins: origins,
    health,
    metricsText,
    heartbeatMs,
    observeRequest: metrics.observeRequest,
  };

  return {
    manager,
    events,
    handler: createHandler(services),
    allowedOrigins: origins,
    load: (cookieHeader, client = {}) => manager.load(readCookie(cookieHeader, manager.cookieName), client),
    commit: async (session, commitOptions = { activity: true }) =>
      (await manager.commit(session, commitOptions)).setCookies,
    health,
    metrics: metricsText,
    cleanup: () => manager.cleanup(),
    close: async () => {
      stopAudit();
      hub.close();
      metrics.close();
      await transport.close();
      await rawStore.close();
    },
  };
}

function creationLimiter(perHour: number, clock: Clock): CreationLimiter {
  const limiter = createAnonymousSessionLimiter({ limit: perHour, windowMs: 3_600_000, clock });
  return {
    take(ip) {
      // Without an address there is nothing to count against.
      if (!ip) return;
      const verdict = limiter.check(ip);
      if (!verdict.allowed) throw new RateLimitedError(verdict.retryAfterSeconds);
      limiter.record(ip);
    },
  };
}

const round = (ms: number) => Math.round(ms * 100) / 100;
