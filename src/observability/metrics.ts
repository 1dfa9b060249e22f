import type * as PromClient from "prom-client";
import type { EventBus } from "../core/events.js";
import type { CacheStats } from "../stores/store.js";

export interface StintMetrics {
  /** Prometheus text; null where prom-client cannot load (edge runtimes such as workerd). */
  text(): Promise<{ contentType: string; body: string } | null>;
  /** Records one handled API request. */
  observeRequest(route: string, method: string, status: number, seconds: number): void;
  close(): void;
}

type Instruments = ReturnType<typeof instruments>;
type Update = (metrics: Instruments) => void;

export interface MetricProbes {
  activeSessions(): Promise<number>;
  storeLatencyMs(): Promise<number>;
  /** The store's read cache, when it has one. */
  cache?: () => CacheStats;
}

/** Updates kept while prom-client loads; past this many (it never loads) the oldest count is lost. */
const MAX_PENDING = 10_000;

/**
 * Prometheus metrics fed by the same events as the audit log (seed 001's metrics, seed 004's
 * statistics). A registry per instance, so several Stints in one process do not collide.
 *
 * prom-client is loaded when Stint starts, not when the module is: it needs node:cluster and
 * node:v8, which edge runtimes (workerd) lack, and Stint runs there without metrics. Events of
 * the first moments are kept and counted once it has loaded; nothing on a request waits for it.
 */
export function createMetrics(bus: EventBus, probes: MetricProbes): StintMetrics {
  let loaded: Instruments | null = null;
  let pending: Update[] | null = [];
  const ready = import("prom-client").then(
    (prom) => {
      // A CommonJS module: its exports are the default export in ESM, and named ones in bundles.
      const metrics = instruments((prom.default ?? prom) as unknown as typeof PromClient, probes);
      for (const update of pending ?? []) update(metrics);
      pending = null;
      loaded = metrics;
      return metrics;
    },
    () => {
      pending = null;
      return null;
    },
  );
  const record = (update: Update) => {
    if (loaded) update(loaded);
    else if (pending && pending.length < MAX_PENDING) pending.push(update);
  };

  const stops = [
    bus.on("created", () => record((m) => m.created.inc())),
    bus.on("expired", () => record((m) => m.expired.inc())),
    bus.on("revoked", (e) => record((m) => m.revoked.inc({ reason: e.reason }))),
    bus.on("rotated", () => record((m) => m.rotated.inc())),
    bus.on("limit_evicted", () => record((m) => m.evicted.inc())),
    bus.on("csrf_failed", () => record((m) => m.csrf.inc())),
    bus.on("origin_rejected", () => record((m) => m.origin.inc())),
    bus.on("login_failed", (e) => record((m) => m.loginFailures.inc({ reason: e.reason }))),
    bus.on("login", () => record((m) => m.logins.inc())),
    bus.on("suspicious", (e) => record((m) => m.suspicious.inc({ reason: e.reason }))),
    bus.on("cleanup", (e) => record((m) => m.cleaned.inc(e.deleted))),
  ];
  return {
    async text() {
      const metrics = await ready;
      return metrics && { contentType: metrics.registry.contentType, body: await metrics.registry.metrics() };
    },
    observeRequest: (route, method, status, seconds) =>
      record((m) => m.durations.observe({ route, method, status: String(status) }, seconds)),
    close: () => {
      for (const stop of stops) stop();
      pending = null;
      void ready.then((metrics) => metrics?.registry.clear());
    },
  };
}

function instruments(prom: typeof PromClient, probes: MetricProbes) {
  const { Counter, Gauge, Histogram, Registry } = prom;
  const registry = new Registry();
  const counter = (name: string, help: string, labelNames: string[] = []) =>
    new Counter({ name, help, labelNames, registers: [registry] });
  new Gauge({
    name: "stint_sessions_active",
    help: "Live sessions in the store.",
    registers: [registry],
    async collect() {
      this.set(await probes.activeSessions().catch(() => Number.NaN));
    },
  });
  new Gauge({
    name: "stint_store_latency_ms",
    help: "Latency of a store health probe, in milliseconds.",
    registers: [registry],
    async collect() {
      this.set(await probes.storeLatencyMs().catch(() => Number.NaN));
    },
  });
  const cache = probes.cache;
  if (cache) {
    // The cache counts for itself; a scrape copies its totals.
    const total = (name: keyof CacheStats, help: string) =>
      new Counter({
        name: `stint_cache_${name.replace(/[A-Z]/g, (letter) => `_${letter.toLowerCase()}`)}_total`,
        help,
        registers: [registry],
        collect() {
          this.reset();
          this.inc(cache()[name]);
        },
      });
    total("hits", "Session reads answered from this process's cache.");
    total("misses", "Session reads that went to the store and may fill the cache.");
    total("invalidations", "Cached sessions dropped because a change was announced.");
    total("bypasses", "Session reads sent to the store because the invalidation link was down.");
    total(
      "linkDrops",
      "Times the cache was emptied because it could not know what changed (its link down, another connection wrote).",
    );
    new Gauge({
      name: "stint_cache_entries",
      help: "Sessions held in this process's cache.",
      registers: [registry],
      collect() {
        this.set(cache().entries);
      },
    });
  }
  return {
    registry,
    created: counter("stint_sessions_created_total", "Sessions created."),
    expired: counter("stint_sessions_expired_total", "Sessions found expired."),
    revoked: counter("stint_sessions_revoked_total", "Sessions ended by logout or revocation.", ["reason"]),
    rotated: counter("stint_sessions_rotated_total", "Session ids rotated (login, privilege change)."),
    evicted: counter("stint_sessions_limit_evicted_total", "Sessions ended by the per-user limit."),
    csrf: counter("stint_csrf_failures_total", "Unsafe requests refused for a missing or wrong CSRF token."),
    origin: counter("stint_origin_rejections_total", "Unsafe requests refused for their origin."),
    loginFailures: counter("stint_login_failures_total", "Failed sign-ins.", ["reason"]),
    logins: counter("stint_logins_total", "Successful sign-ins."),
    suspicious: counter("stint_suspicious_total", "Fingerprint mismatches.", ["reason"]),
    cleaned: counter("stint_cleanup_deleted_total", "Expired sessions deleted by cleanup."),
    durations: new Histogram({
      name: "stint_http_request_duration_seconds",
      help: "Duration of API requests.",
      labelNames: ["route", "method", "status"],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
      registers: [registry],
    }),
  };
}
