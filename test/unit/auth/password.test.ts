import * as argon2 from "@node-rs/argon2";
import { hashSync as bcryptHash } from "bcryptjs";
import fc from "fast-check";
import { beforeEach, describe, expect, it, vi } from "vitest";
import {
  createPasswordHasher,
  DEFAULT_PASSWORD_HASHER_OPTIONS,
  hashPassword,
  needsRehash,
  verifyAgainstDummy,
  verifyPassword,
} from "../../../src/auth/password.js";

// Wraps the real `hash` in a spy so the tests can count how often the dummy is computed.
vi.mock("@node-rs/argon2", async (importOriginal) => {
  const real = await importOriginal<typeof import("@node-rs/argon2")>();
  return { ...real, hash: vi.fn(real.hash) };
});

const cheap = () => createPasswordHasher({ memoryCost: 1024, timeCost: 1 });

const MALFORMED = [
  "",
  "not a hash",
  "$argon2id$",
  "$argon2id$v=19$m=19456,t=2,p=1$",
  "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$",
  "$argon2id$v=19$m=19456,t=2,p=1$!!!!$@@@@",
  "$argon2id$v=19$m=abc,t=2,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaA",
  "$2b$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy",
  "$argon2id$v=19$m=1024,t=1,p=1$c2FsdHNhbHRzYWx0c2FsdA",
  "\u0000\u0000\u0000",
];

describe("the default hasher (OWASP parameters)", () => {
  it("hashes with argon2id, m=19456 KiB, t=2, p=1, and round-trips", async () => {
    const stored = await hashPassword("correct horse battery staple");
    expect(stored.startsWith("$argon2id$v=19$m=19456,t=2,p=1$")).toBe(true);
    expect(stored).not.toContain("correct horse");
    expect(await verifyPassword(stored, "correct horse battery staple")).toBe(true);
    expect(await verifyPassword(stored, "correct horse battery stapler")).toBe(false);
    expect(await verifyAgainstDummy("correct horse battery staple")).toBe(false);
  });

  it("exposes the parameters it uses", () => {
    expect(DEFAULT_PASSWORD_HASHER_OPTIONS).toEqual({ memoryCost: 19_456, timeCost: 2, parallelism: 1 });
  });
});

describe("createPasswordHasher", () => {
  it("uses the injected parameters, still argon2id", async () => {
    const stored = await cheap().hash("hunter2hunter2");
    expect(stored.startsWith("$argon2id$v=19$m=1024,t=1,p=1$")).toBe(true);
  });

  it("salts every hash", async () => {
    const hasher = cheap();
    const [a, b] = await Promise.all([hasher.hash("same password"), hasher.hash("same password")]);
    expect(a).not.toBe(b);
    expect(await hasher.verify(a, "same password")).toBe(true);
    expect(await hasher.verify(b, "same password")).toBe(true);
  });

  it("verifies hashes made with other parameters (the PHC string carries them)", async () => {
    const stored = await createPasswordHasher({ memoryCost: 2048, timeCost: 2 }).hash("old password!");
    expect(await cheap().verify(stored, "old password!")).toBe(true);
  });

  it("treats the same password in NFC and NFD as equal", async () => {
    const hasher = cheap();
    const composed = "caf\u00e9 au lait";
    const decomposed = "cafe\u0301 au lait";
    const stored = await hasher.hash(composed);
    expect(await hasher.verify(stored, decomposed)).toBe(true);
  });

  it("refuses parameters argon2 cannot use, naming the rule", () => {
    expect(() => createPasswordHasher({ memoryCost: 4 })).toThrow(/memoryCost must be an integer from 8/);
    expect(() => createPasswordHasher({ timeCost: 0 })).toThrow(/timeCost must be an integer from 1/);
    expect(() => createPasswordHasher({ timeCost: 1.5 })).toThrow(/timeCost/);
    expect(() => createPasswordHasher({ parallelism: 0 })).toThrow(/parallelism must be an integer from 1 to 255/);
    expect(() => createPasswordHasher({ parallelism: 4, memoryCost: 16 })).toThrow(
      /memoryCost must be an integer from 32/,
    );
  });
});

describe("verify with a malformed stored hash", () => {
  it.each(MALFORMED)("resolves false, never throws: %j", async (stored) => {
    await expect(cheap().verify(stored, "whatever password")).resolves.toBe(false);
    await expect(verifyPassword(stored, "whatever password")).resolves.toBe(false);
  });

  it("resolves false for arbitrary strings", async () => {
    const hasher = cheap();
    await fc.assert(
      fc.asyncProperty(fc.string(), fc.string(), async (stored, password) => {
        expect(await hasher.verify(stored, password)).toBe(false);
      }),
      { numRuns: 200 },
    );
  });
});

describe("verifyAgainstDummy", () => {
  const hashSpy = vi.mocked(argon2.hash);
  beforeEach(() => {
    hashSpy.mockClear();
  });

  it("computes the dummy hash lazily, once, even under concurrent calls", async () => {
    const hasher = cheap();
    expect(hashSpy).not.toHaveBeenCalled();
    const results = await Promise.all([1, 2, 3, 4].map(() => hasher.verifyAgainstDummy("some password")));
    expect(results).toEqual([false, false, false, false]);
    expect(await hasher.verifyAgainstDummy("another one")).toBe(false);
    expect(hashSpy).toHaveBeenCalledTimes(1);
  });

  it("uses the hasher's own parameters, so it costs what a stored hash costs", async () => {
    await cheap().verifyAgainstDummy("some password");
    expect(hashSpy.mock.calls[0]?.[1]).toMatchObject({ algorithm: 2, memoryCost: 1024, timeCost: 1, parallelism: 1 });
  });

  it("retries the dummy after a failed computation instead of caching the failure", async () => {
    hashSpy.mockRejectedValueOnce(new Error("out of memory"));
    const hasher = cheap();
    await expect(hasher.verifyAgainstDummy("x")).rejects.toThrow("out of memory");
    await expect(hasher.verifyAgainstDummy("x")).resolves.toBe(false);
    expect(hashSpy).toHaveBeenCalledTimes(2);
  });
});

describe("bcrypt hashes of apps moving in", () => {
  // Cost 4, the least bcrypt allows: the tests check the algorithm, not its cost.
  const legacy = bcryptHash("hunter2 but longer", 4);

  it.each(["$2a$", "$2b$", "$2y$"])(
    "verifies %s hashes with the password as typed, and refuses a wrong one",
    async (prefix) => {
      const stored = prefix + legacy.slice(4);
      await expect(cheap().verify(stored, "hunter2 but longer")).resolves.toBe(true);
      await expect(verifyPassword(stored, "hunter2 but longer")).resolves.toBe(true);
      await expect(cheap().verify(stored, "hunter3 but longer")).resolves.toBe(false);
      await expect(cheap().verify(`${stored.slice(0, -1)}!`, "hunter2 but longer")).resolves.toBe(false);
    },
  );

  it("says a hash needs replacing unless it is argon2id with this hasher's parameters", async () => {
    const hasher = cheap();
    expect(hasher.needsRehash?.(await hasher.hash("a password"))).toBe(false);
    expect(hasher.needsRehash?.(legacy)).toBe(true);
    expect(hasher.needsRehash?.(await createPasswordHasher({ memoryCost: 2048, timeCost: 1 }).hash("x"))).toBe(true);
    expect(hasher.needsRehash?.(await argon2.hash("x", { algorithm: 1 as argon2.Algorithm }))).toBe(true);
    expect(needsRehash(legacy)).toBe(true);
    expect(needsRehash("")).toBe(true);
  });
});
