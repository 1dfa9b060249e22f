import { useCallback, useSyncExternalStore } from "react";
import type { SessionClient } from "../session-client.js";
import type { SessionState } from "../types.js";
import { useSessionClient } from "./context.js";

/** Writes to the user's state; `ifVersion` makes it compare-and-set (a stale one rejects with `conflict`). */
export type SetUserState<UserState extends SessionState> = (
  partial: Partial<UserState>,
  options?: { ifVersion?: number },
) => Promise<void>;

/**
 * The signed-in user's state and a setter: the same on every device and in every tab, so a
 * preference changed on the phone shows here too. `{}` without a signed-in user; the setter
 * then rejects with `no_session`.
 *
 * @example
 * ```tsx
 * function ThemeToggle() {
 *   const [prefs, setPrefs] = useUserState<{ theme?: "light" | "dark" }>();
 *   return <button onClick={() => setPrefs({ theme: prefs.theme === "dark" ? "light" : "dark" })}>Theme</button>;
 * }
 * ```
 */
export function useUserState<UserState extends SessionState = SessionState>(): [UserState, SetUserState<UserState>] {
  const client = useSessionClient() as unknown as SessionClient<SessionState, UserState>;
  const snapshot = useSyncExternalStore(client.subscribe, client.getSnapshot, client.getSnapshot);
  const setUserState = useCallback<SetUserState<UserState>>(
    async (partial, options) => {
      await client.setUserState(partial, options);
    },
    [client],
  );
  return [snapshot.userState, setUserState];
}
