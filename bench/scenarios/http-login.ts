/**
 * Login requests: a route calling `session.login(userId)` on a signed-in session, so each
 * request rotates it (a new id and secret, the old session deleted) — the cost of Stint's
 * rotation, not of password hashing — against express-session's `regenerate()`.
 */
import type { RunContext } from "../lib/context.js";
import { compareRoute, type RouteComparison } from "../lib/requests.js";
import { changingGroups } from "./http-write.js";

export function runHttpLogin(run: RunContext): Promise<RouteComparison> {
  return compareRoute(run, "login", changingGroups(run.quick));
}
