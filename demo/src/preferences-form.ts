import {
  type Preferences,
  preferencesFromForm,
  readPreferences,
  sessionKeys,
  userKeys,
} from "../../src/demo/preferences.js";
import { type DemoClient, describeFailure } from "./client.js";
import { hook, interceptSubmit, showError } from "./dom.js";

const NOTES_DEBOUNCE_MS = 600;

interface StateForm {
  /** The form's hook, its status line's, its save button's and its version's. */
  hooks: { form: string; status: string; button: string; version: string };
  keys: readonly (keyof Preferences)[];
  save(partial: Partial<Preferences>): Promise<unknown>;
  version(): number;
}

/**
 * One form bound to a state: every change goes to the server through the client, only the
 * key that changed (so two tabs or devices editing different fields never undo each other),
 * and changes from elsewhere are written back into the form. Returns the function that fills
 * the form.
 */
function bindStateForm(spec: StateForm, current: () => Preferences): (prefs: Preferences) => void {
  const form = hook<HTMLFormElement>(spec.hooks.form);
  if (!form) return () => {};
  const status = hook(spec.hooks.status);
  const version = hook(spec.hooks.version);
  const notes = form.elements.namedItem("notes") as HTMLTextAreaElement | null;
  const saveButton = hook<HTMLButtonElement>(spec.hooks.button);
  // With the script, fields save as they change; the button is for pages without it.
  if (saveButton) saveButton.hidden = true;
  if (status) status.textContent = "Changes save automatically.";
  let notesTimer: ReturnType<typeof setTimeout> | undefined;

  const save = async (partial: Partial<Preferences>) => {
    if (status) status.textContent = "Saving…";
    try {
      await spec.save(partial);
      showError(null);
      if (status) status.textContent = "Saved.";
    } catch (error) {
      showError(describeFailure(error));
      if (status) status.textContent = "";
      fill(current());
    }
  };

  const fill = (prefs: Preferences) => {
    const workspace = form.elements.namedItem("workspace") as HTMLSelectElement | null;
    if (workspace) {
      // A value outside the list (set elsewhere) gets its own option, as the server renders it.
      if (![...workspace.options].some((option) => option.value === prefs.workspace)) {
        workspace.add(new Option(prefs.workspace, prefs.workspace), 0);
      }
      workspace.value = prefs.workspace;
    }
    const language = form.elements.namedItem("language") as HTMLSelectElement | null;
    if (language) language.value = prefs.language;
    for (const radio of form.querySelectorAll<HTMLInputElement>('input[name="theme"]')) {
      radio.checked = radio.value === prefs.theme;
    }
    // Never overwrite what the user is typing; their own save follows shortly.
    if (notes && document.activeElement !== notes && notesTimer === undefined) notes.value = prefs.notes;
    if (version) version.textContent = String(spec.version());
  };

  form.addEventListener("change", (event) => {
    const target = event.target as HTMLInputElement | HTMLSelectElement | null;
    const key = target?.name as keyof Preferences | undefined;
    if (!key || key === "notes" || !spec.keys.includes(key)) return;
    void save({ [key]: target?.value });
  });
  notes?.addEventListener("input", () => {
    clearTimeout(notesTimer);
    notesTimer = setTimeout(() => {
      notesTimer = undefined;
      void save({ notes: notes.value });
    }, NOTES_DEBOUNCE_MS);
  });
  interceptSubmit(form, async () => {
    clearTimeout(notesTimer);
    notesTimer = undefined;
    await save(preferencesFromForm(Object.fromEntries(new FormData(form)), spec.keys));
  });
  return fill;
}

/**
 * The dashboard's two forms: the workspace and the notes in the session's state (this browser's
 * tabs follow), the theme and the language in the user's state (every device follows).
 */
export function setupPreferencesForms(client: DemoClient): () => void {
  const current = () => readPreferences(client.state, client.userState);
  const fills = [
    bindStateForm(
      {
        hooks: { form: "workspace-form", status: "save-status", button: "save-workspace", version: "state-version" },
        keys: sessionKeys,
        save: (partial) => client.setState(partial),
        version: () => client.version,
      },
      current,
    ),
    bindStateForm(
      {
        hooks: {
          form: "preferences",
          status: "preferences-status",
          button: "save-preferences",
          version: "user-state-version",
        },
        keys: userKeys,
        save: (partial) => client.setUserState(partial),
        version: () => client.userStateVersion,
      },
      current,
    ),
  ];
  return () => {
    const prefs = current();
    for (const fill of fills) fill(prefs);
  };
}
