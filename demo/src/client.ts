import { type SessionClient, type SessionState, StintClientError } from "../../src/client.js";
import { errorText } from "../../src/demo/messages.js";
import type { Preferences } from "../../src/demo/preferences.js";

/** The session state the demo keeps (see src/demo/preferences.ts). */
export type DemoState = Partial<Preferences> & SessionState;

export type DemoClient = SessionClient<DemoState>;

/** The sentence to show for a failed client call: the same texts the no-JS pages use. */
export function describeFailure(error: unknown): string {
  if (error instanceof StintClientError) return errorText(error.code, error.message, error.retryAfterSeconds);
  return errorText(null);
}
