import { type ReactNode, useEffect, useRef, useState } from "react";
import type { SessionClientOptions } from "../options.js";
import { SessionClient } from "../session-client.js";
import type { SessionState } from "../types.js";
import { SessionContext } from "./context.js";

export type SessionProviderProps<State extends SessionState = SessionState> = { children?: ReactNode } & (
  | {
      /** A client you created (and close) yourself, usually at module scope. */
      client: SessionClient<State>;
      options?: never;
    }
  | {
      client?: never;
      /** Options for a client the provider creates, and closes when it unmounts. */
      options?: SessionClientOptions;
    }
);

/**
 * Makes a `SessionClient` available to `useSession` and `useSessionState`, and starts it.
 *
 * @example
 * ```tsx
 * const client = new SessionClient<Prefs>({ autoExtend: true });
 *
 * createRoot(root).render(
 *   <SessionProvider client={client}>
 *     <App />
 *   </SessionProvider>,
 * );
 * ```
 */
export function SessionProvider<State extends SessionState = SessionState>(props: SessionProviderProps<State>) {
  const { client: given, options, children } = props;
  // The constructor has no side effects, so creating it during render is safe; the effect
  // below starts it, and closes it once the provider is gone.
  const [owned] = useState(() => (given ? null : new SessionClient<State>(options)));
  const client = (given ?? owned) as SessionClient<State>;
  const inUse = useRef<SessionClient<State> | null>(null);
  useEffect(() => {
    inUse.current = client;
    // A failed first read is retried by the client and reported through its "error" event.
    client.init().catch(() => {});
    return () => {
      inUse.current = null;
      // StrictMode unmounts and mounts again at once, and a client given its own channel or
      // leader cannot restart after close(): close only if no mount took it back meanwhile.
      if (!owned) return;
      queueMicrotask(() => {
        if (inUse.current !== owned) owned.close();
      });
    };
  }, [client, owned]);
  return (
    <SessionContext.Provider value={client as unknown as SessionClient<SessionState>}>
      {children}
    </SessionContext.Provider>
  );
}
