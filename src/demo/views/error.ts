import { html } from "../html.js";
import { layout, type Shell } from "./layout.js";

/** 404, 413, 503 and the like: a calm page with a way home. */
export function errorPage(shell: Shell, title: string, message: string): string {
  const main = html`<section class="card narrow error-card">
  <h1>${title}</h1>
  <p class="muted">${message}</p>
  <p><a class="button primary" href="/">Go to the dashboard</a></p>
</section>`;
  return layout(shell, { title, page: "error", main });
}
