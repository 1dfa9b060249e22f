import type { ChangeSource } from "../../src/client.js";
import { greetingFor, readPreferences, workspaces } from "../../src/demo/preferences.js";
import type { DemoClient } from "./client.js";
import { hook } from "./dom.js";
import { localiseTimes } from "./local-time.js";
import { toast } from "./toasts.js";

/**
 * What the state changes on every page: the theme and the page language (the user's state),
 * the dashboard's workspace label (the session's) and greeting. Runs on each change of
 * either, whichever tab or device made it.
 */
export function applyAppearance(client: DemoClient): void {
  const prefs = readPreferences(client.state, client.userState);
  const root = document.documentElement;
  if (prefs.theme === "light" || prefs.theme === "dark") root.dataset.theme = prefs.theme;
  else delete root.dataset.theme;
  if (root.lang !== prefs.language) {
    root.lang = prefs.language;
    localiseTimes();
  }
  const label = hook("workspace-label");
  if (label) label.textContent = workspaces.find((w) => w.value === prefs.workspace)?.label ?? prefs.workspace;
  const greeting = hook("greeting");
  if (greeting) greeting.textContent = greetingFor(prefs.language);
}

const fromElsewhere: Partial<Record<ChangeSource, string>> = {
  tab: "Updated from another tab",
  // The leader tab usually hears a change first from the server's stream, before the tab
  // that made it signals; the server cannot tell which tab or device that was.
  remote: "Updated from another tab or device",
};

/** Keeps the page's look in step with both states, and says when a change came from elsewhere. */
export function followState(client: DemoClient, onChange: () => void = () => {}): void {
  for (const event of ["state", "user-state"] as const) {
    client.on(event, ({ source }) => {
      applyAppearance(client);
      onChange();
      const message = fromElsewhere[source];
      if (message) toast(message);
    });
  }
}
