/**
 * Everything the demo says about an outcome, keyed by API.md's error codes and by a few
 * notice names. Pages only ever show these fixed texts or the API's own message, never text
 * taken from a URL, so a crafted link cannot put words on the page.
 */

const errorTexts: Readonly<Record<string, string>> = {
  invalid_credentials: "That username and password don't match.",
  username_taken: "That username is already taken. Pick another, or sign in.",
  csrf_invalid: "This form had expired. Please try again.",
  origin_mismatch: "That request came from another site and was refused.",
  no_session: "Your session has ended. Please sign in again.",
  conflict: "That changed somewhere else at the same time. Please try again.",
  payload_too_large: "That is more than a session can hold.",
  store_unavailable: "Sessions are unavailable right now. Nothing was changed; please try again shortly.",
  network_error: "The server could not be reached. Check your connection and try again.",
  not_found: "That session no longer exists.",
};

const noticeTexts: Readonly<Record<string, string>> = {
  extended: "Done — your session was extended.",
  saved: "Preferences saved.",
  revoked: "That device is signed out.",
  "revoked-others": "Every other device is signed out.",
  "signed-out": "You're signed out.",
  expired: "Your session expired. Please sign in again.",
  "session-revoked": "This device was signed out from another device.",
};

const lookup = (table: Readonly<Record<string, string>>, key: string | null | undefined) =>
  key && Object.hasOwn(table, key) ? table[key] : undefined;

/** A sentence for an API error: ours for known codes, else the API's message (bad_request explains itself). */
export function errorText(
  code: string | null | undefined,
  apiMessage?: string | null,
  retryAfterSeconds?: number | null,
): string {
  if (code === "rate_limited") {
    const minutes = retryAfterSeconds ? Math.max(1, Math.ceil(retryAfterSeconds / 60)) : null;
    return minutes
      ? `Too many attempts. Please try again in ${minutes} minute${minutes === 1 ? "" : "s"}.`
      : "Too many attempts. Please wait a while and try again.";
  }
  if (code === "bad_request" && apiMessage) return apiMessage;
  return lookup(errorTexts, code) ?? apiMessage ?? "Something went wrong. Please try again.";
}

/** The text of a known notice, or undefined for anything else. */
export function noticeText(name: string | null | undefined): string | undefined {
  return lookup(noticeTexts, name);
}

/** Whether a query-string error names a known code (anything else is ignored, not echoed). */
export function knownError(code: string | null | undefined): string | undefined {
  return code === "rate_limited" ? errorText(code) : lookup(errorTexts, code);
}
