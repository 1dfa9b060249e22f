/** Receives the client's debug lines. Details never hold a token, a CSRF token, user or state data. */
export type DebugLogger = (message: string, details?: Record<string, string | number | boolean | null>) => void;

/** `true` logs to `console.debug`; a function receives the lines; anything else is silent. */
export function createDebugLogger(debug: boolean | DebugLogger | undefined): DebugLogger {
  if (typeof debug === "function") return debug;
  if (debug === true) {
    return (message, details) => {
      if (details) console.debug(`[stint] ${message}`, details);
      else console.debug(`[stint] ${message}`);
    };
  }
  return () => {};
}
