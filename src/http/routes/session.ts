import { NoSessionError } from "../../core/errors.js";
import type { JsonObject } from "../../stores/store.js";
import type { Route, RouteContext } from "../context.js";
import { json, noContent } from "../json.js";
import { sessionInfo, stateBody } from "../session-info.js";
import { parseStatePatch } from "../state-patch.js";

async function infoOf<Data extends JsonObject>(context: RouteContext<Data>) {
  const { session, services } = context;
  const userId = session.userId;
  const user = userId && services.accounts ? await services.accounts.findById(userId) : null;
  return sessionInfo(services.manager, session, user);
}

export const getSession: Route = {
  method: "GET",
  path: "/api/session",
  session: "required",
  passive: true,
  run: async (context) => json(await infoOf(context)),
};

export const getCsrfToken: Route = {
  method: "GET",
  path: "/api/session/csrf-token",
  session: "optional",
  run: async (context) => {
    // A bearer client gets its session, and its token, only by signing in.
    if (context.session.isNew && context.session.transport === "bearer") throw new NoSessionError();
    if (context.session.isNew) {
      context.session.persist();
      await context.commit();
    }
    return json({ csrfToken: context.services.manager.csrfToken(context.session) });
  },
};

export const extendSession: Route = {
  method: "POST",
  path: "/api/session/extend",
  session: "required",
  run: async (context) => {
    await context.services.manager.extend(context.session);
    return json(await infoOf(context));
  },
};

export const logout: Route = {
  method: "DELETE",
  path: "/api/session",
  session: "required",
  run: async (context) => {
    context.session.destroy();
    await context.commit();
    return noContent();
  },
};

export const getState: Route = {
  method: "GET",
  path: "/api/session/state",
  session: "required",
  run: (context) => json(stateBody(context.session.record!)),
};

export const patchState: Route = {
  method: "PATCH",
  path: "/api/session/state",
  session: "required",
  run: async (context) => {
    const { set, unset, ifVersion } = parseStatePatch(context.body);
    for (const key of unset) context.session.unsetState(key);
    for (const [key, value] of Object.entries(set)) context.session.setState(key, value);
    await context.commit(ifVersion === undefined ? {} : { ifVersion });
    return json(stateBody(context.session.record!));
  },
};
