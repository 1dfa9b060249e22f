/** Names of variants as the tables and the chart show them. */
import type { Framework, StoreKind, VariantSpec } from "../servers/common.js";

export const FRAMEWORK_NAMES: Record<Framework, string> = {
  node: "node:http",
  express: "Express 5",
  fastify: "Fastify 5",
  hono: "Hono 4",
};

export const STORE_NAMES: Record<StoreKind, string> = {
  memory: "memory",
  sqlite: "SQLite",
  redis: "Redis",
  "redis-cluster": "Redis Cluster (3 masters)",
  postgres: "PostgreSQL",
};

const INCUMBENT_STORES: Record<string, string> = {
  "express-session:memory": "express-session, MemoryStore",
  "express-session:redis": "express-session + connect-redis",
  "express-session:sqlite": "express-session + better-sqlite3-session-store",
  "fastify-session:memory": "@fastify/session (memory)",
  "hono-sessions:memory": "hono-sessions (memory)",
};

/** Which bar colour and legend entry a variant belongs to. */
export type Kind = "baseline" | "framework" | "stint" | "incumbent" | "floor";

export function kindOf(spec: VariantSpec): Kind {
  if (spec.session === "none") return spec.framework === "node" ? "baseline" : "framework";
  if (spec.session === "stint") return "stint";
  if (spec.session === "floor") return "floor";
  return "incumbent";
}

export function labelOf(spec: VariantSpec): string {
  const framework = FRAMEWORK_NAMES[spec.framework];
  switch (spec.session) {
    case "none":
      return spec.framework === "node" ? "bare node:http" : `${framework} without sessions`;
    case "stint":
      return `Stint, ${framework}, ${STORE_NAMES[spec.store ?? "memory"]}`;
    case "floor":
      return "floor: hand-written token check, better-sqlite3";
    case "iron-session":
      return "iron-session (sealed cookie)";
    default:
      return INCUMBENT_STORES[`${spec.session}:${spec.store ?? "memory"}`] ?? `${spec.session} (${spec.store})`;
  }
}
