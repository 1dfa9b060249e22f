import { NotFoundError } from "../../core/errors.js";
import type { JsonObject } from "../../stores/store.js";
import type { AccountService, Route, RouteContext } from "../context.js";
import { json, optionalBoolean, stringField } from "../json.js";
import { sessionInfo } from "../session-info.js";

function accountsOf<Data extends JsonObject>(context: RouteContext<Data>): AccountService {
  const accounts = context.services.accounts;
  if (!accounts) throw new NotFoundError("Accounts are not enabled on this server.");
  return accounts;
}

export const register: Route = {
  method: "POST",
  path: "/api/auth/register",
  session: "optional",
  run: async (context) => {
    const username = stringField(context.body, "username");
    const password = stringField(context.body, "password");
    const user = await accountsOf(context).register({ username, password, ip: context.client.ip ?? null });
    context.session.login(user.id);
    await context.commit();
    return json(sessionInfo(context.services.manager, context.session, user), 201);
  },
};

export const login: Route = {
  method: "POST",
  path: "/api/auth/login",
  session: "optional",
  run: async (context) => {
    const username = stringField(context.body, "username");
    const password = stringField(context.body, "password");
    const persistent = optionalBoolean(context.body, "remember");
    const user = await accountsOf(context).authenticate({ username, password, ip: context.client.ip ?? null });
    // A new id and secret at every login: the token held before stops working (fixation).
    context.session.login(user.id, { persistent });
    await context.commit();
    return json(sessionInfo(context.services.manager, context.session, user));
  },
};
