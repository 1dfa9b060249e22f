import type { SessionManager } from "../core/manager.js";
import type { Session } from "../core/session.js";
import type { DeviceInfo, PublicUser, SessionInfo, StateBody } from "../protocol.js";
import type { JsonObject, SessionRecord } from "../stores/store.js";

const iso = (ms: number) => new Date(ms).toISOString();

export function sessionInfo<Data extends JsonObject>(
  manager: SessionManager<Data>,
  session: Session<Data>,
  user: PublicUser | null,
): SessionInfo {
  const record = session.record as SessionRecord;
  const now = manager.clock.now();
  return {
    session: {
      id: record.id,
      userId: record.userId,
      createdAt: iso(record.createdAt),
      lastSeenAt: iso(record.lastSeenAt),
      expiresAt: iso(record.expiresAt),
      absoluteExpiresAt: iso(record.absoluteExpiresAt),
      elapsedSeconds: Math.max(0, Math.floor((now - record.createdAt) / 1000)),
      remainingSeconds: Math.max(0, Math.floor((record.expiresAt - now) / 1000)),
      persistent: record.persistent,
      authenticatedAt: record.authenticatedAt === null ? null : iso(record.authenticatedAt),
    },
    user: record.userId ? (user ?? { id: record.userId, username: record.userId }) : null,
    csrfToken: manager.csrfToken(session),
  };
}

/** A session's or a user's state as API.md answers it. */
export function stateBody(record: Readonly<Pick<SessionRecord, "state" | "version" | "updatedAt">>): StateBody {
  return { state: record.state, version: record.version, updatedAt: iso(record.updatedAt) };
}

export function deviceBody(record: SessionRecord, currentId: string | null): DeviceInfo {
  return {
    id: record.id,
    createdAt: iso(record.createdAt),
    lastSeenAt: iso(record.lastSeenAt),
    expiresAt: iso(record.expiresAt),
    userAgent: record.meta.userAgent,
    ip: record.meta.ip,
    transport: record.meta.transport ?? "cookie",
    current: record.id === currentId,
  };
}
