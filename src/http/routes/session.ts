import { BadRequestError } from "../../core/errors.js";
import type { JsonObject } from "../../stores/store.js";
import type { Route, RouteContext } from "../context.js";
import { type Body, json, noContent } from "../json.js";
import { sessionInfo, stateBody } from "../session-info.js";

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

const MAX_KEY_LENGTH = 256;

/** `{ set?: object, unset?: string[], ifVersion?: integer }`, anything else is 400. */
function parseStatePatch(body: Body): { set: JsonObject; unset: string[]; ifVersion: number | undefined } {
  const { set = {}, unset = [], ifVersion } = body;
  if (typeof set !== "object" || set === null || Array.isArray(set)) {
    throw new BadRequestError('"set" must be an object.');
  }
  if (!Array.isArray(unset) || !unset.every((key) => typeof key === "string")) {
    throw new BadRequestError('"unset" must be an array of strings.');
  }
  if (ifVersion !== undefined && (!Number.isSafeInteger(ifVersion) || (ifVersion as number) < 0)) {
    throw new BadRequestError('"ifVersion" must be a whole number.');
  }
  const keys = [...Object.keys(set), ...(unset as string[])];
  if (keys.some((key) => key.length === 0 || key.length > MAX_KEY_LENGTH)) {
    throw new BadRequestError(`State keys must be 1–${MAX_KEY_LENGTH} characters.`);
  }
  const setKeys = new Set(Object.keys(set));
  if ((unset as string[]).some((key) => setKeys.has(key))) {
    throw new BadRequestError("A key cannot be both set and unset.");
  }
  return { set: set as JsonObject, unset: unset as string[], ifVersion: ifVersion as number | undefined };
}
