import type { SessionMeta, SessionRecord } from "../stores/store.js";
import type { EventBus } from "./events.js";
import type { SecretRing } from "./secrets.js";
import type { ClientContext } from "./session.js";

/**
 * Seed 001's session fingerprint. A session remembers a MAC of the User-Agent it was created
 * with; a different one later is suspicious. User agents change on every browser update, so
 * by default a mismatch is only reported (the `suspicious` event); binding (ending the
 * session) is an explicit option.
 */

const UA_PURPOSE = "stint-ua-v1";

export function userAgentFingerprint(secrets: SecretRing, userAgent: string | null): string {
  return secrets.sign(UA_PURPOSE, userAgent ?? "");
}

export function matchesUserAgent(secrets: SecretRing, userAgent: string | null, fingerprint: string): boolean {
  return secrets.verify(UA_PURPOSE, userAgent ?? "", fingerprint);
}

/**
 * The client's network: the /24 of an IPv4 address, the /48 of an IPv6 one. Mobile clients
 * move between networks, which is why comparing it is opt-in.
 */
export function networkPrefix(ip: string | null): string | null {
  // Client input (X-Forwarded-For behind a proxy): anything that is not an IP address is "no
  // network", never an exception or a made-up prefix (STYLE principle 5).
  if (!ip || !isIpAddress(ip)) return null;
  const v4 = /^(?:::ffff:)?(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.\d{1,3}$/i.exec(ip);
  if (v4) return `${v4[1]}.${v4[2]}.${v4[3]}.0/24`;
  const address = ip.split("%")[0] as string; // without an fe80::1%eth0 zone
  const [head = "", tail = ""] = address.split("::");
  const left = head ? head.split(":") : [];
  const right = tail ? tail.split(":") : [];
  // "::" stands for the missing groups; an embedded IPv4 tail counts as two groups.
  const missing = 8 - left.length - right.length - (address.includes(".") ? 1 : 0);
  const groups = [...left, ...Array(Math.max(0, missing)).fill("0"), ...right];
  return `${groups
    .slice(0, 3)
    .map((group) => Number.parseInt(group || "0", 16).toString(16))
    .join(":")}::/48`;
}

export interface FingerprintOptions {
  /** End the session when the User-Agent differs from the one it was created with. */
  bindUserAgent?: boolean;
  /** Also compare the client's network prefix (/24, /48): reported, never binding. */
  network?: boolean;
}

/** What a new session remembers of its client, and the check of later requests against it. */
export class FingerprintCheck {
  readonly #secrets: SecretRing;
  readonly #options: FingerprintOptions;
  readonly #events: EventBus;

  constructor(secrets: SecretRing, options: FingerprintOptions, events: EventBus) {
    this.#secrets = secrets;
    this.#options = options;
    this.#events = events;
  }

  /** Device facts for a new session: its User-Agent (truncated), address and UA fingerprint. */
  metaFor(client: ClientContext): SessionMeta {
    const userAgent = truncateUserAgent(client.userAgent);
    return { userAgent, ip: client.ip ?? null, fingerprint: userAgentFingerprint(this.#secrets, userAgent) };
  }

  /** False when the session must end (a bound User-Agent changed); reports what looks odd. */
  accepts(record: SessionRecord, client: ClientContext, now: number): boolean {
    const { fingerprint, ip, userAgent } = record.meta;
    const current = truncateUserAgent(client.userAgent);
    const report = (reason: "user_agent_changed" | "network_changed") =>
      this.#events.emit("suspicious", { sessionId: record.id, userId: record.userId, reason }, now);
    // The common case, the same browser, needs no MAC: compare with the stored User-Agent.
    if (fingerprint && current !== userAgent && !matchesUserAgent(this.#secrets, current, fingerprint)) {
      report("user_agent_changed");
      if (this.#options.bindUserAgent) return false;
    }
    if (this.#options.network && ip && networkPrefix(ip) !== networkPrefix(client.ip ?? null)) {
      report("network_changed");
    }
    return true;
  }
}

/** User agents are stored (device list) and fingerprinted at most 512 characters long. */
function truncateUserAgent(userAgent: string | null | undefined): string | null {
  return userAgent ? userAgent.slice(0, 512) : null;
}

const IPV4 = /^(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/;

/**
 * Is this an IPv4 or IPv6 address (an IPv6 zone such as `%eth0` allowed)? Pure, so the core
 * needs no node:net: edge runtimes (workerd) have none. IPv6 is checked by the WHATWG URL
 * parser, which every runtime has.
 */
export function isIpAddress(ip: string): boolean {
  if (IPV4.test(ip)) return true;
  const address = ip.split("%", 1)[0] as string;
  if (!address.includes(":") || !/^[0-9A-Fa-f:.]+$/.test(address)) return false;
  try {
    new URL(`http://[${address}]/`);
    return true;
  } catch {
    return false;
  }
}
