import { useEffect, useMemo, useState, useSyncExternalStore } from "react";
import type { SessionClient } from "../session-client.js";
import type { SessionDetails, SessionSnapshot, SessionState, SessionStatus, SessionUser } from "../types.js";
import { useSessionClient } from "./context.js";
import { isWarning, needsTicking } from "./derive.js";

export interface UseSessionResult<State extends SessionState = SessionState> {
  status: SessionStatus;
  session: SessionDetails | null;
  user: SessionUser | null;
  /** Seconds left, updated every second; null without a session. */
  remainingSeconds: number | null;
  /** True while the expiry warning should show. */
  warning: boolean;
  extend: () => Promise<SessionSnapshot<State>>;
  logout: () => Promise<void>;
  client: SessionClient<State>;
}

/**
 * The session as the UI needs it, re-rendering on every change and once a second for the
 * countdown while signed in.
 *
 * @example
 * ```tsx
 * function Header() {
 *   const { status, user, remainingSeconds, logout } = useSession();
 *   if (status !== "authenticated") return null;
 *   return (
 *     <p>
 *       {user?.username}, {remainingSeconds}s left <button onClick={logout}>Sign out</button>
 *     </p>
 *   );
 * }
 * ```
 */
export function useSession<State extends SessionState = SessionState>(): UseSessionResult<State> {
  const client = useSessionClient<State>();
  const snapshot = useSyncExternalStore(client.subscribe, client.getSnapshot, client.getSnapshot);
  const ticking = needsTicking(snapshot);
  // Re-render once a second for the countdown; the value itself is read from the client,
  // which corrects for the server's clock.
  const [, setTick] = useState(0);
  useEffect(() => {
    if (!ticking) return;
    const timer = setInterval(() => setTick((tick) => tick + 1), 1000);
    return () => clearInterval(timer);
  }, [ticking]);
  const remainingSeconds = client.remainingSeconds;
  const actions = useMemo(() => ({ extend: () => client.extend(), logout: () => client.logout() }), [client]);
  return {
    status: snapshot.status,
    session: snapshot.session,
    user: snapshot.user,
    remainingSeconds,
    warning: isWarning(snapshot.status, remainingSeconds, client.warningThresholdSeconds),
    extend: actions.extend,
    logout: actions.logout,
    client,
  };
}
