/**
 * The wire format between tabs. Stint's own messages are signals ("something happened, ask
 * the server"), never data: an event type, an optional state version, a timestamp and the
 * sender's random tab id. No token, CSRF token, user or state ever goes on the channel, so a
 * message read by another script or left in localStorage gives nothing away, and a forged one
 * can at most make a tab re-ask the server (STYLE.md principle 15; security-bar SR-83, SR-84).
 *
 * The app's own messages (`client.broadcast`) are the one exception, and carry the app's
 * data: plain JSON only, at most 16 KiB, a fresh copy for every listener, and never the
 * session's CSRF token (`broadcast` refuses it).
 */

/** Every signal a tab can send. */
export const tabSignals = [
  "login",
  "logout",
  "state",
  "user-state",
  "extended",
  "revoked",
  "expired",
  "activity",
  "leader",
] as const;

export type TabSignal = (typeof tabSignals)[number];

/** Version 1 of a signal between tabs. */
export interface TabMessage {
  v: 1;
  type: TabSignal;
  /** The state version, for `state` and `user-state` signals only. */
  version?: number;
  /** Sender's local epoch milliseconds. */
  at: number;
  /** Sender's tab id (random, not secret). */
  from: string;
}

/** Version 1 of an app's own message between tabs (`client.broadcast(name, data)`). */
export interface AppMessage {
  v: 1;
  type: "message";
  /** The app's name for the message: 1–64 of `[A-Za-z0-9_.:-]`. */
  name: string;
  /** Plain JSON, at most 16 KiB. */
  data: unknown;
  at: number;
  from: string;
}

/** Everything that travels on a `TabChannel`. */
export type ChannelMessage = TabMessage | AppMessage;

const signalSet: ReadonlySet<string> = new Set(tabSignals);
const tabIdPattern = /^[A-Za-z0-9_-]{1,64}$/;
const appNamePattern = /^[A-Za-z0-9_.:-]{1,64}$/;
/** An app message's data, as JSON in UTF-8 bytes. */
export const MAX_APP_DATA_BYTES = 16 * 1024;

/**
 * An app message's data as plain JSON: a fresh copy (no prototype, getter or shared object
 * of the sender's survives), or a TypeError naming the rule it breaks.
 */
export function appData(data: unknown): unknown {
  let json: string | undefined;
  try {
    json = JSON.stringify(data);
  } catch {
    throw new TypeError("Tab message data must be plain JSON (it could not be serialised).");
  }
  if (json === undefined) throw new TypeError("Tab message data must be plain JSON (not undefined or a function).");
  if (new TextEncoder().encode(json).length > MAX_APP_DATA_BYTES) {
    throw new TypeError(`Tab message data must stay under ${MAX_APP_DATA_BYTES} bytes as JSON.`);
  }
  return JSON.parse(json);
}

/** Is this a name an app message may have? */
export function isAppMessageName(name: unknown): name is string {
  return typeof name === "string" && appNamePattern.test(name);
}

/**
 * Reads a message received from another tab. Anything that is not exactly a version-1
 * signal or app message gives `null`; this never throws, whatever it is handed (SR-83:
 * malformed channel messages are ignored with no exception). The result is a fresh object
 * holding only the known fields, so extra properties a sender smuggled in never reach a
 * listener.
 */
export function parseTabMessage(raw: unknown): ChannelMessage | null {
  try {
    const value = typeof raw === "string" ? (JSON.parse(raw) as unknown) : raw;
    if (typeof value !== "object" || value === null || Array.isArray(value)) return null;
    const record = value as Record<string, unknown>;
    const { v, type, version, at, from } = record;
    if (v !== 1) return null;
    if (typeof at !== "number" || !Number.isFinite(at)) return null;
    if (typeof from !== "string" || !tabIdPattern.test(from)) return null;
    if (type === "message") {
      const { name } = record;
      if (!isAppMessageName(name) || !("data" in record)) return null;
      return { v: 1, type: "message", name, data: appData(record.data), at, from };
    }
    if (typeof type !== "string" || !signalSet.has(type)) return null;
    const message: TabMessage = { v: 1, type: type as TabSignal, at, from };
    if (version !== undefined) {
      if (typeof version !== "number" || !Number.isSafeInteger(version) || version < 0) return null;
      message.version = version;
    }
    return message;
  } catch {
    // A getter that throws, a revoked Proxy, JSON that does not parse, data that is not
    // plain JSON or too large: all just "not a message".
    return null;
  }
}

/**
 * Builds the exact object that goes on the wire, from the known fields only, so a caller
 * that hands `post` a richer object still cannot leak anything through the channel.
 */
export function toWire(message: ChannelMessage): ChannelMessage {
  if (message.type === "message") {
    return {
      v: 1,
      type: "message",
      name: message.name,
      data: appData(message.data),
      at: message.at,
      from: message.from,
    };
  }
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
