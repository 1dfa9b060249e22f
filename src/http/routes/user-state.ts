import type { Route } from "../context.js";
import { json } from "../json.js";
import { stateBody } from "../session-info.js";
import { parseStatePatch } from "../state-patch.js";

/** `GET /api/user/state`: the state every session of the signed-in user shares. */
export const getUserState: Route = {
  method: "GET",
  path: "/api/user/state",
  session: "authenticated",
  run: async ({ session, services }) => json(stateBody(await services.userStates.get(session.userId!))),
};

/**
 * `PATCH /api/user/state`: merged key by key like the session's state; every open event
 * stream of the user, on every process, gets `user-state`.
 */
export const patchUserState: Route = {
  method: "PATCH",
  path: "/api/user/state",
  session: "authenticated",
  run: async ({ session, services, body }) => {
    const record = await services.userStates.patch(session.userId!, parseStatePatch(body), session.id);
    return json(stateBody(record));
  },
};
