import type { ChangeSource } from "../../src/client.js";
import { greetingFor, readPreferences, workspaces } from "../../src/demo/preferences.js";
import type { DemoClient, DemoState } from "./client.js";
import { hook } from "./dom.js";
import { localiseTimes } from "./local-time.js";
import { toast } from "./toasts.js";

/**
 * What the session state changes on every page: the theme, the page language, and the
 * dashboard's workspace label and greeting. Runs on each state change, whichever tab made it.
 */
export function applyAppearance(state: DemoState): void {
  const prefs = readPreferences(state);
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

/** Keeps the page's look in step with the state, and says when a change came from elsewhere. */
export function followState(client: DemoClient, onState: (state: DemoState) => void = () => {}): void {
  client.on("state", ({ state, source }) => {
    applyAppearance(state);
    onState(state);
    const message = fromElsewhere[source];
    if (message) toast(message);
  });
}
