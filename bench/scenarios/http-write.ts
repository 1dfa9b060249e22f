/** Write requests: a route that sets one session key, Stint on node:http against express-session. */
import type { RunContext } from "../lib/context.js";
import { compareRoute, type RouteComparison, stintOn } from "../lib/requests.js";
import type { VariantSpec } from "../servers/common.js";

export function changingGroups(quick: boolean): VariantSpec[][] {
  return [
    [
      ...stintOn("node", quick ? ["memory", "sqlite"] : ["memory", "sqlite", "redis", "redis-cluster", "postgres"]),
      ...(quick ? [] : [{ framework: "express", session: "none" } as const]),
      { framework: "express", session: "express-session", store: "memory" },
    ],
  ];
}

export function runHttpWrite(run: RunContext): Promise<RouteComparison> {
  return compareRoute(run, "write", changingGroups(run.quick));
}
