/**
 * Pure formatting shared by the server-rendered pages and the browser script, so both show
 * the same text for the same session.
 */

const pad = (value: number) => String(value).padStart(2, "0");

/**
 * "29:54" up to an hour, "23:59:54" up to a day, "6 d 23:59:54" beyond: the seconds always
 * show, so a live countdown visibly changes every second (API.md). The bounds are inclusive so
 * a fresh 30-minute or 24-hour session reads "30:00" and "24:00:00", not the next unit up,
 * whichever way the seconds were rounded.
 */
export function formatRemaining(totalSeconds: number): string {
  const seconds = Math.max(0, Math.floor(totalSeconds));
  const minutes = Math.floor(seconds / 60);
  if (seconds <= 3600) return `${minutes}:${pad(seconds % 60)}`;
  const clock = (hours: number) => `${hours}:${pad(minutes % 60)}:${pad(seconds % 60)}`;
  if (seconds <= 86_400) return clock(Math.floor(minutes / 60));
  const hours = Math.floor(minutes / 60);
  return `${Math.floor(hours / 24)} d ${clock(hours % 24)}`;
}

const formats = new Map<string, Intl.DateTimeFormat>();

/**
 * A date and time for people. The server does not know the visitor's time zone, so it passes
 * "UTC" (and says so); the browser passes nothing and gets local time.
 */
export function formatDateTime(iso: string, options: { locale?: string; timeZone?: string } = {}): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return "—";
  const { locale = "en-GB", timeZone } = options;
  const key = `${locale}|${timeZone ?? ""}`;
  let format = formats.get(key);
  if (!format) {
    format = new Intl.DateTimeFormat(locale, { dateStyle: "medium", timeStyle: "short", timeZone });
    formats.set(key, format);
  }
  return format.format(date) + (timeZone === "UTC" ? " UTC" : "");
}

const browsers: Array<[RegExp, string]> = [
  [/HeadlessChrome\//, "Headless Chrome"],
  [/Edg\//, "Edge"],
  [/OPR\//, "Opera"],
  [/Firefox\//, "Firefox"],
  [/Chromium\//, "Chromium"],
  [/Chrome\//, "Chrome"],
  [/Version\/[\d.]+.*Safari\//, "Safari"],
  [/^curl\//, "curl"],
  [/TestBrowser\//, "Test browser"],
];

const systems: Array<[RegExp, string]> = [
  [/iPhone|iPad|iPod/, "iOS"],
  [/Android/, "Android"],
  [/CrOS/, "ChromeOS"],
  [/Windows/, "Windows"],
  [/Mac OS X|Macintosh/, "macOS"],
  [/Linux/, "Linux"],
];

/** "Firefox on macOS" from a User-Agent header: a hint for people, never used for security. */
export function describeDevice(userAgent: string | null | undefined): string {
  if (!userAgent) return "Unknown device";
  const browser = browsers.find(([pattern]) => pattern.test(userAgent))?.[1];
  const system = systems.find(([pattern]) => pattern.test(userAgent))?.[1];
  if (browser && system) return `${browser} on ${system}`;
  return browser ?? system ?? "Unknown browser";
}
