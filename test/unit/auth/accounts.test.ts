import { hashSync as bcryptHash } from "bcryptjs";
import { describe, expect, it, vi } from "vitest";
import type { AccountsOptions } from "../../../src/auth/accounts.js";
import { createAccounts } from "../../../src/auth/accounts.js";
import type { PasswordHasher } from "../../../src/auth/password.js";
import { createPasswordHasher } from "../../../src/auth/password.js";
import type { UserStore } from "../../../src/auth/users.js";
import { memoryUserStore } from "../../../src/auth/users.js";
import type { Clock } from "../../../src/core/clock.js";
import {
  BadRequestError,
  InvalidCredentialsError,
  RateLimitedError,
  StoreUnavailableError,
  UsernameTakenError,
} from "../../../src/core/errors.js";

const MINUTE = 60_000;
const PASSWORD = "correct horse battery staple";
const IP = "203.0.113.7";

/** Cheap argon2id parameters, wrapped in spies so tests can see which path ran. */
function spyHasher() {
  const inner = createPasswordHasher({ memoryCost: 1024, timeCost: 1 });
  return {
    hash: vi.fn((password: string) => inner.hash(password)),
    verify: vi.fn((stored: string, password: string) => inner.verify(stored, password)),
    verifyAgainstDummy: vi.fn((password: string) => inner.verifyAgainstDummy(password)),
  } satisfies PasswordHasher;
}

function setup(options: Partial<AccountsOptions> = {}) {
  let now = Date.UTC(2025, 0, 1);
  const clock: Clock = { now: () => now };
  const users = options.users ?? memoryUserStore({ clock });
  const hasher = spyHasher();
  const accounts = createAccounts({ users, hasher, clock, ...options });
  return {
    accounts,
    users,
    hasher,
    advance: (ms: number) => {
      now += ms;
    },
  };
}

/** Settles a promise into the error it rejected with (or fails the test). */
async function errorOf(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error("expected a rejection");
}

async function failTimes(
  accounts: ReturnType<typeof setup>["accounts"],
  times: number,
  input: { username?: string; ip?: string | null } = {},
) {
  for (let i = 0; i < times; i += 1) {
    const error = await errorOf(
      accounts.authenticate({ username: input.username ?? "alice", password: "wrong password", ip: input.ip ?? IP }),
    );
    expect(error).toBeInstanceOf(InvalidCredentialsError);
  }
}

describe("register", () => {
  it("creates a user whose stored hash is argon2id, never the password", async () => {
    const { accounts, users } = setup();
    const alice = await accounts.register({ username: "alice", password: PASSWORD });
    expect(alice.id).toMatch(/^u_/);
    expect(alice.username).toBe("alice");
    expect(alice.passwordHash.startsWith("$argon2id$")).toBe(true);
    expect(alice.passwordHash).not.toContain(PASSWORD);
    expect(await users.findById(alice.id)).toEqual(alice);
  });

  it("answers username_taken for an existing name in any letter case", async () => {
    const { accounts, users } = setup();
    await accounts.register({ username: "Alice", password: PASSWORD });
    for (const username of ["Alice", "alice", "ALICE"]) {
      const error = await errorOf(accounts.register({ username, password: "another password" }));
      expect(error).toBeInstanceOf(UsernameTakenError);
      expect(error).toMatchObject({ code: "username_taken", status: 409 });
    }
    expect(await users.count()).toBe(1);
  });

  it("lets only one of two concurrent registrations of a name through", async () => {
    const { accounts, users } = setup();
    const results = await Promise.allSettled([
      accounts.register({ username: "alice", password: PASSWORD }),
      accounts.register({ username: "ALICE", password: PASSWORD }),
    ]);
    expect(results.filter((result) => result.status === "fulfilled")).toHaveLength(1);
    const rejected = results.find((result) => result.status === "rejected");
    expect(rejected?.reason).toBeInstanceOf(UsernameTakenError);
    expect(await users.count()).toBe(1);
  });

  it.each([
    ["3 characters", "abc"],
    ["64 characters", "a".repeat(64)],
    ["every allowed symbol", "A-z_0.9"],
  ])("accepts a username of %s", async (_, username) => {
    const { accounts } = setup();
    await expect(accounts.register({ username, password: PASSWORD })).resolves.toMatchObject({ username });
  });

  it.each([
    ["too short", "ab"],
    ["too long", "a".repeat(65)],
    ["empty", ""],
    ["with a space", "al ice"],
    ["with a symbol", "alice!"],
    ["with a non-ASCII letter", "ålice"],
    ["with a slash", "../etc"],
  ])("refuses a username %s, naming the rule", async (_, username) => {
    const { accounts, users } = setup();
    const error = await errorOf(accounts.register({ username, password: PASSWORD }));
    expect(error).toBeInstanceOf(BadRequestError);
    expect(error).toMatchObject({ code: "bad_request", status: 400 });
    expect(error.message).toMatch(/username must be 3–64 characters/);
    expect(await users.count()).toBe(0);
  });

  it.each([
    ["8 characters", "a".repeat(8)],
    ["256 characters", "a".repeat(256)],
    ["8 emoji (16 UTF-16 units)", "🔑".repeat(8)],
    ["256 emoji (512 UTF-16 units)", "🔑".repeat(256)],
  ])("accepts a password of %s", async (_, password) => {
    const { accounts } = setup();
    const alice = await accounts.register({ username: "alice", password });
    await expect(accounts.authenticate({ username: "alice", password, ip: IP })).resolves.toEqual(alice);
  });

  it.each([
    ["7 characters", "s3cret!"],
    ["257 characters", "p".repeat(257)],
    ["4 emoji (8 UTF-16 units, 4 characters)", "🔑".repeat(4)],
    ["empty", ""],
  ])("refuses a password of %s without echoing it", async (_, password) => {
    const { accounts, hasher } = setup();
    const error = await errorOf(accounts.register({ username: "alice", password }));
    expect(error).toBeInstanceOf(BadRequestError);
    expect(error.message).toBe("password must be 8–256 characters.");
    expect(hasher.hash).not.toHaveBeenCalled();
  });

  it("refuses a password that is not valid Unicode (a lone surrogate)", async () => {
    const { accounts } = setup();
    const error = await errorOf(accounts.register({ username: "alice", password: "abcdefgh\ud800" }));
    expect(error).toBeInstanceOf(BadRequestError);
    expect(error.message).toMatch(/valid Unicode/);
  });

  it("refuses fields that are not strings", async () => {
    const { accounts } = setup();
    const inputs = [
      { username: 42, password: PASSWORD },
      { username: "alice", password: null },
      { username: ["alice"], password: PASSWORD },
      {},
    ];
    for (const input of inputs) {
      const error = await errorOf(accounts.register(input as unknown as { username: string; password: string }));
      expect(error).toBeInstanceOf(BadRequestError);
      expect(error.message).toBe("username and password must be strings.");
    }
  });

  it("counts taken-name registrations against the address, then refuses it", async () => {
    const { accounts } = setup({ limits: { addressFailures: { limit: 2, windowMs: 15 * MINUTE } } });
    await accounts.register({ username: "alice", password: PASSWORD, ip: IP });
    for (let i = 0; i < 2; i += 1) {
      expect(await errorOf(accounts.register({ username: "alice", password: PASSWORD, ip: IP }))).toBeInstanceOf(
        UsernameTakenError,
      );
    }
    const error = await errorOf(accounts.register({ username: "bob", password: PASSWORD, ip: IP }));
    expect(error).toBeInstanceOf(RateLimitedError);
    await expect(accounts.register({ username: "bob", password: PASSWORD, ip: "198.51.100.1" })).resolves.toBeTruthy();
  });

  it("never counts successful registrations against the address", async () => {
    const { accounts, users } = setup({ limits: { addressFailures: { limit: 2, windowMs: 15 * MINUTE } } });
    for (let i = 0; i < 5; i += 1) {
      await accounts.register({ username: `user${i}`, password: PASSWORD, ip: IP });
    }
    expect(await users.count()).toBe(5);
  });
});

describe("authenticate", () => {
  it("returns the user for the right password, whatever the case of the name", async () => {
    const { accounts } = setup();
    const alice = await accounts.register({ username: "Alice", password: PASSWORD });
    await expect(accounts.authenticate({ username: "Alice", password: PASSWORD, ip: IP })).resolves.toEqual(alice);
    await expect(accounts.authenticate({ username: "aLICE", password: PASSWORD, ip: IP })).resolves.toEqual(alice);
  });

  it("answers an unknown user and a wrong password identically, after one argon2 verification each", async () => {
    const { accounts, hasher } = setup();
    await accounts.register({ username: "alice", password: PASSWORD });

    const wrongPassword = await errorOf(accounts.authenticate({ username: "alice", password: "not it!!", ip: IP }));
    expect(hasher.verify).toHaveBeenCalledTimes(1);
    expect(hasher.verifyAgainstDummy).not.toHaveBeenCalled();

    const unknownUser = await errorOf(accounts.authenticate({ username: "mallory", password: "not it!!", ip: IP }));
    expect(hasher.verifyAgainstDummy).toHaveBeenCalledTimes(1);

    expect(unknownUser).toBeInstanceOf(InvalidCredentialsError);
    expect(unknownUser.constructor).toBe(wrongPassword.constructor);
    expect(unknownUser.message).toBe(wrongPassword.message);
    expect({ ...unknownUser }).toEqual({ ...wrongPassword });
    expect(unknownUser).toMatchObject({ code: "invalid_credentials", status: 401 });
  });

  it("answers a too-short password as a wrong guess, not a 400 (it could never match)", async () => {
    const { accounts } = setup();
    await accounts.register({ username: "alice", password: PASSWORD });
    expect(await errorOf(accounts.authenticate({ username: "alice", password: "short", ip: IP }))).toBeInstanceOf(
      InvalidCredentialsError,
    );
    expect(await errorOf(accounts.authenticate({ username: "a b", password: "short", ip: IP }))).toBeInstanceOf(
      InvalidCredentialsError,
    );
  });

  it("refuses oversized or non-string input with 400 before hashing anything", async () => {
    const { accounts, hasher } = setup();
    const inputs = [
      { username: "a".repeat(65), password: PASSWORD, ip: IP },
      { username: "alice", password: "p".repeat(257), ip: IP },
      { username: "alice", password: 12345678, ip: IP },
    ];
    for (const input of inputs) {
      const error = await errorOf(
        accounts.authenticate(input as unknown as { username: string; password: string; ip: string }),
      );
      expect(error).toBeInstanceOf(BadRequestError);
      expect(error.message).not.toContain("p".repeat(20));
    }
    expect(hasher.verify).not.toHaveBeenCalled();
    expect(hasher.verifyAgainstDummy).not.toHaveBeenCalled();
  });

  it("refuses the 6th attempt within 15 minutes even with the right password, until the window passes", async () => {
    const { accounts, hasher, advance } = setup(); // API.md's default limits
    const alice = await accounts.register({ username: "alice", password: PASSWORD });
    await failTimes(accounts, 5);
    hasher.verify.mockClear();

    const error = await errorOf(accounts.authenticate({ username: "alice", password: PASSWORD, ip: IP }));
    expect(error).toBeInstanceOf(RateLimitedError);
    expect(error).toMatchObject({ code: "rate_limited", status: 429, retryAfterSeconds: 900 });
    expect(hasher.verify).not.toHaveBeenCalled(); // refused before the password is looked at

    advance(10 * MINUTE);
    expect(await errorOf(accounts.authenticate({ username: "alice", password: PASSWORD, ip: IP }))).toMatchObject({
      retryAfterSeconds: 300,
    });
    advance(5 * MINUTE);
    await expect(accounts.authenticate({ username: "alice", password: PASSWORD, ip: IP })).resolves.toEqual(alice);
  });

  it("limits the username wherever the guesses come from", async () => {
    const { accounts } = setup();
    await accounts.register({ username: "alice", password: PASSWORD });
    for (let i = 0; i < 5; i += 1) await failTimes(accounts, 1, { ip: `198.51.100.${i}` });
    const error = await errorOf(accounts.authenticate({ username: "alice", password: PASSWORD, ip: "192.0.2.1" }));
    expect(error).toBeInstanceOf(RateLimitedError);
  });

  it("gives case variants of a name one shared budget", async () => {
    const { accounts } = setup();
    await accounts.register({ username: "alice", password: PASSWORD });
    for (const username of ["alice", "Alice", "ALICE", "aLiCe", "alicE"]) await failTimes(accounts, 1, { username });
    const error = await errorOf(accounts.authenticate({ username: "ALIce", password: PASSWORD, ip: IP }));
    expect(error).toBeInstanceOf(RateLimitedError);
  });

  it("limits unknown usernames the same way, so a 429 does not reveal whether an account exists", async () => {
    const { accounts } = setup();
    await failTimes(accounts, 5, { username: "nobody" });
    const error = await errorOf(accounts.authenticate({ username: "nobody", password: PASSWORD, ip: IP }));
    expect(error).toBeInstanceOf(RateLimitedError);
    expect(error).toMatchObject({ retryAfterSeconds: 900 });
  });

  it("clears the username's failures on success", async () => {
    const { accounts } = setup();
    await accounts.register({ username: "alice", password: PASSWORD });
    await failTimes(accounts, 4);
    await accounts.authenticate({ username: "alice", password: PASSWORD, ip: IP });
    await failTimes(accounts, 5); // a fresh budget of five
    expect(await errorOf(accounts.authenticate({ username: "alice", password: PASSWORD, ip: IP }))).toBeInstanceOf(
      RateLimitedError,
    );
  });

  it("refuses an address after 100 failed logins in 15 minutes (the default), across usernames", async () => {
    const { accounts, advance } = setup();
    await accounts.register({ username: "alice", password: PASSWORD });
    for (let i = 0; i < 100; i += 1) await failTimes(accounts, 1, { username: `guess${i % 25}` });
    advance(MINUTE);

    const error = await errorOf(accounts.authenticate({ username: "alice", password: PASSWORD, ip: IP }));
    expect(error).toBeInstanceOf(RateLimitedError);
    expect(error).toMatchObject({ retryAfterSeconds: 840 });
    // Another address is unaffected; no address at all skips the address limit.
    await expect(
      accounts.authenticate({ username: "alice", password: PASSWORD, ip: "198.51.100.1" }),
    ).resolves.toBeTruthy();
    await expect(accounts.authenticate({ username: "alice", password: PASSWORD, ip: null })).resolves.toBeTruthy();
  });

  it("never counts successful sign-ins against the address, nor lets them clear its failures", async () => {
    const { accounts } = setup({ limits: { addressFailures: { limit: 3, windowMs: 15 * MINUTE } } });
    await accounts.register({ username: "alice", password: PASSWORD });
    for (let i = 0; i < 20; i += 1) await accounts.authenticate({ username: "alice", password: PASSWORD, ip: IP });

    await failTimes(accounts, 2, { username: "bob" });
    await accounts.authenticate({ username: "alice", password: PASSWORD, ip: IP });
    await failTimes(accounts, 1, { username: "carol" });
    const error = await errorOf(accounts.authenticate({ username: "alice", password: PASSWORD, ip: IP }));
    expect(error).toBeInstanceOf(RateLimitedError);
  });

  it("answers with the longer wait when both the username and the address are over", async () => {
    const { accounts, advance } = setup({ limits: { addressFailures: { limit: 6, windowMs: 15 * MINUTE } } });
    await failTimes(accounts, 1, { username: "bob" });
    advance(5 * MINUTE);
    await failTimes(accounts, 5, { username: "alice" });
    const error = await errorOf(accounts.authenticate({ username: "alice", password: PASSWORD, ip: IP }));
    expect(error).toMatchObject({ retryAfterSeconds: 900 }); // alice's window, not the address's 600
  });

  it("does not let concurrent guesses slip past the limit while argon2 is busy", async () => {
    const { accounts } = setup();
    await accounts.register({ username: "alice", password: PASSWORD });
    const results = await Promise.allSettled(
      Array.from({ length: 20 }, (_, i) =>
        accounts.authenticate({ username: "alice", password: `wrong guess ${i}`, ip: IP }),
      ),
    );
    const reasons = results.map((result) => (result.status === "rejected" ? result.reason : result.value));
    expect(reasons.filter((reason) => reason instanceof InvalidCredentialsError)).toHaveLength(5);
    expect(reasons.filter((reason) => reason instanceof RateLimitedError)).toHaveLength(15);
  });

  it("lets any number of concurrent correct sign-ins through, past both limits: only failures count", async () => {
    const { accounts } = setup({ limits: { addressFailures: { limit: 3, windowMs: 15 * MINUTE } } });
    await accounts.register({ username: "alice", password: PASSWORD });
    await accounts.register({ username: "bob", password: PASSWORD });
    // Twenty people behind one address, and one person on eight devices, all at once.
    const crowd = await Promise.allSettled(
      Array.from({ length: 20 }, (_, i) =>
        accounts.authenticate({ username: i < 8 ? "alice" : "bob", password: PASSWORD, ip: IP }),
      ),
    );
    expect(crowd.map((result) => result.status)).toEqual(Array(20).fill("fulfilled"));
    // The failures still count, and then refuse, while right guesses race them.
    const mixed = await Promise.allSettled(
      Array.from({ length: 12 }, (_, i) =>
        accounts.authenticate({ username: "alice", password: i % 2 ? PASSWORD : `wrong ${i}`, ip: IP }),
      ),
    );
    const failures = mixed.filter(
      (result) => result.status === "rejected" && result.reason instanceof InvalidCredentialsError,
    );
    expect(failures.length).toBeLessThanOrEqual(3);
    expect(mixed.every((result) => result.status === "fulfilled" || !(result.reason instanceof TypeError))).toBe(true);
  });

  it("counts nothing when the user store fails: an outage is not a guess", async () => {
    const healthy = memoryUserStore();
    let down = true;
    const flaky: UserStore = {
      ...healthy,
      findByUsername: (username) =>
        down ? Promise.reject(new StoreUnavailableError()) : healthy.findByUsername(username),
    };
    const { accounts } = setup({ users: flaky, limits: { addressFailures: { limit: 5, windowMs: 15 * MINUTE } } });
    await healthy.create("alice", await createPasswordHasher({ memoryCost: 1024, timeCost: 1 }).hash(PASSWORD));
    for (let i = 0; i < 10; i += 1) {
      expect(await errorOf(accounts.authenticate({ username: "alice", password: "wrong", ip: IP }))).toBeInstanceOf(
        StoreUnavailableError,
      );
    }
    down = false;
    await failTimes(accounts, 4);
    await expect(accounts.authenticate({ username: "alice", password: PASSWORD, ip: IP })).resolves.toMatchObject({
      username: "alice",
    });
  });
});

describe("the real default hasher", () => {
  it("registers and signs in with OWASP's argon2id parameters", async () => {
    const accounts = createAccounts({ users: memoryUserStore() });
    const alice = await accounts.register({ username: "alice", password: PASSWORD });
    expect(alice.passwordHash.startsWith("$argon2id$v=19$m=19456,t=2,p=1$")).toBe(true);
    await expect(accounts.authenticate({ username: "alice", password: PASSWORD, ip: IP })).resolves.toEqual(alice);
    await expect(accounts.authenticate({ username: "bob", password: PASSWORD, ip: IP })).rejects.toBeInstanceOf(
      InvalidCredentialsError,
    );
  });
});

describe("apps moving in", () => {
  it("signs in a user with a bcrypt hash and re-hashes it with argon2id at that sign-in", async () => {
    const users = memoryUserStore();
    const hasher = createPasswordHasher({ memoryCost: 1024, timeCost: 1 });
    const accounts = createAccounts({ users, hasher });
    const legacy = await users.create("legacy_user", bcryptHash(PASSWORD, 4).replace("$2b$", "$2y$"));
    const signedIn = await accounts.authenticate({ username: "legacy_user", password: PASSWORD, ip: IP });
    expect(signedIn.id).toBe(legacy.id);
    const stored = (await users.findById(legacy.id))?.passwordHash ?? "";
    expect(stored).toMatch(/^\$argon2id\$v=19\$m=1024,t=1,p=1\$/);
    expect(hasher.needsRehash?.(stored)).toBe(false);
    expect((await accounts.authenticate({ username: "legacy_user", password: PASSWORD, ip: IP })).id).toBe(legacy.id);
    await expect(
      accounts.authenticate({ username: "legacy_user", password: "wrong password!", ip: IP }),
    ).rejects.toBeInstanceOf(InvalidCredentialsError);
  });

  it("keeps a bcrypt hash after a failed sign-in, and signs in even when saving the new hash fails", async () => {
    const base = memoryUserStore();
    const users: UserStore = {
      ...base,
      setPasswordHash: vi.fn(async () => Promise.reject(new StoreUnavailableError())),
    };
    const accounts = createAccounts({ users, hasher: createPasswordHasher({ memoryCost: 1024, timeCost: 1 }) });
    const legacy = await users.create("legacy_user", bcryptHash(PASSWORD, 4));
    await expect(accounts.authenticate({ username: "legacy_user", password: "nope nope!", ip: IP })).rejects.toThrow();
    expect(users.setPasswordHash).not.toHaveBeenCalled();
    const quiet = vi.spyOn(console, "error").mockImplementation(() => {});
    expect((await accounts.authenticate({ username: "legacy_user", password: PASSWORD, ip: IP })).id).toBe(legacy.id);
    quiet.mockRestore();
    expect(users.setPasswordHash).toHaveBeenCalledTimes(1);
    expect((await base.findById(legacy.id))?.passwordHash.startsWith("$2b$")).toBe(true);
  });

  it('takes e-mail addresses as usernames with usernames: "email", case-insensitively', async () => {
    const { accounts } = setup({ usernames: "email" });
    const user = await accounts.register({ username: "Ada.Lovelace+stint@example.org", password: PASSWORD });
    expect(user.username).toBe("Ada.Lovelace+stint@example.org");
    const again = await accounts.authenticate({
      username: "ada.lovelace+stint@EXAMPLE.org",
      password: PASSWORD,
      ip: IP,
    });
    expect(again.id).toBe(user.id);
    for (const username of [
      "no-at-sign",
      "two@@example.org",
      "a b@example.org",
      "x@localhost",
      `${"a".repeat(65)}@example.org`,
    ]) {
      await expect(accounts.register({ username, password: PASSWORD })).rejects.toBeInstanceOf(BadRequestError);
    }
    // Handles stay the default, and refuse addresses.
    await expect(setup().accounts.register({ username: "ada@example.org", password: PASSWORD })).rejects.toBeInstanceOf(
      BadRequestError,
    );
  });
});
