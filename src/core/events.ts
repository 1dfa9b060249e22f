/**
 * Every lifecycle step is an event with a typed payload. The audit log, the metrics and the
 * browser event stream all subscribe to the same emitter. Payloads carry public session ids,
 * never tokens or secrets.
 */

export type RevokeReason = "logout" | "revoked" | "revoked_all" | "rotated" | "limit" | "fingerprint" | "admin";

/** What an operator did through the admin API. */
export type AdminAction = "list_sessions" | "revoke_user" | "revoke_session" | "patch_state";

export interface StintEvents {
  created: { sessionId: string; userId: string | null };
  rotated: { sessionId: string; previousId: string; userId: string | null };
  login: { sessionId: string; userId: string; persistent: boolean };
  login_failed: { username: string; ip: string | null; reason: "invalid_credentials" | "rate_limited" };
  extended: { sessionId: string; userId: string | null; expiresAt: number };
  touched: { sessionId: string; userId: string | null; lastSeenAt: number; expiresAt: number };
  expired: { sessionId: string; userId: string | null };
  revoked: { sessionId: string; userId: string | null; reason: RevokeReason };
  limit_evicted: { sessionId: string; userId: string };
  state_changed: { sessionId: string; userId: string | null; version: number; keys: string[] };
  /** A user's state changed: from one of their sessions (`sessionId`), or from the server (null). */
  user_state_changed: { userId: string; version: number; keys: string[]; sessionId: string | null };
  data_invalid: { sessionId: string; issues: string[] };
  /** A stored record that could not be read back (bad JSON, wrong types): deleted, as no session. */
  record_damaged: { sessionId: string; problem: string };
  csrf_failed: { sessionId: string | null; reason: "missing" | "invalid" };
  origin_rejected: { origin: string | null; secFetchSite: string | null };
  suspicious: { sessionId: string; userId: string | null; reason: "user_agent_changed" | "network_changed" };
  cleanup: { deleted: number };
  /** An admin API request that was allowed, and what it did. */
  admin_action: {
    action: AdminAction;
    userId: string | null;
    sessionId: string | null;
    ip: string | null;
    /** How many sessions it revoked or listed; for a state patch, the new version. */
    count: number;
  };
  /** An admin API request refused: a wrong token, or too many wrong tokens from its address. */
  admin_denied: { ip: string | null; reason: "invalid_token" | "rate_limited" };
}

export type StintEventName = keyof StintEvents;
export type StintEvent = { [K in StintEventName]: { type: K; at: number } & StintEvents[K] }[StintEventName];
export type Listener<K extends StintEventName> = (event: { type: K; at: number } & StintEvents[K]) => void;
type AnyListener = (event: StintEvent) => void;

export class EventBus {
  readonly #listeners = new Map<StintEventName, Set<(event: never) => void>>();
  readonly #any = new Set<AnyListener>();

  /** Subscribe to one event type; returns the unsubscribe function. */
  on<K extends StintEventName>(type: K, listener: Listener<K>): () => void {
    let set = this.#listeners.get(type);
    if (!set) this.#listeners.set(type, (set = new Set()));
    set.add(listener as (event: never) => void);
    return () => set.delete(listener as (event: never) => void);
  }

  /** Subscribe to every event; returns the unsubscribe function. */
  onAny(listener: AnyListener): () => void {
    this.#any.add(listener);
    return () => this.#any.delete(listener);
  }

  emit<K extends StintEventName>(type: K, payload: StintEvents[K], at: number): void {
    const event = { type, at, ...payload } as { type: K; at: number } & StintEvents[K];
    const set = this.#listeners.get(type);
    // A failing subscriber (a log sink, a metric) must never fail the request that emitted.
    if (set) for (const listener of set) safely(() => (listener as Listener<K>)(event));
    for (const listener of this.#any) safely(() => listener(event as unknown as StintEvent));
  }
}

function safely(call: () => void): void {
  try {
    call();
  } catch (error) {
    console.error("stint: an event listener failed", error);
  }
}
