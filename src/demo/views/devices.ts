import { html } from "../html.js";
import type { Preferences } from "../preferences.js";
import { type DeviceEntry, deviceItems } from "./device-list.js";
import { icons } from "./icons.js";
import { layout, type Shell } from "./layout.js";
import { banners, csrfField, timeField } from "./parts.js";

export interface DevicesView {
  username: string;
  csrfToken: string;
  sessions: DeviceEntry[];
  preferences: Preferences;
  error?: string;
  notice?: string;
}

/** /devices: the user's sessions, rendered on the server so it works without JavaScript. */
export function devicesPage(shell: Shell, view: DevicesView): string {
  const others = view.sessions.filter((entry) => !entry.current).length;
  const main = html`<section class="hero">
  <p class="eyebrow">${icons.shield} Security</p>
  <h1>Your devices</h1>
  <p class="lede">Everywhere you're signed in. Sign out anything you don't recognise.</p>
</section>
${banners({ error: view.error, notice: view.notice })}
<section class="card" aria-labelledby="devices-title">
  <div class="card-header">
    <h2 id="devices-title">Signed-in sessions <span class="count" data-stint="device-count">${view.sessions.length}</span></h2>
    <form method="post" action="/devices/revoke-others" data-stint="revoke-others">${csrfField(view.csrfToken)}<button type="submit" class="button danger" data-stint="revoke-others-button"${others === 0 && html` disabled`}>Sign out everywhere else</button></form>
  </div>
  <ul class="device-list" data-stint="device-list">${deviceItems(view.sessions, view.csrfToken, (iso) => timeField(iso))}</ul>
  <p class="meta" data-stint="devices-updated">Times in UTC until the page script shows your local time.</p>
</section>`;
  return layout(shell, {
    title: "Devices",
    page: "devices",
    main,
    user: { username: view.username },
    theme: view.preferences.theme,
    language: view.preferences.language,
  });
}
