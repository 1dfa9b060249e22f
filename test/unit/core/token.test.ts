import { createHash } from "node:crypto";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  formatToken,
  generateToken,
  hashSecret,
  hmac,
  parseToken,
  safeEqual,
  verifySecret,
} from "../../../src/core/token.js";

const BASE64URL = /^[A-Za-z0-9_-]+$/;
const base64urlChar = fc.constantFrom(..."ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_");
const base64url = (length: number) =>
  fc.array(base64urlChar, { minLength: length, maxLength: length }).map((chars) => chars.join(""));

/** Strings that look like tokens, are almost tokens, or are anything at all. */
const tokenish = fc.oneof(
  fc.string(),
  fc.string({ unit: "binary" }),
  fc.string({ unit: "grapheme" }),
  fc.tuple(base64url(22), fc.constantFrom(".", "", "..", ":", "%2E"), base64url(43)).map((parts) => parts.join("")),
  fc.tuple(fc.string({ maxLength: 30 }), fc.string({ maxLength: 50 })).map(([id, secret]) => `${id}.${secret}`),
  fc.constantFrom("", " ", ".", "__proto__", `${"a".repeat(22)}.${"b".repeat(43)}=`, "%00", "\r\n"),
);

describe("generateToken", () => {
  it("issues an id of at least 96 bits and a secret of at least 128 bits, both base64url", () => {
    const token = generateToken();
    expect(token.id).toMatch(BASE64URL);
    expect(token.secret).toMatch(BASE64URL);
    expect(Buffer.from(token.id, "base64url").length * 8).toBeGreaterThanOrEqual(96);
    expect(Buffer.from(token.secret, "base64url").length * 8).toBeGreaterThanOrEqual(128);
  });

  it("never repeats an id or a secret over many draws", () => {
    const draws = 20_000;
    const ids = new Set<string>();
    const secrets = new Set<string>();
    for (let i = 0; i < draws; i++) {
      const token = generateToken();
      ids.add(token.id);
      secrets.add(token.secret);
    }
    expect(ids.size).toBe(draws);
    expect(secrets.size).toBe(draws);
  });

  it("formats a token that parses back to the same id and secret", () => {
    const token = generateToken();
    expect(parseToken(formatToken(token))).toEqual(token);
  });
});

describe("parseToken", () => {
  it("never throws, and gives null or a token that formats back to the input", () => {
    fc.assert(
      fc.property(tokenish, (value) => {
        const parsed = parseToken(value);
        if (parsed !== null) expect(formatToken(parsed)).toBe(value);
      }),
      { numRuns: 2_000 },
    );
  });

  it("accepts any id and secret of the issued lengths in base64url", () => {
    fc.assert(
      fc.property(base64url(22), base64url(43), (id, secret) => {
        expect(parseToken(`${id}.${secret}`)).toEqual({ id, secret });
      }),
    );
  });

  it("refuses values that are not strings", () => {
    for (const value of [undefined, null, 42, {}, ["a.b"], Buffer.from("x")]) {
      expect(parseToken(value)).toBeNull();
    }
  });

  it("refuses a missing separator, a shifted separator, extra parts and padding", () => {
    const id = "A".repeat(22);
    const secret = "B".repeat(43);
    expect(parseToken(`${id}${secret}`)).toBeNull();
    expect(parseToken(`${id}${secret}C`)).toBeNull();
    expect(parseToken(`${id.slice(1)}.${secret}B`)).toBeNull();
    expect(parseToken(`${id}.${secret.slice(1)}.`)).toBeNull();
    expect(parseToken(`${id}.${secret.slice(2)}==`)).toBeNull();
    expect(parseToken(`${id}.${secret}.`)).toBeNull();
  });

  it("refuses standard base64, spaces, escapes and non-ASCII in either part", () => {
    const id = "A".repeat(22);
    const secret = "B".repeat(43);
    for (const bad of ["+", "/", " ", "%", "é", "\u0000", "="]) {
      expect(parseToken(`${bad}${id.slice(1)}.${secret}`)).toBeNull();
      expect(parseToken(`${id}.${secret.slice(1)}${bad}`)).toBeNull();
    }
  });

  it("refuses injection-shaped and oversized values", () => {
    for (const value of ['{"$ne":null}', "' OR 1=1--", "__proto__", "*", "sess:*", "../../", "x".repeat(10_240)]) {
      expect(parseToken(value)).toBeNull();
    }
  });
});

describe("hashSecret", () => {
  it("is the base64url SHA-256 of the secret", () => {
    const secret = generateToken().secret;
    expect(hashSecret(secret)).toBe(createHash("sha256").update(secret).digest("base64url"));
    expect(hashSecret("abc")).toBe("ungWv48Bz-pBQUDeXa4iI7ADYaOWF3qctBD_YfIAFa0");
  });

  it("is 43 base64url characters and never contains the secret", () => {
    const secret = generateToken().secret;
    const hash = hashSecret(secret);
    expect(hash).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(hash).not.toBe(secret);
  });
});

describe("verifySecret", () => {
  it("is true for the secret whose hash is stored", () => {
    const { secret } = generateToken();
    expect(verifySecret(secret, hashSecret(secret))).toBe(true);
  });

  it("is false for another secret, a one-character change, the hash itself and an empty secret", () => {
    const { secret } = generateToken();
    const stored = hashSecret(secret);
    const flipped = `${secret.slice(0, -1)}${secret.endsWith("A") ? "B" : "A"}`;
    expect(verifySecret(generateToken().secret, stored)).toBe(false);
    expect(verifySecret(flipped, stored)).toBe(false);
    expect(verifySecret(stored, stored)).toBe(false);
    expect(verifySecret("", stored)).toBe(false);
  });

  it("is false, without throwing, against a stored hash of another length", () => {
    const { secret } = generateToken();
    expect(verifySecret(secret, "")).toBe(false);
    expect(verifySecret(secret, `${hashSecret(secret)}x`)).toBe(false);
  });
});

describe("safeEqual", () => {
  it("is true only for equal strings", () => {
    expect(safeEqual("abc", "abc")).toBe(true);
    expect(safeEqual("", "")).toBe(true);
    expect(safeEqual("abc", "abd")).toBe(false);
  });

  it("is false for strings of different lengths, in either order", () => {
    expect(safeEqual("abc", "abcd")).toBe(false);
    expect(safeEqual("abcd", "abc")).toBe(false);
    expect(safeEqual("", "a")).toBe(false);
  });

  it("compares UTF-8 bytes: composed and decomposed forms differ", () => {
    expect(safeEqual("é", "é")).toBe(true);
    expect(safeEqual("é", "e\u0301")).toBe(false);
  });

  it("agrees with === for any pair of strings", () => {
    fc.assert(
      fc.property(fc.string({ unit: "grapheme" }), fc.string({ unit: "grapheme" }), (a, b) => {
        expect(safeEqual(a, b)).toBe(a === b);
        expect(safeEqual(a, a)).toBe(true);
      }),
    );
  });
});

describe("hmac", () => {
  it("is the base64url HMAC-SHA256, different per key and per message", () => {
    const key = "k".repeat(32);
    expect(hmac(key, "m")).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(hmac(key, "m")).toBe(hmac(key, "m"));
    expect(hmac(key, "m")).not.toBe(hmac(key, "n"));
    expect(hmac(`${key}x`, "m")).not.toBe(hmac(key, "m"));
  });
});
