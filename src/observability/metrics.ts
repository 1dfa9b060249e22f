import { Counter, Gauge, Histogram, Registry } from "prom-client";
import type { EventBus } from "../core/events.js";
import type { CacheStats } from "../stores/store.js";

export interface StintMetrics {
  registry: Registry;
  /** Records one handled API request. */
  observeRequest(route: string, method: string, status: number, seconds: number): void;
  close(): void;
}

/**
 * Prometheus metrics fed by the same events as the audit log (seed 001's metrics, seed 004's
 * statistics). A registry per instance, so several Stints in one process do not collide.
 */
export function createMetrics(
  bus: EventBus,
  probes: {
    activeSessions(): Promise<number>;
    storeLatencyMs(): Promise<number>;
    /** The store's read cache, when it has one. */
    cache?: () => CacheStats;
  },
): StintMetrics {
  const registry = new Registry();
  const counter = (name: string, help: string, labelNames: string[] = []) =>
    new Counter({ name, help, labelNames, registers: [registry] });
  const created = counter("stint_sessions_created_total", "Sessions created.");
  const expired = counter("stint_sessions_expired_total", "Sessions found expired.");
  const revoked = counter("stint_sessions_revoked_total", "Sessions ended by logout or revocation.", ["reason"]);
  const rotated = counter("stint_sessions_rotated_total", "Session ids rotated (login, privilege change).");
  const evicted = counter("stint_sessions_limit_evicted_total", "Sessions ended by the per-user limit.");
  const csrf = counter("stint_csrf_failures_total", "Unsafe requests refused for a missing or wrong CSRF token.");
  const origin = counter("stint_origin_rejections_total", "Unsafe requests refused for their origin.");
  const loginFailures = counter("stint_login_failures_total", "Failed sign-ins.", ["reason"]);
  const logins = counter("stint_logins_total", "Successful sign-ins.");
  const suspicious = counter("stint_suspicious_total", "Fingerprint mismatches.", ["reason"]);
  const cleaned = counter("stint_cleanup_deleted_total", "Expired sessions deleted by cleanup.");
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
        name: `stint_cache_${name}_total`,
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
    new Gauge({
      name: "stint_cache_entries",
      help: "Sessions held in this process's cache.",
      registers: [registry],
      collect() {
        this.set(cache().entries);
      },
    });
  }
  const durations = new Histogram({
    name: "stint_http_request_duration_seconds",
    help: "Duration of API requests.",
    labelNames: ["route", "method", "status"],
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
    registers: [registry],
  });

  const stops = [
    bus.on("created", () => created.inc()),
    bus.on("expired", () => expired.inc()),
    bus.on("revoked", (e) => revoked.inc({ reason: e.reason })),
    bus.on("rotated", () => rotated.inc()),
    bus.on("limit_evicted", () => evicted.inc()),
    bus.on("csrf_failed", () => csrf.inc()),
    bus.on("origin_rejected", () => origin.inc()),
    bus.on("login_failed", (e) => loginFailures.inc({ reason: e.reason })),
    bus.on("login", () => logins.inc()),
    bus.on("suspicious", (e) => suspicious.inc({ reason: e.reason })),
    bus.on("cleanup", (e) => cleaned.inc(e.deleted)),
  ];
  return {
    registry,
    observeRequest: (route, method, status, seconds) =>
      durations.observe({ route, method, status: String(status) }, seconds),
    close: () => {
      for (const stop of stops) stop();
      registry.clear();
    },
  };
}
