/**
 * Store operations per request: a fixed number of read, write and login requests per
 * variant, right after signing in, with every store call counted at the store and, on Redis,
 * every command counted by the server (INFO commandstats).
 */
import type { RunContext } from "../lib/context.js";
import { labelOf } from "../lib/labels.js";
import { measureOnce, perRequest } from "../lib/measure.js";
import { stintOn } from "../lib/requests.js";
import { REDIS_STORES, type Route, type VariantSpec } from "../servers/common.js";
import { ROUND_TRIPS } from "../servers/stint.js";

export interface StoreOpsRow {
  key: string;
  label: string;
  route: Route;
  requests: number;
  /** Store calls per request, by method, as the store saw them. */
  calls: Record<string, number>;
  writes: number;
  /** Redis commands per request, by command, as the server counted them (Redis only). */
  redis: Record<string, number> | null;
  /** Commands the Stint server sent to Redis per request: round trips (Redis only). */
  roundTrips: number | null;
}

const VARIANTS: VariantSpec[] = [
  ...stintOn("node", ["memory", "sqlite", "redis", "redis-cluster", "postgres"]),
  { framework: "express", session: "express-session", store: "memory" },
  { framework: "express", session: "express-session", store: "redis" },
  { framework: "express", session: "express-session", store: "sqlite" },
  { framework: "fastify", session: "fastify-session", store: "memory" },
  { framework: "hono", session: "hono-sessions", store: "memory" },
];

const ROUTES: Route[] = ["read", "write", "login"];

export async function runStoreOps(run: RunContext): Promise<{ rows: StoreOpsRow[] }> {
  const servers = await run.pool.available(VARIANTS);
  const commands = await run.commandStats();
  const rows: StoreOpsRow[] = [];
  for (const server of servers) {
    // A fresh session: a touch (at most one a minute per session) would blur the read counts.
    await server.signIn();
    for (const route of ROUTES) {
      const slot = { id: server.key, server, route };
      // One connection: one user's requests, one after another, as a browser sends them. Many
      // connections writing one session at once each find the record another's write just
      // changed (the cache keeps a write's result only when no other change overlapped it).
      const tally = await measureOnce(slot, { amount: run.profile.opsRequests, connections: 1 }, commands);
      const per = (counts: Record<string, number>) =>
        Object.fromEntries(Object.entries(counts).map(([name, count]) => [name, perRequest(count, tally)]));
      const { [ROUND_TRIPS]: sent, ...calls } = tally.calls;
      rows.push({
        key: server.key,
        label: labelOf(server.spec),
        route,
        requests: tally.requests,
        calls: per(calls),
        writes: perRequest(tally.writes, tally),
        redis: REDIS_STORES.has(server.spec.store) ? per(tally.redis) : null,
        roundTrips: REDIS_STORES.has(server.spec.store) && sent !== undefined ? perRequest(sent, tally) : null,
      });
    }
  }
  return { rows };
}
