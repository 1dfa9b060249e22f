import { preferencesFromForm, readPreferences } from "../../src/demo/preferences.js";
import { type DemoClient, type DemoState, describeFailure } from "./client.js";
import { hook, interceptSubmit, showError } from "./dom.js";

const NOTES_DEBOUNCE_MS = 600;

/**
 * The dashboard's preferences: every change goes to the session state through the client
 * (PATCH /api/session/state, only the key that changed, so two tabs editing different
 * fields never undo each other), and changes from other tabs are written back into the form.
 */
export function setupPreferencesForm(client: DemoClient): (state: DemoState) => void {
  const form = hook<HTMLFormElement>("preferences");
  if (!form) return () => {};
  const status = hook("save-status");
  const version = hook("state-version");
  const notes = form.elements.namedItem("notes") as HTMLTextAreaElement | null;
  const saveButton = hook<HTMLButtonElement>("save-preferences");
  // With the script, fields save as they change; the button is for pages without it.
  if (saveButton) saveButton.hidden = true;
  if (status) status.textContent = "Changes save automatically.";
  let notesTimer: ReturnType<typeof setTimeout> | undefined;

  const save = async (partial: DemoState) => {
    if (status) status.textContent = "Saving…";
    try {
      await client.setState(partial);
      showError(null);
      if (status) status.textContent = "Saved.";
    } catch (error) {
      showError(describeFailure(error));
      if (status) status.textContent = "";
      fill(client.state);
    }
  };

  const fill = (state: DemoState) => {
    const prefs = readPreferences(state);
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
    if (version) version.textContent = String(client.version);
  };

  form.addEventListener("change", (event) => {
    const target = event.target as HTMLInputElement | HTMLSelectElement | null;
    if (!target?.name || target.name === "notes" || target.name === "_csrf") return;
    void save({ [target.name]: target.value });
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
    await save(preferencesFromForm(Object.fromEntries(new FormData(form))));
  });
  return fill;
}
