/**
 * The demo's state: which keys it keeps where, and how a form maps onto them. The workspace
 * and the notes are the session's state (one tab group, one browser); the theme and the
 * language are the user's state (API.md: they follow the person to every device). Shared by
 * the server (no-JS form posts, first render) and the browser script (live edits).
 */

export interface Choice {
  value: string;
  label: string;
}

// Lower-case values with capitalised labels: a value and its label both name the option.
export const workspaces: readonly Choice[] = [
  { value: "acme", label: "Acme" },
  { value: "globex", label: "Globex" },
  { value: "initech", label: "Initech" },
];

export const themes: readonly Choice[] = [
  { value: "system", label: "System" },
  { value: "light", label: "Light" },
  { value: "dark", label: "Dark" },
];

export const languages: readonly (Choice & { greeting: string })[] = [
  { value: "en", label: "English", greeting: "Hello" },
  { value: "de", label: "Deutsch", greeting: "Hallo" },
  { value: "fr", label: "Français", greeting: "Bonjour" },
  { value: "es", label: "Español", greeting: "Hola" },
];

export const NOTES_MAX_LENGTH = 2000;

export interface Preferences {
  workspace: string;
  theme: string;
  language: string;
  notes: string;
}

/** Kept in the session's state (`PATCH /api/session/state`). */
export const sessionKeys = ["workspace", "notes"] as const satisfies readonly (keyof Preferences)[];
/** Kept in the user's state (`PATCH /api/user/state`), on every device. */
export const userKeys = ["theme", "language"] as const satisfies readonly (keyof Preferences)[];
export const preferenceKeys = [...sessionKeys, ...userKeys] as const;

const isChoice = (choices: readonly Choice[], value: unknown): value is string =>
  typeof value === "string" && choices.some((choice) => choice.value === value);

/**
 * Reads preferences leniently from the session's state and the user's (the theme and the
 * language come from the user's alone). Both are client-writable, so a workspace outside the
 * list is kept (and shown, escaped) rather than silently replaced.
 */
export function readPreferences(
  sessionState: Readonly<Record<string, unknown>>,
  userState: Readonly<Record<string, unknown>> = {},
): Preferences {
  const { workspace, notes } = sessionState;
  const { theme, language } = userState;
  return {
    workspace: typeof workspace === "string" && workspace !== "" ? workspace : (workspaces[0]?.value ?? ""),
    theme: isChoice(themes, theme) ? theme : "system",
    language: isChoice(languages, language) ? language : "en",
    notes: typeof notes === "string" ? notes : "",
  };
}

/** The keys a submitted form sets (of `keys`, every preference by default): only known keys, only strings. */
export function preferencesFromForm(
  form: Readonly<Record<string, unknown>>,
  keys: readonly (keyof Preferences)[] = preferenceKeys,
): Partial<Preferences> {
  const set: Partial<Preferences> = {};
  for (const key of keys) {
    const value = form[key];
    if (typeof value === "string") set[key] = value;
  }
  return set;
}

export function greetingFor(language: string): string {
  return languages.find((choice) => choice.value === language)?.greeting ?? "Hello";
}
