/**
 * "stint/accounts": accounts for `/api/auth/register` and `/login` — argon2id password
 * hashing, failed-login throttling, and user stores (memory, or a table beside the sessions
 * in SQLite).
 *
 * @example
 * ```ts
 * import { createStint } from "stint";
 * import { createAccounts, sqliteUserStore } from "stint/accounts";
 * const accounts = createAccounts({ users: sqliteUserStore({ database }) });
 * const stint = createStint({ store, secret, accounts });
 * ```
 */
export {
  type Accounts,
  type AccountsOptions,
  type AuthenticateInput,
  createAccounts,
  type LimitOptions,
  type RegisterInput,
} from "./auth/accounts.js";
export {
  createPasswordHasher,
  hashPassword,
  needsRehash,
  type PasswordHasher,
  type PasswordHasherOptions,
  verifyPassword,
} from "./auth/password.js";
export {
  type AttemptLimiter,
  type AttemptLimiterOptions,
  createAttemptLimiter,
  type MemoryAttemptLimiter,
  sharedAttemptLimiter,
} from "./auth/throttle.js";
export {
  memoryUserStore,
  type SqliteUserDatabase,
  sqliteUserStore,
  type UserRecord,
  type UserStore,
} from "./auth/users.js";
