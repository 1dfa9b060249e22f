import { type SessionClient, type SessionState, StintClientError } from "../../src/client.js";
import { errorText } from "../../src/demo/messages.js";
import type { Preferences } from "../../src/demo/preferences.js";

/** The session state the demo keeps (see src/demo/preferences.ts): the workspace and the notes. */
export type DemoState = Partial<Pick<Preferences, "workspace" | "notes">> & SessionState;

/** The user's state the demo keeps: the theme and the language, on every device. */
export type DemoUserState = Partial<Pick<Preferences, "theme" | "language">> & SessionState;

export type DemoClient = SessionClient<DemoState, DemoUserState>;

/** The sentence to show for a failed client call: the same texts the no-JS pages use. */
export function describeFailure(error: unknown): string {
  if (error instanceof StintClientError) return errorText(error.code, error.message, error.retryAfterSeconds);
  return errorText(null);
}

/** The same, for a failed `client.fetch` answer carrying API.md's `{ error: { code, message } }`. */
export async function describeResponse(response: Response): Promise<string> {
  const body = (await response.json().catch(() => null)) as { error?: { code?: unknown; message?: unknown } } | null;
  const code = typeof body?.error?.code === "string" ? body.error.code : null;
  const message = typeof body?.error?.message === "string" ? body.error.message : null;
  const retryAfter = Number(response.headers.get("retry-after"));
  return errorText(code, message, Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter : null);
}
