export interface PageHandlers {
  /** The user is back (focus, or the tab became visible). */
  returned(): void;
  /** The network is back. */
  online(): void;
}

/**
 * Re-reads on the page events that mean the tab may have missed something: a frozen or
 * throttled background tab hears no signals, and an offline one no stream. Returns the cleanup.
 */
export function listenToPage(
  win: EventTarget | null | undefined,
  doc: (EventTarget & { readonly visibilityState?: string }) | null | undefined,
  handlers: PageHandlers,
): () => void {
  const onFocus = () => handlers.returned();
  const onOnline = () => handlers.online();
  const onVisibility = () => {
    if (doc?.visibilityState !== "hidden") handlers.returned();
  };
  win?.addEventListener("focus", onFocus);
  win?.addEventListener("online", onOnline);
  doc?.addEventListener("visibilitychange", onVisibility);
  return () => {
    win?.removeEventListener("focus", onFocus);
    win?.removeEventListener("online", onOnline);
    doc?.removeEventListener("visibilitychange", onVisibility);
  };
}
