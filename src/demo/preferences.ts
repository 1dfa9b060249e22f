/**
 * The demo's session state: which keys it keeps and how a form maps onto them. Shared by the
 * server (no-JS form posts, first render) and the browser script (live edits), so both agree.
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

export const preferenceKeys = [
  "workspace",
  "theme",
  "language",
  "notes",
] as const satisfies readonly (keyof Preferences)[];

const isChoice = (choices: readonly Choice[], value: unknown): value is string =>
  typeof value === "string" && choices.some((choice) => choice.value === value);

/**
 * Reads preferences from session state leniently. The state is client-writable, so a
 * workspace outside the list is kept (and shown, escaped) rather than silently replaced.
 */
export function readPreferences(state: Readonly<Record<string, unknown>>): Preferences {
  const workspace = state["workspace"];
  const notes = state["notes"];
  return {
    workspace: typeof workspace === "string" && workspace !== "" ? workspace : (workspaces[0]?.value ?? ""),
    theme: isChoice(themes, state["theme"]) ? state["theme"] : "system",
    language: isChoice(languages, state["language"]) ? state["language"] : "en",
    notes: typeof notes === "string" ? notes : "",
  };
}

/** The state keys a submitted preferences form sets: only known keys, only strings. */
export function preferencesFromForm(form: Readonly<Record<string, unknown>>): Partial<Preferences> {
  const set: Partial<Preferences> = {};
  for (const key of preferenceKeys) {
    const value = form[key];
    if (typeof value === "string") set[key] = value;
  }
  return set;
}

export function greetingFor(language: string): string {
  return languages.find((choice) => choice.value === language)?.greeting ?? "Hello";
}
