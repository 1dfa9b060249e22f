import { formatRemaining } from "../format.js";
import { html, type SafeHtml } from "../html.js";
import {
  type Choice,
  greetingFor,
  languages,
  NOTES_MAX_LENGTH,
  type Preferences,
  themes,
  workspaces,
} from "../preferences.js";
import { icons } from "./icons.js";
import { layout, type Shell } from "./layout.js";
import { banners, csrfField, timeField } from "./parts.js";

/** What the dashboard shows: API.md's SessionInfo fields it uses, plus the state. */
export interface DashboardView {
  username: string;
  session: {
    createdAt: string;
    lastSeenAt: string;
    expiresAt: string;
    absoluteExpiresAt: string;
    authenticatedAt: string | null;
    remainingSeconds: number;
    persistent: boolean;
  };
  csrfToken: string;
  preferences: Preferences;
  stateVersion: number;
  /** The user's state's version (0: never written). */
  userStateVersion: number;
  error?: string;
  notice?: string;
}

function options(choices: readonly Choice[], selected: string): SafeHtml {
  // A value outside the list (the state is client-writable) is still shown, escaped, and selected.
  const known = choices.some((choice) => choice.value === selected);
  return html`${!known && html`<option value="${selected}" selected>${selected}</option>`}${choices.map(
    (choice) =>
      html`<option value="${choice.value}"${choice.value === selected && html` selected`}>${choice.label}</option>`,
  )}`;
}

function labelOf(choices: readonly Choice[], value: string): string {
  return choices.find((choice) => choice.value === value)?.label ?? value;
}

/** The idle window the countdown bar is measured against: last activity to expiry. */
function windowSeconds(session: DashboardView["session"]): number {
  const span = (Date.parse(session.expiresAt) - Date.parse(session.lastSeenAt)) / 1000;
  return Number.isFinite(span) && span > 0 ? Math.round(span) : Math.max(1, session.remainingSeconds);
}

export function dashboardPage(shell: Shell, view: DashboardView): string {
  const { session, preferences: prefs, csrfToken } = view;
  const span = windowSeconds(session);
  const main = html`<section class="hero hero-split">
  <div class="hero-text">
    <p class="eyebrow">Workspace · <span data-stint="workspace-label">${labelOf(workspaces, prefs.workspace)}</span></p>
    <h1><span data-stint="greeting">${greetingFor(prefs.language)}</span>, ${view.username}</h1>
    <p class="lede">Your session lives on the server. Open a second tab and watch both stay in step.</p>
  </div>
  <aside class="tab-status" aria-labelledby="tabs-title">
    <h2 id="tabs-title">This browser</h2>
    <p><span class="badge" data-stint="tab-role">Live updates need JavaScript</span></p>
  </aside>
</section>
${banners({ error: view.error, notice: view.notice })}
<div class="grid">
  <section class="card session-card" aria-labelledby="session-title">
    <h2 id="session-title">${icons.clock} Your session</h2>
    <div class="countdown">
      <p class="countdown-label" id="remaining-label">Signs you out after inactivity in</p>
      <p class="countdown-value"><span data-stint="remaining" role="timer" aria-labelledby="remaining-label">${formatRemaining(session.remainingSeconds)}</span></p>
      <progress class="meter" data-stint="remaining-bar" max="${span}" value="${Math.min(span, session.remainingSeconds)}" aria-label="Time left before sign-out"></progress>
    </div>
    <dl class="times">
      <div><dt>Signed in</dt><dd>${timeField(session.authenticatedAt ?? session.createdAt, "created-at")}</dd></div>
      <div><dt>Last active</dt><dd>${timeField(session.lastSeenAt, "last-seen-at")}</dd></div>
      <div><dt>Expires if idle</dt><dd>${timeField(session.expiresAt, "expires-at")}</dd></div>
      <div><dt>Absolute end</dt><dd>${timeField(session.absoluteExpiresAt, "absolute-expires-at")}</dd></div>
    </dl>
    <div class="actions">
      <form method="post" action="/extend" data-stint="extend-form">${csrfField(csrfToken)}<button type="submit" class="button primary" data-stint="extend">Stay signed in</button></form>
      <form method="post" action="/logout" data-stint="logout-form">${csrfField(csrfToken)}<button type="submit" class="button" data-stint="sign-out">Sign out</button></form>
    </div>
    <label class="check" data-stint="auto-extend-field" hidden><input type="checkbox" data-stint="auto-extend"> <span>Keep me signed in while I'm active</span></label>
    <p class="hint">${session.persistent ? "Remembered on this device until it expires." : "Ends when the browser closes, or after inactivity."}</p>
    <a class="link-arrow small" href="/devices">See every device you're signed in on</a>
  </section>

  <section class="card" aria-labelledby="workspace-title">
    <h2 id="workspace-title">Workspace</h2>
    <p class="muted">Kept in this session's state: every tab of this browser follows.</p>
    <form class="stack" method="post" action="/state" data-stint="workspace-form">
      ${csrfField(csrfToken)}
      <div class="field">
        <label for="workspace">Workspace</label>
        <select id="workspace" name="workspace">${options(workspaces, prefs.workspace)}</select>
      </div>
      <div class="field">
        <label for="notes">Notes</label>
        <textarea id="notes" name="notes" rows="2" maxlength="${NOTES_MAX_LENGTH}" placeholder="Anything to keep with this session">${prefs.notes}</textarea>
      </div>
      <div class="form-footer">
        <button type="submit" class="button" data-stint="save-workspace">Save</button>
        <span class="muted small" data-stint="save-status"></span>
        <span class="meta push">State version <span data-stint="state-version">${view.stateVersion}</span></span>
      </div>
    </form>
  </section>

  <section class="card" aria-labelledby="prefs-title">
    <h2 id="prefs-title">Preferences</h2>
    <p class="muted">Kept with your account: they follow you to every device.</p>
    <form class="stack" method="post" action="/preferences" data-stint="preferences">
      ${csrfField(csrfToken)}
      <fieldset class="field">
        <legend>Theme</legend>
        <div class="segmented">${themes.map(
          (theme) =>
            html`<label><input type="radio" name="theme" value="${theme.value}"${theme.value === prefs.theme && html` checked`}><span>${theme.label}</span></label>`,
        )}</div>
      </fieldset>
      <div class="field">
        <label for="language">Language</label>
        <select id="language" name="language">${options(languages, prefs.language)}</select>
      </div>
      <div class="form-footer">
        <button type="submit" class="button" data-stint="save-preferences">Save preferences</button>
        <span class="muted small" data-stint="preferences-status"></span>
        <span class="meta push">Version <span data-stint="user-state-version">${view.userStateVersion}</span></span>
      </div>
    </form>
  </section>
</div>`;
  return layout(shell, {
    title: "Dashboard",
    page: "dashboard",
    main,
    user: { username: view.username },
    theme: prefs.theme,
    language: prefs.language,
  });
}
