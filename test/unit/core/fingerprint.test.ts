import { isIP } from "node:net";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { isIpAddress, matchesUserAgent, networkPrefix, userAgentFingerprint } from "../../../src/core/fingerprint.js";
import { SecretRing } from "../../../src/core/secrets.js";

const OLD = "old-secret-0123456789abcdefghijklmnop";
const NEW = "new-secret-0123456789abcdefghijklmnop";
const ring = new SecretRing(NEW);
const FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0";
const CHROME = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36";

describe("user-agent fingerprint", () => {
  it("matches the same User-Agent only", () => {
    const fingerprint = userAgentFingerprint(ring, FIREFOX);
    expect(matchesUserAgent(ring, FIREFOX, fingerprint)).toBe(true);
    expect(matchesUserAgent(ring, CHROME, fingerprint)).toBe(false);
    expect(matchesUserAgent(ring, `${FIREFOX} `, fingerprint)).toBe(false);
    expect(matchesUserAgent(ring, null, fingerprint)).toBe(false);
  });

  it("is a MAC, not the User-Agent itself, and depends on the secret", () => {
    const fingerprint = userAgentFingerprint(ring, FIREFOX);
    expect(fingerprint).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(fingerprint).not.toContain("Mozilla");
    expect(userAgentFingerprint(new SecretRing(OLD), FIREFOX)).not.toBe(fingerprint);
  });

  it("treats a missing User-Agent like an empty one", () => {
    expect(matchesUserAgent(ring, "", userAgentFingerprint(ring, null))).toBe(true);
    expect(matchesUserAgent(ring, null, userAgentFingerprint(ring, ""))).toBe(true);
  });

  it("survives a secret rotation", () => {
    const fingerprint = userAgentFingerprint(new SecretRing(OLD), FIREFOX);
    expect(matchesUserAgent(new SecretRing([NEW, OLD]), FIREFOX, fingerprint)).toBe(true);
  });

  it("matches exactly when the two User-Agents are equal", () => {
    fc.assert(
      fc.property(fc.string({ unit: "grapheme" }), fc.string({ unit: "grapheme" }), (a, b) => {
        expect(matchesUserAgent(ring, b, userAgentFingerprint(ring, a))).toBe(a === b);
      }),
    );
  });
});

describe("networkPrefix", () => {
  it("is the /24 of an IPv4 address", () => {
    expect(networkPrefix("192.168.1.77")).toBe("192.168.1.0/24");
    expect(networkPrefix("10.0.0.1")).toBe("10.0.0.0/24");
  });

  it("is the /24 of an IPv4-mapped IPv6 address, in either case", () => {
    expect(networkPrefix("::ffff:10.1.2.3")).toBe("10.1.2.0/24");
    expect(networkPrefix("::FFFF:10.1.2.3")).toBe("10.1.2.0/24");
  });

  it("is the /48 of a full IPv6 address, without leading zeros", () => {
    expect(networkPrefix("2001:0db8:85a3:0000:0000:8a2e:0370:7334")).toBe("2001:db8:85a3::/48");
    expect(networkPrefix("2001:DB8:85A3:1:2:3:4:5")).toBe("2001:db8:85a3::/48");
  });

  it("is the /48 of a compressed IPv6 address", () => {
    expect(networkPrefix("2001:db8::1")).toBe("2001:db8:0::/48");
    expect(networkPrefix("2001:db8:85a3::8a2e:370:7334")).toBe("2001:db8:85a3::/48");
    expect(networkPrefix("::1")).toBe("0:0:0::/48");
    expect(networkPrefix("::")).toBe("0:0:0::/48");
    expect(networkPrefix("fe80::1%eth0")).toBe("fe80:0:0::/48");
  });

  it("is the /48 of an IPv6 address with an embedded IPv4 tail", () => {
    expect(networkPrefix("64:ff9b::192.0.2.1")).toBe("64:ff9b:0::/48");
    expect(networkPrefix("2001:db8:1:2:3:4:192.0.2.1")).toBe("2001:db8:1::/48");
  });

  it("is the same for two addresses of one network and differs across networks", () => {
    expect(networkPrefix("203.0.113.5")).toBe(networkPrefix("203.0.113.250"));
    expect(networkPrefix("203.0.113.5")).not.toBe(networkPrefix("203.0.114.5"));
    expect(networkPrefix("2001:db8:1:2::1")).toBe(networkPrefix("2001:db8:1:ffff::2"));
    expect(networkPrefix("2001:db8:1::1")).not.toBe(networkPrefix("2001:db8:2::1"));
  });

  it("is null for a missing address and for garbage", () => {
    for (const ip of [null, "", "abc", "localhost", "1.2.3", "1.2.3.4.5", "1:2:3", "hello:world", ":::"]) {
      expect(networkPrefix(ip)).toBeNull();
    }
  });

  it("is null for addresses that only look like IP addresses", () => {
    for (const ip of ["999.1.1.1", "g::", "1::2::3", "2001:db8::zzzz", "12345::1", "1:2:3:4:5:6:7:8:9"]) {
      expect(networkPrefix(ip)).toBeNull();
    }
  });

  it("is null, not an exception, for too many IPv6 groups around ::", () => {
    expect(networkPrefix("1:2:3:4:5:6:7:8:9::")).toBeNull();
    expect(networkPrefix("1:2:3:4::5:6:7:8:9")).toBeNull();
  });

  it("never throws and gives null or a /24 or /48 prefix for any input", () => {
    const ipish = fc.oneof(
      fc.string(),
      fc.string({ unit: fc.constantFrom(..."0123456789abcdefABCDEFg:.%"), maxLength: 50 }),
      fc.ipV4(),
      fc.ipV6(),
    );
    fc.assert(
      fc.property(ipish, (ip) => {
        const prefix = networkPrefix(ip);
        if (prefix !== null)
          expect(prefix).toMatch(/^(?:\d+\.\d+\.\d+\.0\/24|[0-9a-f]{1,4}:[0-9a-f]{1,4}:[0-9a-f]{1,4}::\/48)$/);
      }),
      { numRuns: 2_000 },
    );
  });

  it("gives a prefix for every valid address", () => {
    fc.assert(
      fc.property(fc.oneof(fc.ipV4(), fc.ipV6()), (ip) => {
        expect(networkPrefix(ip)).not.toBeNull();
      }),
    );
  });
});

describe("isIpAddress", () => {
  it("agrees with node:net's isIP, without needing node:net (edge runtimes have none)", () => {
    const inputs = [
      "127.0.0.1",
      "0.0.0.0",
      "255.255.255.255",
      "256.1.1.1",
      "1.2.3",
      "1.2.3.4.5",
      "01.2.3.4",
      "1.2.3.4 ",
      "::1",
      "::",
      "fe80::1",
      "fe80::1%eth0",
      "2001:db8::8a2e:370:7334",
      "::ffff:192.0.2.1",
      "1::2::3",
      "2001:db8:0:0:0:0:2:1",
      "2001:db8:0:0:0:0:0:2:1",
      "12345::",
      "g::1",
      "[::1]",
      "",
      "localhost",
      "1.2.3.4%eth0",
      ":::",
      "::ffff:999.0.0.1",
      "1:2:3:4:5:6:7:8",
    ];
    for (const input of inputs) expect([input, isIpAddress(input)]).toEqual([input, isIP(input) !== 0]);
  });
});
