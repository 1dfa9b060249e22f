/**
 * Scale: many sessions in SQLite, Redis and PostgreSQL (1,000,000; quick 100,000) — lookup
 * p50/p99, and cleanup of the expired ones with the longest event-loop stall it caused.
 * Each store runs in a fresh worker process (bench/workers/scale.ts).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { RunContext } from "../lib/context.js";
import { runWorker } from "../lib/worker.js";
import type { ScaleInput, ScaleResult } from "../workers/scale.js";

export async function runScale(run: RunContext): Promise<{ results: ScaleResult[]; missing: string[] }> {
  const { sessions, expired, lookups } = run.profile;
  const results: ScaleResult[] = [];
  const missing: string[] = [];
  const redis = await run.services.redis();
  const postgres = await run.services.postgres();
  const dir = mkdtempSync(join(tmpdir(), "stint-bench-scale-"));
  const stores: Array<{ store: ScaleInput["store"]; url?: string; name: string }> = [
    { store: "sqlite", name: "SQLite" },
    ...(redis ? [{ store: "redis" as const, url: redis.url, name: "Redis" }] : []),
    ...(postgres ? [{ store: "postgres" as const, url: postgres.url, name: "PostgreSQL" }] : []),
  ];
  if (!redis) missing.push("Redis");
  if (!postgres) missing.push("PostgreSQL");
  try {
    for (const { store, url, name } of stores) {
      run.log(`  ${name}: ${sessions.toLocaleString("en")} sessions`);
      const input: ScaleInput = { store, sessions, expired, lookups, dir, ...(url ? { url } : {}) };
      results.push(await runWorker<ScaleResult>("scale", input));
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return { results, missing };
}
