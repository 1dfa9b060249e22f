/**
 * What counts as the user being active in this tab. Pointer moves are included, as most
 * idle timers count them; every listener is passive and the caller throttles, so the cost
 * per event is one comparison.
 */
const activityEvents = ["pointerdown", "pointermove", "keydown", "wheel", "touchstart", "scroll"] as const;

/** Calls `onActivity` on user input anywhere in the page; returns the cleanup. */
export function watchActivity(target: EventTarget, onActivity: () => void): () => void {
  const options = { capture: true, passive: true };
  for (const type of activityEvents) target.addEventListener(type, onActivity, options);
  return () => {
    for (const type of activityEvents) target.removeEventListener(type, onActivity, options);
  };
}
