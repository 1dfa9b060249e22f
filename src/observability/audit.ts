import type { EventBus, StintEvent } from "../core/events.js";

/** The subset of a pino logger the audit log uses, so any compatible logger fits. */
export interface AuditLogger {
  info(object: object, message?: string): void;
  warn(object: object, message?: string): void;
}

/** Routine events that would drown the audit log: they go to metrics only. */
const QUIET = new Set<StintEvent["type"]>(["touched", "state_changed", "user_state_changed"]);
const WARNINGS = new Set<StintEvent["type"]>([
  "csrf_failed",
  "origin_rejected",
  "suspicious",
  "login_failed",
  "data_invalid",
  "record_damaged",
  "admin_denied",
]);

/**
 * Seed 001's audit log: one JSON line per security-relevant event. Events carry public
 * session ids only (never a token, a secret or a password), so a line can be shared safely.
 */
export function attachAuditLog(bus: EventBus, logger: AuditLogger): () => void {
  return bus.onAny((event) => {
    if (QUIET.has(event.type)) return;
    const { type, at, ...fields } = event;
    const line = { audit: type, at: new Date(at).toISOString(), ...fields };
    if (WARNINGS.has(type)) logger.warn(line, type);
    else logger.info(line, type);
  });
}
