import { formatDateTime } from "../../src/demo/format.js";

/** The visitor's language for dates, from the page (it follows the `language` preference). */
function locale(): string {
  const lang = document.documentElement.lang || "en";
  return lang === "en" ? "en-GB" : lang;
}

/** Local time for people, in the page's language. */
export function localTime(iso: string): string {
  return formatDateTime(iso, { locale: locale() });
}

/** "17:28:04": when the page last heard from the server. */
export function localClockTime(date: Date): string {
  return new Intl.DateTimeFormat(locale(), { timeStyle: "medium" }).format(date);
}

/** Rewrites every server-rendered `<time>` (shown in UTC) to local time. */
export function localiseTimes(root: ParentNode = document): void {
  for (const element of root.querySelectorAll<HTMLTimeElement>("time[datetime]")) {
    element.textContent = localTime(element.dateTime);
  }
}

/** Sets one `<time>` hook to an ISO instant. */
export function setTime(element: Element | null, iso: string | null | undefined): void {
  if (!(element instanceof HTMLTimeElement) || !iso) return;
  element.dateTime = iso;
  element.textContent = localTime(iso);
}
