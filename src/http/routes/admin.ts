import { NotFoundError } from "../../core/errors.js";
import type { AdminAction } from "../../core/events.js";
import type { JsonObject } from "../../stores/store.js";
import type { Route, RouteContext } from "../context.js";
import { json, noContent } from "../json.js";
import { deviceBody, stateBody } from "../session-info.js";
import { parseStatePatch } from "../state-patch.js";

/**
 * API.md's "Administration": an operator lists and revokes any user's sessions and changes a
 * session's state. Every route is behind the admin gate (the handler checks it first), each
 * action is an `admin_action` event (the audit log), and each change emits the events the
 * user's own would, so it reaches open tabs on every process.
 */
function audited<Data extends JsonObject>(
  context: RouteContext<Data>,
  action: AdminAction,
  target: { userId?: string; sessionId?: string },
  count: number,
): void {
  const { manager } = context.services;
  manager.events.emit(
    "admin_action",
    {
      action,
      userId: target.userId ?? null,
      sessionId: target.sessionId ?? null,
      ip: context.client.ip ?? null,
      count,
    },
    manager.clock.now(),
  );
}

const param = (context: RouteContext<JsonObject>, name: string) => context.params[name] ?? "";

export const adminListSessions: Route = {
  method: "GET",
  path: "/api/admin/users/:userId/sessions",
  session: "none",
  admin: true,
  run: async (context) => {
    const userId = param(context, "userId");
    const records = await context.services.control.list(userId);
    audited(context, "list_sessions", { userId }, records.length);
    const sessions = records.map((record) => {
      const { current: _, ...device } = deviceBody(record, null);
      return device;
    });
    return json({ sessions });
  },
};

export const adminRevokeUser: Route = {
  method: "DELETE",
  path: "/api/admin/users/:userId/sessions",
  session: "none",
  admin: true,
  run: async (context) => {
    const userId = param(context, "userId");
    const ids = await context.services.control.revokeUser(userId, { reason: "admin" });
    audited(context, "revoke_user", { userId }, ids.length);
    return json({ revoked: ids.length });
  },
};

export const adminRevokeSession: Route = {
  method: "DELETE",
  path: "/api/admin/sessions/:id",
  session: "none",
  admin: true,
  run: async (context) => {
    const sessionId = param(context, "id");
    const revoked = await context.services.control.revoke(sessionId, "admin");
    if (!revoked) throw new NotFoundError("No such session.");
    audited(context, "revoke_session", { sessionId }, 1);
    return noContent();
  },
};

export const adminPatchState: Route = {
  method: "PATCH",
  path: "/api/admin/sessions/:id/state",
  session: "none",
  admin: true,
  run: async (context) => {
    const sessionId = param(context, "id");
    const record = await context.services.control.patchState(sessionId, parseStatePatch(context.body));
    audited(context, "patch_state", { sessionId, userId: record.userId ?? undefined }, record.version);
    return json(stateBody(record));
  },
};
