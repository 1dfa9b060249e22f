import type { Accounts } from "../auth/types.js";
import type { UserRecord } from "../auth/users.js";
import type { Clock } from "../core/clock.js";
import { InvalidCredentialsError, RateLimitedError } from "../core/errors.js";
import type { EventBus } from "../core/events.js";
import type { AccountService } from "../http/context.js";

const publicUser = (user: UserRecord) => ({ id: user.id, username: user.username });

/**
 * Accounts (`createAccounts` of "stint/accounts", or an app's own) as the HTTP routes see
 * them, with failed sign-ins reported as events.
 */
export function accountService(accounts: Accounts, events: EventBus, clock: Clock): AccountService {
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
      const user = await accounts.findById(userId);
      return user ? publicUser(user) : null;
    },
    ...(accounts.unregister && { unregister: accounts.unregister.bind(accounts) }),
  };
}
