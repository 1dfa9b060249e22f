import type { AttemptLimiter } from "./throttle.js";
import type { UserRecord } from "./users.js";

/**
 * What createStint needs of accounts (`createAccounts` of "stint/accounts", or an app's own),
 * apart from the module that hashes passwords: the root entry must not load argon2.
 */

export interface RegisterInput {
  username: string;
  password: string;
  /** The client address. When given, registering a taken name counts as a failure for it. */
  ip?: string | null;
}

export interface AuthenticateInput {
  username: string;
  password: string;
  /** The client address, from the socket or a trusted proxy only; `null` skips the address limit. */
  ip: string | null;
}

export interface Accounts {
  /**
   * Creates an account. Rejects with `BadRequestError` (a rule broken), `UsernameTakenError`
   * or `RateLimitedError` (the address has too many failures).
   */
  register(input: RegisterInput): Promise<UserRecord>;
  /**
   * Checks a username and password. Rejects with `BadRequestError` (not strings, or too
   * long), `RateLimitedError` (checked before the password) or `InvalidCredentialsError`
   * (the same for an unknown user and a wrong password).
   */
  authenticate(input: AuthenticateInput): Promise<UserRecord>;
  /** The account with this id, or null (the user of a session). */
  findById(id: string): Promise<UserRecord | null>;
  /**
   * Takes back an account `register` just made, when its first session could not be made (the
   * session store was down): a sign-up answered 503 leaves nothing, and the same name can be
   * registered again. Absent when the user store cannot delete.
   */
  unregister?(userId: string): Promise<void>;
  /**
   * Failed attempts per client address, when the accounts keep such a count: a wrong admin
   * token counts toward it too (API.md, "Administration").
   */
  readonly addressFailures?: Pick<AttemptLimiter, "check" | "record">;
}
