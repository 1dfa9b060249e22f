import type { SecretRing } from "./secrets.js";

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
  if (!ip) return null;
  const v4 = /^(?:::ffff:)?(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.\d{1,3}$/i.exec(ip);
  if (v4) return `${v4[1]}.${v4[2]}.${v4[3]}.0/24`;
  if (!ip.includes(":")) return null;
  const [head = "", tail = ""] = ip.split("::");
  const left = head ? head.split(":") : [];
  const right = tail ? tail.split(":") : [];
  const groups = ip.includes("::") ? [...left, ...Array(8 - left.length - right.length).fill("0"), ...right] : left;
  if (groups.length !== 8) return null;
  return `${groups
    .slice(0, 3)
    .map((group) => Number.parseInt(group || "0", 16).toString(16))
    .join(":")}::/48`;
}
