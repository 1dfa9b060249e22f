import { createAnonymousSessionLimiter, createAttemptLimiter, DEFAULT_LIMITS } from "../auth/throttle.js";
import type { Accounts } from "../auth/types.js";
import { deleteExpiredInBatches, startCleanupLoop } from "../core/cleanup.js";
import type { Clock } from "../core/clock.js";
import { systemClock } from "../core/clock.js";
import { normalizeOrigin } from "../core/csrf.js";
import { parseDuration } from "../core/duration.js";
import { NotFoundError, RateLimitedError } from "../core/errors.js";
import { EventBus } from "../core/events.js";
import { type CommitOptions, type FingerprintOptions, SessionManager } from "../core/manager.js";
import type { PolicyOptions } from "../core/policy.js";
import type { StandardSchemaV1 } from "../core/schema.js";
import type { ClientContext, Session } from "../core/session.js";
import { SessionControl } from "../core/session-control.js";
import type { CookieSettings } from "../core/session-cookie.js";
import { UserStates } from "../core/user-state.js";
import { type AdminOptions, adminGate } from "../http/admin-gate.js";
import type { AccountService, CreationLimiter, HealthReport, StintServices } from "../http/context.js";
import { presentedToken, type SessionCredentials } from "../http/credentials.js";
import { SessionEventHub } from "../http/event-hub.js";
import { assertCsrf } from "../http/guards.js";
import { createHandler } from "../http/handler.js";
import type { StintHost } from "../http/host.js";
import { type AuditLogger, attachAuditLog } from "../observability/audit.js";
import { createMetrics } from "../observability/metrics.js";
import { guardStore } from "../stores/guard.js";
import type { JsonObject, Store } from "../stores/store.js";
import { pubSubTransport } from "../transports/pubsub.js";
import { type EventTransport, localTransport } from "../transports/transport.js";
import { accountService } from "./accounts.js";

export interface StintOptions<Data extends JsonObject = JsonObject> extends PolicyOptions, AdminOptions {
  /** Where sessions live. */
  store: Store;
  /** One secret (≥ 32 characters), a comma-separated list or an array: the first signs, all verify. */
  secret: string | readonly string[];
  /** Secure cookies (`__Host-stint_session`, `Secure`): set it in production, behind HTTPS. */
  secure?: boolean;
  /** The cookie's name, domain, SameSite and path; combinations browsers reject throw here. */
  cookie?: CookieSettings;
  /** Origins allowed to make unsafe requests besides the server's own. */
  allowedOrigins?: readonly string[];
  /**
   * Accounts for `/api/auth/register` and `/login` (`createAccounts` of "stint/accounts", or
   * your own): `false` (default) leaves /api/auth/* unanswered.
   */
  accounts?: Accounts | false;
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
  /**
   * How events reach the other processes of the app. By default the store's own channel
   * (Redis pub/sub, PostgreSQL LISTEN/NOTIFY) when it has one, so a revocation in one process
   * ends event streams in all of them; `false` keeps events in this process.
   */
  transport?: EventTransport | false;
  /** Expired sessions are deleted this often, in bounded batches (default "10m"; 0 turns it off). */
  cleanupInterval?: number | string;
  clock?: Clock;
  /** Heartbeat comment interval of the event stream (API.md: 15 s). */
  heartbeatMs?: number;
}

export interface Stint<Data extends JsonObject = JsonObject> extends StintHost<Data> {
  /** Every lifecycle step as a typed event (`created`, `login`, `revoked`, …). */
  readonly events: Pick<EventBus, "on" | "onAny">;
  /**
   * Sessions from outside a request (operators, jobs, the CLI): `get`, `list`, `patchState`,
   * `revoke`, `revokeUser`. Each change reaches the session's open tabs on every process.
   */
  readonly sessions: SessionControl;
  /** State shared by every session of a user: `get(userId)`, `patch(userId, { set, unset, ifVersion })`. */
  readonly userState: UserStates;
  /** `{ status, store, sessions, uptimeSeconds }`, as `GET /api/health` answers. */
  health(): Promise<HealthReport>;
  /** Prometheus text, as `GET /metrics` answers. */
  metrics(): Promise<{ contentType: string; body: string }>;
  /** Deletes expired sessions now, in bounded batches; how many. */
  cleanup(): Promise<number>;
}

const startedAt = Date.now();
/** App routes count as activity (API.md); only the API's passive routes do not. */
const ACTIVITY: CommitOptions = Object.freeze({ activity: true });
/** What a request that changed nothing commits: no cookie, and no store call. */
const noCookies = (): Promise<string[]> => Promise.resolve([]);

/**
 * Builds Stint: the session engine on a store, the HTTP API, the event stream, metrics, the
 * audit log and the cleanup of expired sessions.
 *
 * @example
 * ```ts
 * import { createStint, memoryStore } from "stint";
 * const stint = createStint({ store: memoryStore(), secret: process.env.STINT_SECRET! });
 * const response = await stint.handler(new Request("http://localhost/api/session"));
 * ```
 */
export function createStint<Data extends JsonObject = JsonObject>(options: StintOptions<Data>): Stint<Data> {
  const {
    store: rawStore,
    secret,
    secure = false,
    cookie,
    allowedOrigins = [],
    accounts: accountsConfig = false,
    schema,
    defaults,
    maxStateBytes,
    fingerprint,
    auditLog,
    anonymousSessionsPerHour = 1_000,
    storeTimeoutMs,
    transport: transportOption,
    cleanupInterval = "10m",
    clock = systemClock,
    heartbeatMs = 15_000,
    adminToken,
    authorizeAdmin,
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
    cookie,
    fingerprint,
  });
  const control = new SessionControl(store, clock, events, { maxStateBytes: manager.maxStateBytes });
  const userStates = new UserStates(store, clock, events, { maxStateBytes: manager.maxStateBytes });
  const origins = new Set<string>();
  for (const origin of allowedOrigins) {
    const normalized = normalizeOrigin(origin);
    if (!normalized) throw new TypeError(`allowedOrigins: ${JSON.stringify(origin)} is not an http(s) origin.`);
    origins.add(normalized);
  }
  const cleanupMs = typeof cleanupInterval === "string" ? parseDuration(cleanupInterval) : cleanupInterval;
  const transport =
    transportOption === false || (!transportOption && !rawStore.pubsub)
      ? localTransport()
      : (transportOption ?? pubSubTransport(rawStore.pubsub as NonNullable<Store["pubsub"]>, "stint:events"));
  const accounts: AccountService | null = accountsConfig ? accountService(accountsConfig, events, clock) : null;
  // A wrong admin token counts toward the same per-address limit as a failed sign-in.
  const addressFailures =
    (accountsConfig ? accountsConfig.addressFailures : undefined) ??
    createAttemptLimiter({ ...DEFAULT_LIMITS.addressFailures, clock });
  const admin = adminGate({ adminToken, authorizeAdmin }, addressFailures);
  const hub = new SessionEventHub(events, transport);
  const stopAudit = auditLog ? attachAuditLog(events, auditLog) : () => undefined;

  const activeSessions = async (): Promise<number | null> =>
    store.count ? await store.count(clock.now()).catch(() => null) : null;
  const health = async (): Promise<HealthReport> => {
    const probe = await store.health();
    const active = probe.ok ? await activeSessions() : null;
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
    activeSessions: async () => (await activeSessions()) ?? Number.NaN,
    storeLatencyMs: async () => (await store.health()).latencyMs,
    ...(store.cache && { cache: () => (store.cache as NonNullable<Store["cache"]>).stats() }),
  });
  const metricsText = async () => {
    const text = await metrics.text();
    if (!text) throw new NotFoundError("Metrics are not available in this runtime (prom-client cannot load).");
    return text;
  };
  const cleanup = async () => {
    const deleted = await deleteExpiredInBatches(store, () => clock.now());
    events.emit("cleanup", { deleted }, clock.now());
    return deleted;
  };
  const stopCleanup = startCleanupLoop(cleanup, cleanupMs);

  const services: StintServices<Data> = {
    manager,
    control,
    userStates,
    admin,
    hub,
    accounts,
    anonymousLimiter: anonymousSessionsPerHour > 0 ? creationLimiter(anonymousSessionsPerHour, clock) : null,
    allowedOrigins: origins,
    health,
    metricsText,
    heartbeatMs,
    observeRequest: metrics.observeRequest,
  };

  let closing: Promise<void> | undefined;
  return {
    events,
    sessions: control,
    userState: userStates,
    handler: createHandler(services),
    cookie: manager.cookie,
    load: (credentials: string | null | undefined | SessionCredentials, client: ClientContext = {}) => {
      if (typeof credentials !== "object" || credentials === null) {
        return manager.load(manager.cookie.read(credentials), client);
      }
      let presented: ReturnType<typeof presentedToken>;
      try {
        presented = presentedToken(credentials, (header) => manager.cookie.read(header));
      } catch (error) {
        return Promise.reject(error);
      }
      return manager.load(presented.token, client, { transport: presented.transport });
    },
    commit: (session: Session<Data>, commitOptions: CommitOptions = ACTIVITY) =>
      manager.needsCommit(session, commitOptions)
        ? manager.commit(session, commitOptions).then((result) => result.setCookies)
        : noCookies(),
    assertCsrf: (session, request) => assertCsrf(manager, session, request, origins),
    csrfToken: (session) => manager.csrfToken(session),
    health,
    metrics: metricsText,
    cleanup,
    close: () =>
      (closing ??= (async () => {
        stopCleanup();
        stopAudit();
        hub.close();
        metrics.close();
        await transport.close();
        await rawStore.close();
      })()),
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
