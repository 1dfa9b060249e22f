import { NotFoundError } from "../../core/errors.js";
import type { PublicUser } from "../../protocol.js";
import type { JsonObject } from "../../stores/store.js";
import type { Route, RouteContext } from "../context.js";
import { json, optionalBoolean, stringField } from "../json.js";
import { sessionInfo } from "../session-info.js";

interface Credentials {
  username: string;
  password: string;
  ip: string | null;
}

type Accounts = NonNullable<RouteContext<JsonObject>["services"]["accounts"]>;

/**
 * Reads the credentials, asks the accounts for a user, and signs the session in as that user:
 * a new id and secret at every sign-in, so the token held before stops working (fixation).
 */
function signIn(
  authorize: (accounts: Accounts, input: Credentials) => Promise<PublicUser>,
  status: number,
  /** Takes back what `authorize` made when the session could not be made (a sign-up's account). */
  undo?: (accounts: Accounts, user: PublicUser) => Promise<void>,
): Route["run"] {
  return async <Data extends JsonObject>(context: RouteContext<Data>) => {
    const accounts = context.services.accounts;
    if (!accounts) throw new NotFoundError("Accounts are not enabled on this server.");
    const input: Credentials = {
      username: stringField(context.body, "username"),
      password: stringField(context.body, "password"),
      ip: context.client.ip ?? null,
    };
    const persistent = optionalBoolean(context.body, "remember");
    const user = await authorize(accounts, input);
    const { session } = context;
    session.login(user.id, { persistent });
    try {
      await context.commit();
    } catch (error) {
      if (undo) {
        await undo(accounts, user).catch((failure: unknown) => {
          console.error("stint: taking back a sign-up whose session could not be made failed", failure);
        });
      }
      throw error;
    }
    const info = sessionInfo(context.services.manager, session, user);
    // A bearer sign-in (`X-Stint-Transport: bearer`): the token goes in the body, no cookie is set.
    return json(session.transport === "bearer" ? { ...info, token: session.issuedToken } : info, status);
  };
}

export const register: Route = {
  method: "POST",
  path: "/api/auth/register",
  session: "optional",
  signIn: true,
  // A sign-up answered with an error leaves no account: the same name can be tried again.
  run: signIn(
    (accounts, input) => accounts.register(input),
    201,
    async (accounts, user) => accounts.unregister?.(user.id),
  ),
};

export const login: Route = {
  method: "POST",
  path: "/api/auth/login",
  session: "optional",
  signIn: true,
  run: signIn((accounts, input) => accounts.authenticate(input), 200),
};
