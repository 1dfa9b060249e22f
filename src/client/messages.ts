/**
 * The wire format between tabs. A message is a signal ("something happened, ask the
 * server"), never data: it carries an event type, an optional state version, a timestamp
 * and the sender's random tab id. No token, CSRF token, user or state ever goes on the
 * channel, so a message read by another script or left in localStorage gives nothing away,
 * and a forged one can at most make a tab re-ask the server (STYLE.md principle 15;
 * security-bar SR-83, SR-84).
 */

/** Every signal a tab can send. */
export const tabSignals = ["login", "logout", "state", "extended", "revoked", "expired", "activity", "leader"] as const;

export type TabSignal = (typeof tabSignals)[number];

/** Version 1 of the tab message. */
export interface TabMessage {
  v: 1;
  type: TabSignal;
  /** The session state version, for `state` signals only. */
  version?: number;
  /** Sender's local epoch milliseconds. */
  at: number;
  /** Sender's tab id (random, not secret). */
  from: string;
}

const signalSet: ReadonlySet<string> = new Set(tabSignals);
const tabIdPattern = /^[A-Za-z0-9_-]{1,64}$/;

/**
 * Reads a message received from another tab. Anything that is not exactly a version-1
 * signal gives `null`; this never throws, whatever it is handed (SR-83: malformed channel
 * messages are ignored with no exception). The result is a fresh object holding only the
 * known fields, so extra properties a sender smuggled in never reach a listener.
 */
export function parseTabMessage(raw: unknown): TabMessage | null {
  try {
    const value = typeof raw === "string" ? (JSON.parse(raw) as unknown) : raw;
    if (typeof value !== "object" || value === null || Array.isArray(value)) return null;
    const record = value as Record<string, unknown>;
    const { v, type, version, at, from } = record;
    if (v !== 1) return null;
    if (typeof type !== "string" || !signalSet.has(type)) return null;
    if (typeof at !== "number" || !Number.isFinite(at)) return null;
    if (typeof from !== "string" || !tabIdPattern.test(from)) return null;
    const message: TabMessage = { v: 1, type: type as TabSignal, at, from };
    if (version !== undefined) {
      if (typeof version !== "number" || !Number.isSafeInteger(version) || version < 0) return null;
      message.version = version;
    }
    return message;
  } catch {
    // A getter that throws, a revoked Proxy, JSON that does not parse: all just "not a message".
    return null;
  }
}

/**
 * Builds the exact object that goes on the wire, from the known fields only, so a caller
 * that hands `post` a richer object still cannot leak anything through the channel.
 */
export function toWire(message: TabMessage): TabMessage {
  const wire: TabMessage = { v: 1, type: message.type, at: message.at, from: message.from };
  if (message.version !== undefined) wire.version = message.version;
  return wire;
}

/** A random, non-secret id for this tab. */
export function createTabId(): string {
  const uuid = globalThis.crypto?.randomUUID?.();
  if (uuid) return uuid;
  return `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 12)}`;
}
