/**
 * A minimal cookie-keeping HTTP client for tests: sends requests to an API target the way a
 * browser would (cookies, Origin), and remembers what the server set.
 */
export type Fetcher = (request: Request) => Promise<Response>;

export interface SendOptions {
  json?: unknown;
  form?: Record<string, string>;
  body?: string;
  headers?: Record<string, string>;
  /** Send the CSRF token this client last received (default true for unsafe methods). */
  csrf?: boolean;
  /** Set Origin to this (default: the target's own origin for unsafe methods; null = none). */
  origin?: string | null;
}

export interface Answer {
  status: number;
  headers: Headers;
  text: string;
  // biome-ignore lint/suspicious/noExplicitAny: tests check answers field by field
  body: any;
  setCookies: string[];
}

const isUnsafe = (method: string) => !["GET", "HEAD", "OPTIONS"].includes(method.toUpperCase());

export class TestBrowser {
  readonly cookies = new Map<string, string>();
  csrfToken: string | null = null;
  /** `target` is read at every request, so a restarted server (new port) is followed. */
  constructor(
    readonly target: { fetch: Fetcher; baseUrl: string },
    readonly userAgent = "Mozilla/5.0 (X11; Linux x86_64) TestBrowser/1.0",
  ) {}

  get baseUrl(): string {
    return this.target.baseUrl;
  }

  get cookieHeader(): string {
    return [...this.cookies].map(([name, value]) => `${name}=${value}`).join("; ");
  }

  /** The same browser (cookies, CSRF token, User-Agent) talking to another server. */
  movedTo(target: { fetch: Fetcher; baseUrl: string }): TestBrowser {
    const moved = new TestBrowser(target, this.userAgent);
    for (const [cookie, value] of this.cookies) moved.cookies.set(cookie, value);
    moved.csrfToken = this.csrfToken;
    return moved;
  }

  /** The raw session cookie value (the token) — for replay tests only. */
  token(name = "stint_session"): string | undefined {
    return this.cookies.get(name);
  }

  async send(method: string, path: string, options: SendOptions = {}): Promise<Answer> {
    const unsafe = isUnsafe(method);
    const headers = new Headers({ "user-agent": this.userAgent, ...options.headers });
    if (this.cookies.size > 0 && !headers.has("cookie")) headers.set("cookie", this.cookieHeader);
    const origin = options.origin === undefined ? (unsafe ? new URL(this.baseUrl).origin : null) : options.origin;
    if (origin !== null) headers.set("origin", origin);
    if (unsafe && (options.csrf ?? true) && this.csrfToken && !headers.has("x-csrf-token")) {
      headers.set("x-csrf-token", this.csrfToken);
    }
    let body: string | undefined = options.body;
    if (options.json !== undefined) {
      body = JSON.stringify(options.json);
      headers.set("content-type", "application/json");
    } else if (options.form) {
      body = new URLSearchParams(options.form).toString();
      headers.set("content-type", "application/x-www-form-urlencoded");
    }
    const response = await this.target.fetch(new Request(new URL(path, this.baseUrl), { method, headers, body }));
    const setCookies = response.headers.getSetCookie();
    for (const line of setCookies) this.#remember(line);
    const text = await response.text();
    let parsed: unknown = null;
    if ((response.headers.get("content-type") ?? "").includes("json") && text) parsed = JSON.parse(text);
    const token = (parsed as { csrfToken?: unknown } | null)?.csrfToken;
    if (typeof token === "string") this.csrfToken = token;
    return { status: response.status, headers: response.headers, text, body: parsed, setCookies };
  }

  /**
   * The page's own `fetch`, as a `SessionClient` on the target's origin calls it: relative
   * URLs resolve against the target, this jar's cookies go out and come back, and unsafe
   * requests carry the page's `Origin` as browsers add it. The response is left unread.
   */
  readonly fetch = async (input: RequestInfo | URL, init: RequestInit = {}): Promise<Response> => {
    const source = input instanceof Request ? input : new Request(new URL(String(input), this.baseUrl));
    const method = (init.method ?? source.method).toUpperCase();
    const headers = new Headers(init.headers ?? source.headers);
    headers.set("user-agent", this.userAgent);
    if (this.cookies.size > 0) headers.set("cookie", this.cookieHeader);
    if (isUnsafe(method)) headers.set("origin", new URL(this.baseUrl).origin);
    const response = await this.target.fetch(new Request(source, { ...init, method, headers }));
    for (const line of response.headers.getSetCookie()) this.#remember(line);
    return response;
  };

  get(path: string, options?: SendOptions) {
    return this.send("GET", path, options);
  }
  post(path: string, json?: unknown, options: SendOptions = {}) {
    return this.send("POST", path, { json, ...options });
  }
  patch(path: string, json?: unknown, options: SendOptions = {}) {
    return this.send("PATCH", path, { json, ...options });
  }
  delete(path: string, options?: SendOptions) {
    return this.send("DELETE", path, options);
  }

  #remember(line: string): void {
    const [pair = "", ...attributes] = line.split(";");
    const eq = pair.indexOf("=");
    const name = pair.slice(0, eq).trim();
    const value = pair.slice(eq + 1).trim();
    const maxAge = attributes.map((a) => a.trim().toLowerCase()).find((a) => a.startsWith("max-age="));
    if (maxAge === "max-age=0" || value === "") this.cookies.delete(name);
    else this.cookies.set(name, value);
  }
}

/** Attributes of a Set-Cookie line, lower-cased names. */
export function cookieAttributes(line: string): Record<string, string | true> {
  const [, ...parts] = line.split(";");
  const attributes: Record<string, string | true> = {};
  for (const part of parts) {
    const [name = "", ...rest] = part.trim().split("=");
    attributes[name.toLowerCase()] = rest.length ? rest.join("=") : true;
  }
  return attributes;
}
