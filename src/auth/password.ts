import { randomBytes } from "node:crypto";
import type { Algorithm } from "@node-rs/argon2";
import { hash, verify } from "@node-rs/argon2";
import { compare as compareBcrypt } from "bcryptjs";

/**
 * `Algorithm` is an ambient const enum, which `isolatedModules` forbids reading at runtime;
 * 2 is its `Argon2id` member. We pass it explicitly rather than trust the library default,
 * so a change of default upstream can never silently weaken new hashes.
 */
const ARGON2ID = 2 as Algorithm;

/** Argon2id cost parameters. Memory is in KiB, as in the PHC string's `m=`. */
export interface PasswordHasherOptions {
  /** KiB of memory per hash. Default 19456 (19 MiB). */
  memoryCost?: number;
  /** Passes over memory. Default 2. */
  timeCost?: number;
  /** Lanes. Default 1. */
  parallelism?: number;
}

/**
 * Hashes and verifies passwords. Injected where tests or benchmarks need cheaper
 * parameters than production; every hash it makes is a self-describing PHC string
 * (`$argon2id$v=19$m=…,t=…,p=…$salt$hash`), so old hashes keep verifying after the
 * parameters change.
 */
export interface PasswordHasher {
  /** The PHC string for `password`, with a fresh random salt. */
  hash(password: string): Promise<string>;
  /**
   * Does `password` match `storedHash`? Takes this hasher's argon2id strings, any other argon2
   * PHC string, and bcrypt (`$2a$`, `$2b$`, `$2y$`: hashes of apps moving in). `false`, never
   * an exception, for a malformed hash.
   */
  verify(storedHash: string, password: string): Promise<boolean>;
  /**
   * Should this stored hash be replaced, at the next successful sign-in, by `hash(password)`?
   * True for bcrypt and other algorithms, and for argon2id with other parameters than this
   * hasher's. (Optional in hashers of your own.)
   */
  needsRehash?(storedHash: string): boolean;
  /**
   * Spends the same time as `verify` against a real hash, and is always `false`. Call it
   * when the username is unknown so that answer cannot be told from a wrong password.
   */
  verifyAgainstDummy(password: string): Promise<false>;
}

/**
 * OWASP Password Storage Cheat Sheet, "Argon2id": m=19456 (19 MiB), t=2, p=1 is the
 * first of its equivalent minimum configurations (ASVS 4.0.3 2.4.1: resistant to offline attack).
 */
export const DEFAULT_PASSWORD_HASHER_OPTIONS: Readonly<Required<PasswordHasherOptions>> = Object.freeze({
  memoryCost: 19_456,
  timeCost: 2,
  parallelism: 1,
});

/**
 * Builds a hasher with the given argon2id parameters (OWASP's minimum by default).
 * Parameters below the default are for tests and benchmarks only.
 *
 * @example
 * ```ts
 * // Fast enough for a unit test, never for production.
 * const hasher = createPasswordHasher({ memoryCost: 1024, timeCost: 1 });
 * const stored = await hasher.hash("correct horse battery staple");
 * await hasher.verify(stored, "correct horse battery staple"); // true
 * ```
 */
export function createPasswordHasher(options: PasswordHasherOptions = {}): PasswordHasher {
  const {
    memoryCost = DEFAULT_PASSWORD_HASHER_OPTIONS.memoryCost,
    timeCost = DEFAULT_PASSWORD_HASHER_OPTIONS.timeCost,
    parallelism = DEFAULT_PASSWORD_HASHER_OPTIONS.parallelism,
  } = options;
  requireInteger("parallelism", parallelism, 1, 255);
  // RFC 9106 §3.1: memory must be at least 8 KiB per lane.
  requireInteger("memoryCost", memoryCost, 8 * parallelism, 2 ** 32 - 1);
  requireInteger("timeCost", timeCost, 1, 2 ** 32 - 1);
  const argonOptions = { algorithm: ARGON2ID, memoryCost, timeCost, parallelism };

  // The dummy must cost what a real stored hash costs, so it uses these same parameters.
  // Computed on first use rather than at construction, so building a hasher is free.
  let dummyHash: Promise<string> | undefined;
  const getDummyHash = (): Promise<string> => {
    if (dummyHash === undefined) {
      const pending = hash(randomBytes(32).toString("base64url"), argonOptions);
      // A failed computation must not be cached forever; the next call tries again.
      pending.catch(() => {
        if (dummyHash === pending) dummyHash = undefined;
      });
      dummyHash = pending;
    }
    return dummyHash;
  };

  const current = `$argon2id$v=19$m=${memoryCost},t=${timeCost},p=${parallelism}$`;
  const hasher: PasswordHasher = {
    hash(password) {
      return hash(normalize(password), argonOptions);
    },
    async verify(storedHash, password) {
      try {
        // The legacy app hashed the password as typed: bcrypt gets it as is.
        if (isBcrypt(storedHash)) return await compareBcrypt(password, storedHash);
        // The PHC string carries its own parameters; argonOptions only matters for hashing.
        return await verify(storedHash, normalize(password));
      } catch {
        // A corrupt or foreign hash (truncated, empty, unknown) is a failed login, not a 500.
        return false;
      }
    },
    needsRehash(storedHash) {
      return typeof storedHash !== "string" || !storedHash.startsWith(current);
    },
    async verifyAgainstDummy(password) {
      await hasher.verify(await getDummyHash(), password);
      return false;
    },
  };
  return hasher;
}

/**
 * A bcrypt hash as PHP, Python's bcrypt and Node's bcrypt(js) write it: `$2a$`, `$2b$` or `$2y$`
 * (the same algorithm), two cost digits, then 22 + 31 characters of bcrypt's base64.
 */
const BCRYPT = /^\$2[aby]\$\d{2}\$[./A-Za-z0-9]{53}$/;

function isBcrypt(storedHash: string): boolean {
  return BCRYPT.test(storedHash);
}

/**
 * NIST SP 800-63B §5.1.1.2: apply NFKC (or NFKD) before hashing, so the same password typed
 * on two keyboards (precomposed "é" versus "e" + combining accent) gives the same hash.
 */
function normalize(password: string): string {
  return password.normalize("NFKC");
}

function requireInteger(name: string, value: number, min: number, max: number): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new RangeError(`${name} must be an integer from ${min} to ${max}; got ${String(value)}.`);
  }
}

let defaultHasher: PasswordHasher | undefined;

/** The process-wide hasher with OWASP's parameters, created on first use. */
export function defaultPasswordHasher(): PasswordHasher {
  defaultHasher ??= createPasswordHasher();
  return defaultHasher;
}

/**
 * Hashes a password with argon2id and OWASP's parameters (m=19456 KiB, t=2, p=1).
 *
 * @example
 * ```ts
 * const stored = await hashPassword("correct horse battery staple");
 * stored.startsWith("$argon2id$"); // true
 * ```
 */
export function hashPassword(password: string): Promise<string> {
  return defaultPasswordHasher().hash(password);
}

/**
 * Checks a password against a stored PHC hash (argon2) or a bcrypt hash (`$2a$`, `$2b$`,
 * `$2y$`). Resolves `false` for a wrong password and for a malformed or unknown stored hash;
 * never rejects because of the hash. `needsRehash` says when to replace the stored hash.
 *
 * @example
 * ```ts
 * if (!(await verifyPassword(user.passwordHash, password))) throw new InvalidCredentialsError();
 * ```
 */
export function verifyPassword(storedHash: string, password: string): Promise<boolean> {
  return defaultPasswordHasher().verify(storedHash, password);
}

/**
 * Whether a stored hash should be replaced by an argon2id hash with OWASP's parameters at the
 * next successful sign-in (a bcrypt hash of an app moving in, or older parameters).
 *
 * @example
 * ```ts
 * if ((await verifyPassword(user.passwordHash, password)) && needsRehash(user.passwordHash)) {
 *   await saveHash(user.id, await hashPassword(password));
 * }
 * ```
 */
export function needsRehash(storedHash: string): boolean {
  return defaultPasswordHasher().needsRehash?.(storedHash) ?? false;
}

/**
 * Verifies against a fixed dummy hash (computed once, lazily) and resolves `false`, so that
 * an unknown username costs the same time as a wrong password (OWASP Authentication Cheat
 * Sheet, "Authentication Responses"; ASVS 5.0 6.3.8).
 *
 * @example
 * ```ts
 * const user = await users.findByUsername(username);
 * if (user === null) {
 *   await verifyAgainstDummy(password);
 *   throw new InvalidCredentialsError();
 * }
 * ```
 */
export function verifyAgainstDummy(password: string): Promise<false> {
  return defaultPasswordHasher().verifyAgainstDummy(password);
}
