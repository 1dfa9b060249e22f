import { noticeText } from "../../src/demo/messages.js";

// The reason travels in sessionStorage, not the URL: /login stays /login, and a crafted
// link cannot make the page say anything.
const NOTICE_KEY = "stint-demo:notice";

export type LeaveReason = "expired" | "session-revoked" | "signed-out";

let leaving = false;

/**
 * Navigates once per page: several events can ask for the same move (a sign-in answer and
 * the client's `login` event, say), and a second navigation would cancel the first.
 */
export function navigate(path: string, options: { replace?: boolean } = {}): void {
  if (leaving) return;
  leaving = true;
  if (options.replace) location.replace(path);
  else location.assign(path);
}

/** Sends this tab to /login, remembering why for the login page to say. */
export function leaveForLogin(reason: LeaveReason): void {
  if (leaving) return;
  try {
    sessionStorage.setItem(NOTICE_KEY, reason);
  } catch {
    // Storage blocked: the login page just shows no reason.
  }
  navigate("/login", { replace: true });
}

/** The reason left by `leaveForLogin`, read once. */
export function takeNotice(): string | undefined {
  try {
    const reason = sessionStorage.getItem(NOTICE_KEY);
    sessionStorage.removeItem(NOTICE_KEY);
    return noticeText(reason);
  } catch {
    return undefined;
  }
}
