import { describeDevice } from "../format.js";
import { html, type SafeHtml } from "../html.js";
import { icons } from "./icons.js";
import { csrfField } from "./parts.js";

/** One entry of `GET /api/sessions` (API.md). */
export interface DeviceEntry {
  id: string;
  createdAt: string;
  lastSeenAt: string;
  expiresAt: string;
  userAgent: string | null;
  ip: string | null;
  current: boolean;
}

/** How a time is shown: UTC on the server, local time in the browser. */
export type TimeFormatter = (iso: string) => SafeHtml;

function iconFor(userAgent: string | null): SafeHtml {
  if (!userAgent || /^curl\//.test(userAgent)) return icons.terminal;
  return /Mobile|Android|iPhone|iPad/.test(userAgent) ? icons.phone : icons.laptop;
}

/**
 * The device list's items. Rendered by the server for the first view and by the page script
 * on every refresh, from the same function, so both look the same and both escape.
 */
export function deviceItems(sessions: readonly DeviceEntry[], csrfToken: string | null, time: TimeFormatter): SafeHtml {
  if (sessions.length === 0) return html`<li class="device empty">No sessions.</li>`;
  return html`${sessions.map(
    (entry) => html`<li class="device${entry.current && html` current`}" data-session-id="${entry.id}">
  <span class="device-icon">${iconFor(entry.userAgent)}</span>
  <div class="device-main">
    <p class="device-name"><span data-stint="device-name">${describeDevice(entry.userAgent)}</span>${entry.current && html` <span class="badge success" data-stint="this-device">This device</span>`}</p>
    <p class="device-meta">${entry.ip ?? "Unknown address"} · Signed in ${time(entry.createdAt)} · Last active ${time(entry.lastSeenAt)}</p>
  </div>
  <form method="post" action="/devices/revoke" data-stint="revoke">${csrfField(csrfToken)}<input type="hidden" name="id" value="${entry.id}"><button type="submit" class="button small">Sign out</button></form>
</li>`,
  )}`;
}
