/**
 * The demo's only way to build markup: a tagged template that escapes every interpolated
 * value unless it is itself `SafeHtml` (the result of another `html` call). There is no
 * "raw" escape hatch, so user data (usernames, session state, user agents) can never reach
 * a page unescaped. Used on the server and, for live updates, in the browser.
 */
export class SafeHtml {
  readonly #markup: string;
  constructor(markup: string) {
    this.#markup = markup;
  }
  toString(): string {
    return this.#markup;
  }
}

const entities: Record<string, string> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&#39;",
  "`": "&#96;",
};

/** Text safe inside element content and inside quoted attribute values. */
export function escapeHtml(value: string): string {
  return value.replace(/[&<>"'`]/g, (char) => entities[char] ?? char);
}

/** `null`, `undefined` and `false` render nothing, so `${cond && html`…`}` reads naturally. */
function render(value: unknown): string {
  if (value === null || value === undefined || value === false) return "";
  if (value instanceof SafeHtml) return value.toString();
  if (Array.isArray(value)) return value.map(render).join("");
  return escapeHtml(String(value));
}

export function html(strings: TemplateStringsArray, ...values: unknown[]): SafeHtml {
  let out = strings[0] ?? "";
  for (let index = 0; index < values.length; index++) out += render(values[index]) + (strings[index + 1] ?? "");
  return new SafeHtml(out);
}
