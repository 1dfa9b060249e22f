import type { SessionManager } from "../core/manager.js";
import type { ClientContext, Session } from "../core/session.js";
import type { SessionControl } from "../core/session-control.js";
import type { UserStates } from "../core/user-state.js";
import type { PublicUser } from "../protocol.js";
import type { JsonObject } from "../stores/store.js";
import type { SessionEventHub } from "./event-hub.js";
import type { Body } from "./json.js";

/** What the account routes need: the demo's accounts, or an app's own. */
export interface AccountService {
  register(input: { username: string; password: string; ip: string | null }): Promise<PublicUser>;
  authenticate(input: { username: string; password: string; ip: string | null }): Promise<PublicUser>;
  findById(userId: string): Promise<PublicUser | null>;
  /** Takes back an account just registered whose first session could not be made. */
  unregister?(userId: string): Promise<void>;
}

export interface HealthReport {
  status: "ok" | "degraded" | "unavailable";
  store: { kind: string; ok: boolean; latencyMs: number; detail?: string };
  sessions: { active: number | null };
  uptimeSeconds: number;
}

/** Per-address limit on anonymous sessions (API.md: 1,000 per hour by default). */
export interface CreationLimiter {
  /** Throws RateLimitedError when the address is over its limit; counts the creation otherwise. */
  take(ip: string | null): void;
}

/**
 * The admin API's gate (API.md, "Administration"): who may use it, and the per-address count
 * of refused attempts.
 */
export interface AdminGate {
  /** Is this request an operator's? Given a copy without the body. */
  authorize(request: Request): boolean | Promise<boolean>;
  /** Refused attempts per client address (shared with failed sign-ins when accounts are on). */
  failures: {
    check(ip: string): LimitVerdict | Promise<LimitVerdict>;
    record(ip: string): void | Promise<void>;
  };
}

export type LimitVerdict = { allowed: true } | { allowed: false; retryAfterSeconds: number };

/** Everything the routes use, built once by createStint. */
export interface StintServices<Data extends JsonObject> {
  manager: SessionManager<Data>;
  /** Device lists and revocations. */
  control: SessionControl;
  /** State shared by every session of a user. */
  userStates: UserStates;
  /** The admin API, or null when it is off (its routes answer 404). */
  admin: AdminGate | null;
  hub: SessionEventHub;
  accounts: AccountService | null;
  anonymousLimiter: CreationLimiter | null;
  /** Origins allowed besides the server's own, normalised. */
  allowedOrigins: ReadonlySet<string>;
  health(): Promise<HealthReport>;
  metricsText(): Promise<{ contentType: string; body: string }>;
  heartbeatMs: number;
  /** Called once per handled request (metrics). */
  observeRequest?(route: string, method: string, status: number, seconds: number): void;
}

export interface RouteContext<Data extends JsonObject> {
  request: Request;
  url: URL;
  params: Record<string, string>;
  session: Session<Data>;
  body: Body;
  client: ClientContext;
  services: StintServices<Data>;
  /** Write the session now (a route that answers with the new id or token needs it first). */
  commit(options?: { ifVersion?: number }): Promise<void>;
}

export interface Route {
  method: "GET" | "POST" | "PATCH" | "DELETE";
  /** Path with `:name` parameters. */
  path: string;
  /** Session handling: "required" (401 without), "optional", or "none" (not even loaded). */
  session: "required" | "authenticated" | "optional" | "none";
  /** Does not count as activity (API.md: GET /api/session and the event stream). */
  passive?: boolean;
  /** Signs in: `X-Stint-Transport: bearer` makes the new session a bearer one (token in the body). */
  signIn?: boolean;
  /** An admin API route: behind the admin gate, and 404 while the admin API is off. */
  admin?: boolean;
  run<Data extends JsonObject>(context: RouteContext<Data>): Promise<Response> | Response;
}
