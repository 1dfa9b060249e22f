/**
 * `stint/react`: React bindings for `stint/client`. React (18 or newer) is an optional peer
 * dependency, needed only by this entry.
 *
 * @example
 * ```tsx
 * import { SessionProvider, useSession } from "stint/react";
 * ```
 */
export { useSessionClient } from "./client/react/context.js";
export type { SessionProviderProps } from "./client/react/session-provider.js";
export { SessionProvider } from "./client/react/session-provider.js";
export type { UseSessionResult } from "./client/react/use-session.js";
export { useSession } from "./client/react/use-session.js";
export type { SetSessionState } from "./client/react/use-session-state.js";
export { useSessionState } from "./client/react/use-session-state.js";
export type { SetUserState } from "./client/react/use-user-state.js";
export { useUserState } from "./client/react/use-user-state.js";
