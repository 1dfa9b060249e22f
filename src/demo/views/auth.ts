import { html } from "../html.js";
import { icons } from "./icons.js";
import { type LayoutOptions, layout, type Shell } from "./layout.js";
import { banners, csrfField } from "./parts.js";

export interface AuthView {
  mode: "login" | "register";
  /** The visitor's CSRF token when they already have a session (anonymous or not). */
  csrfToken: string | null;
  username?: string;
  error?: string;
  notice?: string;
  /** Already signed in as this user: offer the way back. */
  signedInAs?: string | null;
}

const copy = {
  login: {
    title: "Sign in",
    lede: "Welcome back. Sign in to see your session live.",
    action: "/login",
    submit: "Sign in",
    passwordAutocomplete: "current-password",
    other: html`New here? <a href="/register">Create an account</a>`,
  },
  register: {
    title: "Create an account",
    lede: "Pick a username and a password; you'll be signed in straight away.",
    action: "/register",
    submit: "Create account",
    passwordAutocomplete: "new-password",
    other: html`Already have an account? <a href="/login">Sign in</a>`,
  },
} as const;

const features = [
  [icons.shield, "Server-side sessions", "The cookie holds a random token; the server keeps only its hash."],
  [icons.tabs, "Every tab in step", "Sign out, switch workspace or extend in one tab, and the others follow."],
  [icons.clock, "Timeouts you can see", "A live countdown, a warning before expiry, and one click to stay."],
] as const;

/** /login and /register: plain forms that work without JavaScript. */
export function authPage(shell: Shell, view: AuthView, theme?: Pick<LayoutOptions, "theme" | "language">): string {
  const text = copy[view.mode];
  const usernameHint = view.mode === "register";
  const main = html`<div class="auth">
  <section class="card auth-card" aria-labelledby="auth-title">
    <h1 id="auth-title">${text.title}</h1>
    <p class="muted">${text.lede}</p>
    ${
      view.signedInAs &&
      html`<p class="alert info">You're signed in as <strong>${view.signedInAs}</strong>. <a href="/">Go to your dashboard</a></p>`
    }
    ${banners({ error: view.error, notice: view.notice })}
    <form class="stack" method="post" action="${text.action}" data-stint="${view.mode}-form" novalidate>
      ${csrfField(view.csrfToken)}
      <div class="field">
        <label for="username">Username</label>
        <input id="username" name="username" type="text" autocomplete="username" autocapitalize="none" spellcheck="false" required value="${view.username ?? ""}"${usernameHint && html` aria-describedby="username-hint"`}>
        ${usernameHint && html`<p class="hint" id="username-hint">3–64 characters: letters, digits, dot, dash or underscore.</p>`}
      </div>
      <div class="field">
        <label for="password">Password</label>
        <input id="password" name="password" type="password" autocomplete="${text.passwordAutocomplete}" required${usernameHint && html` aria-describedby="password-hint"`}>
        ${usernameHint && html`<p class="hint" id="password-hint">At least 8 characters.</p>`}
      </div>
      ${
        view.mode === "login" &&
        html`<label class="check"><input type="checkbox" name="remember" value="on"> <span>Remember me on this device</span></label>`
      }
      <button type="submit" class="button primary block">${text.submit}</button>
    </form>
    <p class="auth-switch">${text.other}</p>
  </section>
  <aside class="auth-aside" aria-label="What this demo shows">
    <ul class="features">${features.map(
      ([icon, title, body]) =>
        html`<li><span class="feature-icon">${icon}</span><div><strong>${title}</strong><p>${body}</p></div></li>`,
    )}</ul>
  </aside>
</div>`;
  return layout(shell, { title: text.title, page: view.mode, main, ...theme });
}
