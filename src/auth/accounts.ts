import type { Clock } from "../core/clock.js";
import { systemClock } from "../core/clock.js";
import { BadRequestError, InvalidCredentialsError, RateLimitedError, UsernameTakenError } from "../core/errors.js";
import type { AttemptCounts } from "../stores/store.js";
import type { PasswordHasher } from "./password.js";
import { defaultPasswordHasher } from "./password.js";
import type { AttemptLimiter, LimitCheck } from "./throttle.js";
import { createAttemptLimiter, DEFAULT_LIMITS, sharedAttemptLimiter } from "./throttle.js";
import type { Accounts } from "./types.js";
import type { UserRecord, UserStore } from "./users.js";
import { foldAsciiCase } from "./users.js";

export type { Accounts, AuthenticateInput, RegisterInput } from "./types.js";

export interface LimitOptions {
  limit: number;
  windowMs: number;
  /** Most keys tracked at once (see `createAttemptLimiter`). */
  maxKeys?: number;
}

export interface AccountsOptions {
  users: UserStore;
  /**
   * What a username is: "handle" (default, API.md: 3–64 of `[A-Za-z0-9_.-]`) or "email" (an
   * e-mail address of at most 254 characters, as many apps moving in sign people in).
   */
  usernames?: "handle" | "email";
  /** Default: argon2id with OWASP's parameters. Inject cheaper ones in tests. */
  hasher?: PasswordHasher;
  clock?: Clock;
  /**
   * Where failed attempts are counted: `store.attempts` of the session store (Redis,
   * PostgreSQL, SQLite) makes every limit hold across all the servers sharing it. Without
   * it, each process counts alone (in memory).
   */
  attempts?: AttemptCounts;
  limits?: {
    /** Failed logins per username. Default 5 per 15 minutes. */
    usernameFailures?: LimitOptions;
    /** Failed logins (and taken-username registrations) per client address. Default 100 per 15 minutes. */
    addressFailures?: LimitOptions;
  };
}

/** API.md: 3–64 of [A-Za-z0-9_.-]. */
const HANDLE = {
  pattern: /^[A-Za-z0-9_.-]{3,64}$/,
  max: 64,
  rule: 'username must be 3–64 characters, each a letter, a digit, "_", "." or "-".',
};
/**
 * An address as people type it (RFC 5321's lengths: 64 before the @, 254 in all), without
 * spaces, control characters or a second @; whether it receives mail is the app's business.
 */
const EMAIL = {
  pattern: /^(?=.{3,254}$)[^\s@\p{Cc}]{1,64}@[^\s@\p{Cc}.]+(?:\.[^\s@\p{Cc}.]+)+$/u,
  max: 254,
  rule: "username must be an e-mail address (at most 254 characters).",
};
const PASSWORD_MIN = 8;
/** A cap keeps a huge body from being fed to the hash (OWASP Password Storage CS, "Maximum Password Lengths"). */
const PASSWORD_MAX = 256;
/** A lone UTF-16 surrogate is not text: it encodes as U+FFFD, so two such passwords would collide. */
const LONE_SURROGATE = /\p{Cs}/u;

const PASSWORD_RULE = `password must be ${PASSWORD_MIN}–${PASSWORD_MAX} characters.`;

/**
 * The demo app's accounts: registration and sign-in on top of a `UserStore`, argon2id
 * hashing and two failure limits (per username and per client address).
 *
 * Sign-in refuses a username or address that is over its limit before it looks at the
 * password, so a right guess past the limit is refused too. Unknown usernames cost a
 * dummy verification and count against the limits like any wrong password, so neither the
 * answer, its timing nor a 429 tells whether an account exists (ASVS 5.0 6.3.8).
 *
 * @example
 * ```ts
 * const accounts = createAccounts({ users: sqliteUserStore({ database }) });
 * await accounts.register({ username: "alice", password: "correct horse battery staple" });
 * const user = await accounts.authenticate({ username: "alice", password, ip: "203.0.113.7" });
 * ```
 */
export function createAccounts(options: AccountsOptions): Accounts {
  const {
    users,
    hasher = defaultPasswordHasher(),
    clock = systemClock,
    limits = {},
    usernames = "handle",
    attempts,
  } = options;
  if (usernames !== "handle" && usernames !== "email") {
    throw new TypeError(`createAccounts: usernames must be "handle" or "email", got ${JSON.stringify(usernames)}.`);
  }
  const names = usernames === "email" ? EMAIL : HANDLE;
  const verifying = new InFlight();
  const limiter = (options: LimitOptions): AttemptLimiter =>
    attempts ? sharedAttemptLimiter(attempts, { ...options, clock }) : createAttemptLimiter({ ...options, clock });
  const byUsername = limiter(limits.usernameFailures ?? DEFAULT_LIMITS.usernameFailures);
  const byAddress = limiter(limits.addressFailures ?? DEFAULT_LIMITS.addressFailures);

  /**
   * A bcrypt or outdated hash is replaced with argon2id now, while the password is at hand
   * (apps moving in keep their users' passwords). A failure to save it never fails the sign-in:
   * the next one tries again.
   */
  const upgradeHash = async (user: UserRecord, password: string): Promise<UserRecord> => {
    if (!users.setPasswordHash || !hasher.needsRehash?.(user.passwordHash)) return user;
    try {
      const passwordHash = await hasher.hash(password);
      await users.setPasswordHash(user.id, passwordHash);
      return { ...user, passwordHash };
    } catch (error) {
      console.error("stint: re-hashing a password after sign-in failed; it is tried again next time", error);
      return user;
    }
  };

  const { delete: deleteUser } = users;
  return {
    findById: (id) => users.findById(id),
    ...(deleteUser && {
      unregister: async (userId: string) => {
        await deleteUser.call(users, userId);
      },
    }),
    addressFailures: byAddress,

    async register({ username, password, ip = null }) {
      requireStrings(username, password);
      if (!names.pattern.test(username)) throw new BadRequestError(names.rule);
      const length = codePoints(password);
      if (length < PASSWORD_MIN || length > PASSWORD_MAX) throw new BadRequestError(PASSWORD_RULE);
      if (LONE_SURROGATE.test(password)) throw new BadRequestError("password must be valid Unicode text.");
      if (ip !== null) refuseIfLimited(await byAddress.check(ip));

      // Registration necessarily says whether a name is taken (409); counting that against
      // the address keeps it from being a free enumeration oracle (OWASP Authentication CS,
      // "Account enumeration"). The early lookup also spares a hash for a name that is taken.
      try {
        if ((await users.findByUsername(username)) !== null) throw new UsernameTakenError();
        return await users.create(username, await hasher.hash(password));
      } catch (error) {
        if (error instanceof UsernameTakenError && ip !== null) await byAddress.record(ip);
        throw error;
      }
    },

    async authenticate({ username, password, ip }) {
      requireStrings(username, password);
      // Only the upper bounds are checked here, to keep oversized input away from the hash.
      // A name or password that could never have been registered is just a wrong guess.
      if (username.length > names.max) throw new BadRequestError(names.rule);
      if (codePoints(password) > PASSWORD_MAX) throw new BadRequestError(PASSWORD_RULE);

      // Case variants of one name share a budget, or "Alice", "ALICE"… would each get five.
      const nameKey = foldAsciiCase(username);
      const keys = ip === null ? [nameKey] : [nameKey, ADDRESS + ip];
      // The attempt is taken before the slow verification, not after it, in one atomic step:
      // otherwise many concurrent guesses all pass a check while the first is still hashing,
      // and the limit only bites after they are all done (PortSwigger, "Smashing the state
      // machine", 2023). A budget spent only by attempts still being verified is not spent
      // yet: each may succeed and hand its share back. So wait for one to finish rather than
      // answer 429, or many people signing in at once behind one address would be refused
      // (API.md: a successful sign-in never counts against an address). An in-memory limiter
      // answers at once, with no await before `verifying.start`, so no other sign-in of this
      // process finds the budget spent while nobody is verifying.
      const waitingSince = Date.now();
      for (;;) {
        let name = byUsername.take(nameKey);
        if (name instanceof Promise) name = await name;
        let address = name.allowed && ip !== null ? byAddress.take(ip) : ALLOWED;
        if (address instanceof Promise) address = await address;
        if (name.allowed && address.allowed) break;
        if (name.allowed) await byUsername.release(nameKey);
        // Only the address can refuse a name that was allowed, and there is one then.
        const refused = name.allowed ? address : name;
        const refusedKey = name.allowed ? (keys[1] as string) : nameKey;
        if (verifying.has(refusedKey)) await verifying.nextSettled([refusedKey]);
        else if (!refused.allowed && refused.waiting && Date.now() - waitingSince < MAX_WAIT_MS) await sleep(RETRY_MS);
        else refuseIfLimited(name, address);
      }

      const finished = verifying.start(keys);
      let outcome: "success" | "failure" | "error" = "error";
      try {
        const user = await users.findByUsername(username);
        const ok =
          user === null ? await hasher.verifyAgainstDummy(password) : await hasher.verify(user.passwordHash, password);
        outcome = ok ? "success" : "failure";
        if (user === null || !ok) throw new InvalidCredentialsError();
        return await upgradeHash(user, password);
      } finally {
        // A failure keeps its count. A success clears the username's window but not the
        // address's, where it only takes back its own reservation: successful sign-ins never
        // count against an address (API.md), yet must not wipe the failures of others
        // behind it. A store or hasher error was no guess, so both reservations go back.
        try {
          if (outcome === "failure") {
            await byUsername.fail(nameKey);
            if (ip !== null) await byAddress.fail(ip);
          } else {
            await (outcome === "success" ? byUsername.reset(nameKey) : byUsername.release(nameKey));
            if (ip !== null) await byAddress.release(ip);
          }
        } finally {
          finished();
        }
      }
    },
  };
}

const ALLOWED: LimitCheck = { allowed: true };
/**
 * Another server is verifying attempts that fill the budget: ask again this often, for at
 * most this long. A burst of sign-ins on a busy machine may keep the budget full for seconds;
 * the bound is for a server that died mid-verification, whose attempts stay pending until
 * their window ends.
 */
const RETRY_MS = 20;
const MAX_WAIT_MS = 30_000;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
/** Keeps address keys apart from usernames in InFlight (a username cannot contain ":"). */
const ADDRESS = "ip:";

/**
 * Sign-ins being verified right now, per limiter key, and a way to wait until one of them
 * settles. Waiting is bounded by one verification; past MAX_WAITING waiters a key answers
 * 429 at once, so a flood cannot queue without end.
 */
class InFlight {
  static readonly MAX_WAITING = 1_000;
  readonly #counts = new Map<string, number>();
  readonly #waiters = new Map<string, Array<() => void>>();

  has(key: string): boolean {
    return (this.#counts.get(key) ?? 0) > 0;
  }

  /** Marks one attempt under `keys`; the returned function marks it settled. */
  start(keys: readonly string[]): () => void {
    for (const key of keys) this.#counts.set(key, (this.#counts.get(key) ?? 0) + 1);
    return () => {
      for (const key of keys) {
        const left = (this.#counts.get(key) ?? 1) - 1;
        if (left > 0) this.#counts.set(key, left);
        else this.#counts.delete(key);
        const waiting = this.#waiters.get(key);
        this.#waiters.delete(key);
        for (const wake of waiting ?? []) wake();
      }
    };
  }

  /** Resolves when an attempt under any of `keys` settles; 429 if too many already wait. */
  nextSettled(keys: readonly string[]): Promise<void> {
    return new Promise((resolve, reject) => {
      for (const key of keys) {
        const waiting = this.#waiters.get(key) ?? [];
        if (waiting.length >= InFlight.MAX_WAITING) {
          reject(new RateLimitedError(1));
          return;
        }
        waiting.push(resolve);
        this.#waiters.set(key, waiting);
      }
    });
  }
}

function requireStrings(username: unknown, password: unknown): void {
  if (typeof username !== "string" || typeof password !== "string") {
    throw new BadRequestError("username and password must be strings.");
  }
}

/** API.md's "characters" are Unicode code points, not UTF-16 units: an emoji counts once. */
function codePoints(text: string): number {
  let count = 0;
  for (const _ of text) count += 1;
  return count;
}

function refuseIfLimited(...checks: LimitCheck[]): void {
  let retryAfterSeconds = 0;
  for (const check of checks) {
    if (!check.allowed) retryAfterSeconds = Math.max(retryAfterSeconds, check.retryAfterSeconds);
  }
  if (retryAfterSeconds > 0) throw new RateLimitedError(retryAfterSeconds);
}
