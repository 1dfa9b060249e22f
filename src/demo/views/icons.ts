import { html } from "../html.js";

// Inline SVG icons: no image requests, and they take the text colour (currentColor).
const svg = (paths: ReturnType<typeof html>) =>
  html`<svg class="icon" viewBox="0 0 24 24" width="20" height="20" aria-hidden="true" focusable="false" fill="none" stroke="currentColor" stroke-width="1.8" stroke-linecap="round" stroke-linejoin="round">${paths}</svg>`;

export const icons = {
  logo: html`<svg class="logo" viewBox="0 0 32 32" width="28" height="28" aria-hidden="true" focusable="false"><rect width="32" height="32" rx="9" fill="currentColor"/><path d="M10 20.5c1.3 1.6 3.4 2.5 6 2.5 3.3 0 5.5-1.6 5.5-4.1 0-5.2-10.6-2.9-10.6-8 0-2.3 2-3.9 5-3.9 2.3 0 4.1.8 5.3 2.2" fill="none" stroke="var(--logo-ink)" stroke-width="2.6" stroke-linecap="round"/></svg>`,
  clock: svg(html`<circle cx="12" cy="12" r="9"/><path d="M12 7v5l3 2"/>`),
  laptop: svg(html`<rect x="4" y="5" width="16" height="11" rx="2"/><path d="M2 19h20"/>`),
  phone: svg(html`<rect x="7" y="2.5" width="10" height="19" rx="2.5"/><path d="M11 18.5h2"/>`),
  terminal: svg(html`<rect x="3" y="4" width="18" height="16" rx="2"/><path d="m7 9 3 3-3 3M13 15h4"/>`),
  tabs: svg(html`<rect x="3" y="6" width="18" height="14" rx="2"/><path d="M3 10h18M8 6V4h8v2"/>`),
  shield: svg(html`<path d="M12 3 5 6v5c0 4.5 3 8.3 7 10 4-1.7 7-5.5 7-10V6z"/><path d="m9 12 2 2 4-4"/>`),
  hourglass: svg(html`<path d="M7 3h10M7 21h10M8 3c0 5 8 5 8 9s-8 4-8 9M16 3c0 5-8 5-8 9s8 4 8 9"/>`),
};
