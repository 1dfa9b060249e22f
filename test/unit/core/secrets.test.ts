import { describe, expect, it } from "vitest";
import { SecretRing } from "../../../src/core/secrets.js";

const OLD = "old-secret-0123456789abcdefghijklmnop";
const NEW = "new-secret-0123456789abcdefghijklmnop";
const OTHER = "other-secret-0123456789abcdefghijklmn";

describe("SecretRing construction", () => {
  it("accepts one secret of at least 32 characters", () => {
    expect(new SecretRing("s".repeat(32)).size).toBe(1);
  });

  it("refuses a secret shorter than 32 characters, naming the rule", () => {
    expect(() => new SecretRing("s".repeat(31))).toThrow(/at least 32 characters/);
    expect(() => new SecretRing([NEW, "short"])).toThrow(/at least 32 characters/);
  });

  it("refuses an empty string, an empty list and a list of blanks", () => {
    expect(() => new SecretRing("")).toThrow(/At least one secret/);
    expect(() => new SecretRing([])).toThrow(/At least one secret/);
    expect(() => new SecretRing(" , ,")).toThrow(/At least one secret/);
    expect(() => new SecretRing(["", "  "])).toThrow(/At least one secret/);
  });

  it("splits a comma-separated string, trimming spaces and dropping empty entries", () => {
    const ring = new SecretRing(` ${NEW} ,, ${OLD} ,`);
    expect(ring.size).toBe(2);
    expect(ring.sign("p", "m")).toBe(new SecretRing(NEW).sign("p", "m"));
    expect(ring.verify("p", "m", new SecretRing(OLD).sign("p", "m"))).toBe(true);
  });

  it("does not split an array entry on commas", () => {
    const withComma = `${"a".repeat(16)},${"b".repeat(16)}`;
    expect(new SecretRing([withComma]).size).toBe(1);
    expect(() => new SecretRing(withComma)).toThrow(/at least 32 characters/);
  });
});

describe("SecretRing sign and verify", () => {
  it("verifies its own MAC and refuses a changed purpose, message or MAC", () => {
    const ring = new SecretRing(NEW);
    const mac = ring.sign("purpose", "message");
    expect(ring.verify("purpose", "message", mac)).toBe(true);
    expect(ring.verify("other", "message", mac)).toBe(false);
    expect(ring.verify("purpose", "message2", mac)).toBe(false);
    expect(ring.verify("purpose", "message", `${mac.slice(0, -1)}${mac.endsWith("A") ? "B" : "A"}`)).toBe(false);
    expect(ring.verify("purpose", "message", "")).toBe(false);
  });

  it("separates purpose from message, so their boundary cannot be shifted", () => {
    const ring = new SecretRing(NEW);
    expect(ring.verify("ab", "c", ring.sign("a", "bc"))).toBe(false);
  });

  it("refuses a MAC made under a secret that is not in the ring", () => {
    expect(new SecretRing(NEW).verify("p", "m", new SecretRing(OTHER).sign("p", "m"))).toBe(false);
  });

  it("signs with the first secret only", () => {
    const ring = new SecretRing([NEW, OLD]);
    expect(ring.sign("p", "m")).toBe(new SecretRing(NEW).sign("p", "m"));
    expect(ring.sign("p", "m")).not.toBe(new SecretRing(OLD).sign("p", "m"));
  });

  it("keeps verifying a MAC of the old secret once the ring is [new, old], and stops when old is dropped", () => {
    const mac = new SecretRing(OLD).sign("p", "m");
    expect(new SecretRing([NEW, OLD]).verify("p", "m", mac)).toBe(true);
    expect(new SecretRing(`${NEW},${OLD}`).verify("p", "m", mac)).toBe(true);
    expect(new SecretRing([NEW]).verify("p", "m", mac)).toBe(false);
  });
});
