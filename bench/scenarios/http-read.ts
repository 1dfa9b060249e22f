/**
 * Read requests (issues 3, 6 and 7): GET of a small session-protected route with a valid
 * session cookie, through node:http, Express, Fastify and Hono, against each framework
 * without sessions, the incumbents and bare node:http, in the same rounds.
 */

import type { RunContext } from "../lib/context.js";
import { compareRoute, type RouteComparison, stintOn } from "../lib/requests.js";
import type { StoreKind, VariantSpec } from "../servers/common.js";

export function readGroups(quick: boolean): VariantSpec[][] {
  const all: StoreKind[] = ["memory", "sqlite", "redis", "postgres"];
  // Memory too in the quick run: the incumbents of Fastify and Hono keep sessions in memory.
  const frameworkStores: StoreKind[] = quick ? ["memory", "sqlite"] : all;
  return [
    [
      // The cluster on node:http only: the per-request cost of a store spread over masters.
      ...stintOn("node", quick ? ["memory", "sqlite", "redis", "redis-cluster"] : [...all, "redis-cluster"]),
      ...(quick ? [] : [{ framework: "node", session: "floor", store: "sqlite" } as const]),
      { framework: "node", session: "iron-session" },
    ],
    [
      { framework: "express", session: "none" },
      ...stintOn("express", frameworkStores),
      { framework: "express", session: "express-session", store: "memory" },
      { framework: "express", session: "express-session", store: "redis" },
      { framework: "express", session: "express-session", store: "sqlite" },
    ],
    [
      { framework: "fastify", session: "none" },
      ...stintOn("fastify", frameworkStores),
      { framework: "fastify", session: "fastify-session", store: "memory" },
    ],
    [
      { framework: "hono", session: "none" },
      ...stintOn("hono", frameworkStores),
      { framework: "hono", session: "hono-sessions", store: "memory" },
    ],
  ];
}

export function runHttpRead(run: RunContext): Promise<RouteComparison> {
  return compareRoute(run, "read", readGroups(run.quick));
}
