import type { Route } from "../context.js";
import { json, noContent } from "../json.js";
import { deviceBody } from "../session-info.js";

export const listSessions: Route = {
  method: "GET",
  path: "/api/sessions",
  session: "authenticated",
  run: async ({ session, services }) => {
    const records = await services.control.list(session.userId!);
    return json({ sessions: records.map((record) => deviceBody(record, session.id)) });
  },
};

export const revokeSession: Route = {
  method: "DELETE",
  path: "/api/sessions/:id",
  session: "authenticated",
  run: async ({ session, services, params }) => {
    if (params.id === session.id) {
      // Signing out the current device is a logout: destroy it and clear the cookie.
      session.destroy();
    } else {
      await services.control.revokeOwned(session.userId!, params.id ?? "");
    }
    return noContent();
  },
};

export const revokeOtherSessions: Route = {
  method: "DELETE",
  path: "/api/sessions",
  session: "authenticated",
  run: async ({ session, services }) => {
    const ids = await services.control.revokeUser(session.userId!, { except: session.id! });
    return json({ revoked: ids.length });
  },
};
