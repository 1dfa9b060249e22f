import { createAccounts } from "../auth/accounts.js";
import type { PasswordHasher } from "../auth/password.js";
import type { UserRecord, UserStore } from "../auth/users.js";
import type { Clock } from "../core/clock.js";
import { InvalidCredentialsError, RateLimitedError } from "../core/errors.js";
import type { EventBus } from "../core/events.js";
import type { AccountService } from "../http/context.js";

export interface AccountsConfig {
  users: UserStore;
  hasher?: PasswordHasher;
  /** Failed logins allowed per username and per client address, per window. */
  limits?: {
    usernameFailures?: { limit: number; windowMs: number };
    addressFailures?: { limit: number; windowMs: number };
  };
}

const publicUser = (user: UserRecord) => ({ id: user.id, username: user.username });

/** The demo accounts as the HTTP routes see them, with failures reported as events. */
export function accountService(config: AccountsConfig, events: EventBus, clock: Clock): AccountService {
  const accounts = createAccounts({ users: config.users, hasher: config.hasher, clock, limits: config.limits });
  return {
    register: async (input) => publicUser(await accounts.register(input)),
    authenticate: async (input) => {
      try {
        return publicUser(await accounts.authenticate(input));
      } catch (error) {
        if (error instanceof InvalidCredentialsError || error instanceof RateLimitedError) {
          const reason = error instanceof RateLimitedError ? "rate_limited" : "invalid_credentials";
          // The username is logged as typed (it may be a mistyped password: keep it short).
          events.emit("login_failed", { username: input.username.slice(0, 64), ip: input.ip, reason }, clock.now());
        }
        throw error;
      }
    },
    findById: async (userId) => {
      const user = await config.users.findById(userId);
      return user ? publicUser(user) : null;
    },
  };
}
