import { useCallback, useSyncExternalStore } from "react";
import type { SessionState } from "../types.js";
import { useSessionClient } from "./context.js";

/** Writes to the session state; `ifVersion` makes it compare-and-set (a stale one rejects with `conflict`). */
export type SetSessionState<State extends SessionState> = (
  partial: Partial<State>,
  options?: { ifVersion?: number },
) => Promise<void>;

/**
 * The session state and a setter, shared by every tab: a change made anywhere shows here.
 *
 * @example
 * ```tsx
 * function WorkspaceSwitcher() {
 *   const [state, setState] = useSessionState<{ workspace?: string }>();
 *   return (
 *     <select name="workspace" value={state.workspace ?? "w1"} onChange={(e) => setState({ workspace: e.target.value })}>
 *       <option value="w1">One</option>
 *       <option value="w2">Two</option>
 *     </select>
 *   );
 * }
 * ```
 */
export function useSessionState<State extends SessionState = SessionState>(): [State, SetSessionState<State>] {
  const client = useSessionClient<State>();
  const snapshot = useSyncExternalStore(client.subscribe, client.getSnapshot, client.getSnapshot);
  const setState = useCallback<SetSessionState<State>>(
    async (partial, options) => {
      await client.setState(partial, options);
    },
    [client],
  );
  return [snapshot.state, setState];
}
