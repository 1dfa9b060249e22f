import { formatDateTime } from "../format.js";
import { html, type SafeHtml } from "../html.js";

/** The session's CSRF token for a no-JS form post; nothing when the visitor has no session yet. */
export function csrfField(token: string | null | undefined): SafeHtml {
  return html`${token && html`<input type="hidden" name="_csrf" value="${token}">`}`;
}

/**
 * Outcome banners. The error box is always present (empty and hidden when there is nothing to
 * say) so the page script can fill the same `role="alert"` element that the server fills.
 */
export function banners(options: { error?: string | undefined; notice?: string | undefined }): SafeHtml {
  const { error, notice } = options;
  return html`<div class="alert error" role="alert" data-stint="form-error"${!error && html` hidden`}>${error}</div>
${notice && html`<p class="alert success" data-stint="notice">${notice}</p>`}`;
}

/** A `<time>` shown in UTC by the server; the page script rewrites it to local time. */
export function timeField(iso: string | null | undefined, hook?: string): SafeHtml {
  if (!iso) return html`<span${hook && html` data-stint="${hook}"`}>—</span>`;
  return html`<time datetime="${iso}"${hook && html` data-stint="${hook}"`}>${formatDateTime(iso, { timeZone: "UTC" })}</time>`;
}
