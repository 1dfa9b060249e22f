import { html, type SafeHtml } from "../html.js";
import { icons } from "./icons.js";

/** The versioned URLs of the stylesheet and the page script. */
export interface Shell {
  stylesUrl: string;
  scriptUrl: string;
}

export type PageName = "login" | "register" | "dashboard" | "devices" | "error";

export interface LayoutOptions {
  title: string;
  page: PageName;
  main: SafeHtml;
  /** Signed in: shows the navigation and the expiry dialog. */
  user?: { username: string } | null;
  /** From the session state: "light" or "dark" pins the theme, anything else follows the device. */
  theme?: string;
  language?: string;
}

const navItems = [
  { page: "dashboard", href: "/", label: "Dashboard" },
  { page: "devices", href: "/devices", label: "Devices" },
] as const;

/** The one page frame every demo page is rendered into. */
export function layout(shell: Shell, options: LayoutOptions): string {
  const { title, page, main, user, theme, language = "en" } = options;
  const pinnedTheme = theme === "light" || theme === "dark" ? theme : null;
  return `<!doctype html>\n${html`<html lang="${language}"${pinnedTheme && html` data-theme="${pinnedTheme}"`}>
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<title>${title} · Stint</title>
<link rel="icon" href="/assets/favicon.svg" type="image/svg+xml">
<link rel="stylesheet" href="${shell.stylesUrl}">
<script type="module" src="${shell.scriptUrl}"></script>
</head>
<body data-page="${page}">
<a class="skip-link" href="#main">Skip to content</a>
<header class="topbar">
  <div class="topbar-inner">
    <a class="brand" href="/">${icons.logo}<span>Stint</span></a>
    ${
      user &&
      html`<nav class="nav" aria-label="Main">${navItems.map(
        (item) => html`<a href="${item.href}"${item.page === page && html` aria-current="page"`}>${item.label}</a>`,
      )}</nav>
    <p class="account"><span class="avatar" aria-hidden="true">${user.username.slice(0, 1).toUpperCase()}</span><span class="account-name">${user.username}</span></p>`
    }
  </div>
</header>
<main id="main" class="container">
${main}
</main>
<footer class="footer"><p>Stint demo — sessions live on the server; this page only shows them.</p></footer>
<div class="toasts" data-stint="toasts" role="status" aria-live="polite"></div>
${user && expiryDialog}
</body>
</html>
`}`;
}

/**
 * Opened by the page script when the client warns. A modal <dialog> traps focus and closes
 * on Esc natively; the script moves focus to the extend button and keeps the count.
 */
const expiryDialog = html`<dialog class="dialog" data-stint="expiry-warning" aria-labelledby="expiry-title" aria-describedby="expiry-text">
  <div class="dialog-icon">${icons.hourglass}</div>
  <h2 id="expiry-title">Still there?</h2>
  <p id="expiry-text">For your security you'll be signed out in <strong class="dialog-count" data-stint="warning-remaining">1:00</strong> unless you stay.</p>
  <div class="actions">
    <button type="button" class="button primary" data-stint="stay-signed-in">Stay signed in</button>
    <button type="button" class="button ghost" data-stint="dialog-sign-out">Sign out now</button>
  </div>
</dialog>`;
