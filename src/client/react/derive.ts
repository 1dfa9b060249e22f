import type { SessionSnapshot, SessionState, SessionStatus } from "../types.js";

/** Whether the expiry warning should show: signed in, and no more than the threshold left. */
export function isWarning(status: SessionStatus, remainingSeconds: number | null, thresholdSeconds: number): boolean {
  return status === "authenticated" && remainingSeconds !== null && remainingSeconds <= thresholdSeconds;
}

/** Whether the countdown needs a tick every second. */
export function needsTicking(snapshot: SessionSnapshot<SessionState>): boolean {
  return snapshot.status === "authenticated" && snapshot.expiresAt !== null;
}
