import { createContext, useContext } from "react";
import type { SessionClient } from "../session-client.js";
import type { SessionState } from "../types.js";

// Holds clients of any state shape; the hooks narrow it to the shape their caller names.
export const SessionContext = createContext<SessionClient<SessionState> | null>(null);

/**
 * The `SessionClient` of the nearest `SessionProvider`.
 *
 * @example
 * ```tsx
 * const client = useSessionClient<{ workspace?: string }>();
 * ```
 */
export function useSessionClient<State extends SessionState = SessionState>(): SessionClient<State> {
  const client = useContext(SessionContext);
  if (!client)
    throw new Error("stint: useSession, useSessionState and useUserState need a <SessionProvider> above them");
  return client as unknown as SessionClient<State>;
}
