import fc from "fast-check";

/**
 * Random HTTP/1.1 requests for the fuzz suite, as a client that means harm or is simply
 * broken would send them: any method, target, header set, cookie, content type, encoding,
 * body, nesting and size. A request names the sessions it uses by index into the pool of
 * the run (which changes as requests sign in and out), and is turned into bytes by `render`.
 */

export interface PoolSession {
  /** `<id>.<secret>`, as the cookie carries it. */
  token: string;
  csrfToken: string;
}

export interface Pool {
  sessions: PoolSession[];
  /** Accounts that exist, with their passwords. */
  accounts: Array<{ username: string; password: string }>;
  /** The server's own origin, e.g. http://127.0.0.1:3000. */
  origin: string;
  /** What the server names its cookie. */
  cookieName: string;
}

type CookieChoice =
  | { kind: "none" }
  | { kind: "valid"; index: number }
  | { kind: "forged"; index: number; secret: string }
  | { kind: "truncated"; index: number; keep: number }
  | { kind: "duplicated"; index: number; validFirst: boolean }
  | { kind: "other-name"; index: number }
  | { kind: "garbage"; text: string };

type BodyChoice =
  | { kind: "none" }
  | { kind: "json"; value: unknown }
  | { kind: "patch"; set: Record<string, unknown>; unset: unknown; ifVersion: unknown }
  | { kind: "credentials"; index: number; rightPassword: boolean; remember: unknown }
  | { kind: "deep"; levels: number; closed: boolean }
  | { kind: "bytes"; bytes: Uint8Array }
  | { kind: "big"; size: number }
  | { kind: "form"; text: string }
  | { kind: "text"; text: string };

export interface FuzzRequest {
  method: string;
  path: string;
  query: string;
  host: "own" | "none" | "garbage" | "other";
  cookie: CookieChoice;
  csrf: "none" | "right" | "right-django" | "other" | "garbage" | "body";
  origin: "none" | "own" | "evil" | "null" | "garbage";
  secFetchSite: "none" | "same-origin" | "cross-site" | "garbage";
  contentType: string | null;
  contentEncoding: string | null;
  body: BodyChoice;
  /** How the body's length is declared. "longer" leaves the server waiting for bytes never sent. */
  length: "exact" | "shorter" | "longer" | "chunked" | "none" | "garbage" | "conflicting";
  forwardedFor: string | null;
  userAgent: string | null;
  extraHeaders: Array<[string, string]>;
}

/** Header-safe text: printable ASCII, now and then a byte above 0x7f or a control character. */
const headerText = (maxLength = 40) =>
  fc.oneof(
    {
      weight: 8,
      arbitrary: fc.string({
        unit: fc.integer({ min: 0x20, max: 0x7e }).map((code) => String.fromCharCode(code)),
        maxLength,
      }),
    },
    {
      weight: 1,
      arbitrary: fc.string({
        unit: fc.integer({ min: 0x80, max: 0xff }).map((code) => String.fromCharCode(code)),
        maxLength: 8,
      }),
    },
    { weight: 1, arbitrary: fc.constantFrom("\t", "\u0000", "\u007f", "a\u0001b") },
  );

const token = fc.string({
  unit: fc.constantFrom(..."abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_"),
  minLength: 1,
  maxLength: 24,
});

const KNOWN_PATHS = [
  "/api/session",
  "/api/session/csrf-token",
  "/api/session/extend",
  "/api/session/state",
  "/api/session/events",
  "/api/sessions",
  "/api/auth/login",
  "/api/auth/register",
  "/api/health",
  "/metrics",
  "/",
  "/login",
  "/register",
  "/devices",
  "/logout",
  "/extend",
  "/state",
  "/assets/app.js",
  "/assets/styles.css",
  "/favicon.ico",
] as const;

const ODD_PATHS = [
  "*",
  "//evil.example/api/session",
  "http://evil.example/api/session",
  "/api/../api/session",
  "/api/session/../sessions",
  "/api//session",
  "/API/SESSION",
  "/api/session%2Fstate",
  "/api/sessions/%E0%A4%A",
  "/api/sessions/%00",
  "/assets/../../package.json",
  "/assets/%2e%2e/%2e%2e/etc/passwd",
  "/api/session;jsessionid=1",
  `/api/${"a".repeat(4_000)}`,
  "/\u00e9t\u00e9",
  "example.com:443",
] as const;

const path = fc.oneof(
  { weight: 10, arbitrary: fc.constantFrom(...KNOWN_PATHS) },
  { weight: 3, arbitrary: fc.constantFrom(...ODD_PATHS) },
  { weight: 2, arbitrary: token.map((id) => `/api/sessions/${id}`) },
  { weight: 1, arbitrary: fc.array(token, { maxLength: 4 }).map((parts) => `/${parts.join("/")}`) },
);

const query = fc.oneof(
  { weight: 6, arbitrary: fc.constant("") },
  { weight: 1, arbitrary: fc.constantFrom("?x=1", "?%zz", "?a=%E0%A4%A", "?token=abc&csrf_token=x", "?&&&===") },
  { weight: 1, arbitrary: headerText(30).map((text) => `?${encodeURIComponent(text)}`) },
);

const method = fc.oneof(
  { weight: 12, arbitrary: fc.constantFrom("GET", "POST", "PATCH", "DELETE", "HEAD", "PUT", "OPTIONS") },
  { weight: 2, arbitrary: fc.constantFrom("TRACE", "CONNECT", "PROPFIND", "M-SEARCH", "PURGE", "QUERY", "LINK") },
  { weight: 1, arbitrary: fc.constantFrom("get", "TRACK", "FOO", "G ET", "") },
);

const index = fc.nat({ max: 31 });

const cookie: fc.Arbitrary<CookieChoice> = fc.oneof(
  { weight: 3, arbitrary: fc.constant({ kind: "none" as const }) },
  { weight: 8, arbitrary: index.map((i) => ({ kind: "valid" as const, index: i })) },
  {
    weight: 2,
    arbitrary: fc
      .tuple(index, fc.base64String({ minLength: 0, maxLength: 50 }))
      .map(([i, secret]) => ({ kind: "forged" as const, index: i, secret })),
  },
  {
    weight: 1,
    arbitrary: fc
      .tuple(index, fc.nat({ max: 80 }))
      .map(([i, keep]) => ({ kind: "truncated" as const, index: i, keep })),
  },
  {
    weight: 1,
    arbitrary: fc
      .tuple(index, fc.boolean())
      .map(([i, validFirst]) => ({ kind: "duplicated" as const, index: i, validFirst })),
  },
  { weight: 1, arbitrary: index.map((i) => ({ kind: "other-name" as const, index: i })) },
  { weight: 1, arbitrary: headerText(60).map((text) => ({ kind: "garbage" as const, text })) },
);

/** Keys a state patch might use: ordinary ones, and ones that break naive stores. */
const stateKey = fc.oneof(
  { weight: 4, arbitrary: token },
  { weight: 1, arbitrary: fc.constantFrom("__proto__", "constructor", "a.b", "$", "", "x".repeat(300), "k\u0000") },
  { weight: 1, arbitrary: fc.string({ maxLength: 8 }) },
);

const patchBody: fc.Arbitrary<BodyChoice> = fc
  .record({
    set: fc.dictionary(stateKey, fc.jsonValue({ maxDepth: 3 }), { maxKeys: 4 }),
    unset: fc.oneof(fc.array(stateKey, { maxLength: 3 }), fc.jsonValue({ maxDepth: 1 })),
    ifVersion: fc.oneof(fc.constant(undefined), fc.nat({ max: 50 }), fc.constantFrom(-1, 1.5, "3", null)),
  })
  .map((patch) => ({ kind: "patch" as const, ...patch }));

const credentialsBody: fc.Arbitrary<BodyChoice> = fc
  .record({ index, rightPassword: fc.boolean(), remember: fc.constantFrom(undefined, true, "on", 1, "yes") })
  .map((credentials) => ({ kind: "credentials" as const, ...credentials }));

const deepBody: fc.Arbitrary<BodyChoice> = fc
  .record({ levels: fc.oneof(fc.nat({ max: 40 }), fc.constantFrom(1_000, 20_000)), closed: fc.boolean() })
  .map((deep) => ({ kind: "deep" as const, ...deep }));

/** What a state PATCH may carry: a patch, too deep, too big. */
const stateBody = fc.oneof(
  { weight: 4, arbitrary: patchBody },
  { weight: 2, arbitrary: deepBody },
  { weight: 1, arbitrary: fc.constantFrom(17 * 1024, 64 * 1024 + 1).map((size) => ({ kind: "big" as const, size })) },
);

const body: fc.Arbitrary<BodyChoice> = fc.oneof(
  { weight: 3, arbitrary: fc.constant({ kind: "none" as const }) },
  { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 4 }).map((value) => ({ kind: "json" as const, value })) },
  { weight: 4, arbitrary: patchBody },
  { weight: 3, arbitrary: credentialsBody },
  { weight: 2, arbitrary: deepBody },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 64 }).map((bytes) => ({ kind: "bytes" as const, bytes })) },
  {
    weight: 1,
    arbitrary: fc.constantFrom(60 * 1024, 64 * 1024 + 1, 200 * 1024).map((size) => ({ kind: "big" as const, size })),
  },
  { weight: 1, arbitrary: headerText(60).map((text) => ({ kind: "form" as const, text })) },
  { weight: 1, arbitrary: fc.string({ maxLength: 40 }).map((text) => ({ kind: "text" as const, text })) },
);

const contentType = fc.oneof(
  { weight: 6, arbitrary: fc.constant("application/json") },
  {
    weight: 3,
    arbitrary: fc.constantFrom(
      null,
      "application/x-www-form-urlencoded",
      "text/plain",
      "application/json; charset=latin1",
      "application/merge-patch+json",
      "multipart/form-data; boundary=x",
      "APPLICATION/JSON",
      "application/json;;;",
    ),
  },
  { weight: 1, arbitrary: headerText(30) },
);

/** Anything goes: every part of the request drawn from its widest range. */
const anyRequest: fc.Arbitrary<FuzzRequest> = fc.record({
  method,
  path,
  query,
  host: fc.constantFrom("own", "own", "own", "none", "garbage", "other"),
  cookie,
  csrf: fc.constantFrom("none", "right", "right", "right-django", "other", "garbage", "body"),
  origin: fc.constantFrom("none", "own", "own", "evil", "null", "garbage"),
  secFetchSite: fc.constantFrom("none", "none", "same-origin", "cross-site", "garbage"),
  contentType,
  contentEncoding: fc.constantFrom(null, null, null, "gzip", "br", "identity", "x-unknown"),
  body,
  length: fc.constantFrom(
    "exact",
    "exact",
    "exact",
    "exact",
    "shorter",
    "longer",
    "chunked",
    "none",
    "garbage",
    "conflicting",
  ),
  forwardedFor: fc.oneof(
    fc.constant(null),
    fc.constantFrom("203.0.113.1", "1.2.3.4, 5.6.7.8", "<script>"),
    headerText(20),
  ),
  userAgent: fc.oneof(
    fc.constant("FuzzBrowser/1.0"),
    fc.constant(null),
    headerText(60),
    fc.constant("U".repeat(2_000)),
  ),
  extraHeaders: fc.array(fc.tuple(token, headerText(20)), { maxLength: 3 }),
});

/** The routes a client means to call, with the method each takes. */
const ROUTES: ReadonlyArray<readonly [string, string]> = [
  ["GET", "/api/session"],
  ["GET", "/api/session/csrf-token"],
  ["POST", "/api/session/extend"],
  ["DELETE", "/api/session"],
  ["GET", "/api/session/state"],
  ["PATCH", "/api/session/state"],
  ["GET", "/api/session/events"],
  ["GET", "/api/sessions"],
  ["DELETE", "/api/sessions"],
  ["POST", "/api/auth/register"],
  ["POST", "/api/auth/login"],
  ["GET", "/api/health"],
  ["GET", "/"],
  ["GET", "/devices"],
  ["POST", "/login"],
  ["POST", "/logout"],
  ["POST", "/state"],
];

/**
 * A request that parses as HTTP (printable headers, a true length) and mostly calls a real
 * route with the right method, so that the random part reaches the API's own checks, the
 * session store and the demo pages instead of node:http's parser.
 */
const wellFormedRequest: fc.Arbitrary<FuzzRequest> = fc
  .tuple(
    anyRequest,
    fc.constantFrom(...ROUTES),
    fc.boolean(),
    fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((code) => String.fromCharCode(code)), maxLength: 30 }),
    fc.oneof({ weight: 3, arbitrary: fc.constant(true) }, { weight: 2, arbitrary: fc.constant(false) }),
    index,
    stateBody,
    credentialsBody,
  )
  .map(([request, [routeMethod, routePath], onRoute, userAgent, authentic, session, forState, forLogin]) => ({
    ...request,
    ...(onRoute ? { method: routeMethod, path: routePath, query: "" } : {}),
    // On a route that reads a body, mostly a body made for it.
    ...(onRoute && routePath === "/api/session/state" && routeMethod === "PATCH" ? { body: forState } : {}),
    ...(onRoute && routePath.startsWith("/api/auth/") ? { body: forLogin } : {}),
    // Often the session's own cookie, token and origin, so the body reaches the route itself.
    ...(authentic
      ? { cookie: { kind: "valid" as const, index: session }, csrf: "right" as const, origin: "own" as const }
      : {}),
    host: "own" as const,
    length: "exact" as const,
    contentEncoding: null,
    contentType: request.body.kind === "form" ? "application/x-www-form-urlencoded" : "application/json",
    secFetchSite: request.secFetchSite === "garbage" ? ("none" as const) : request.secFetchSite,
    forwardedFor: null,
    userAgent: `FuzzBrowser/${userAgent.length}`,
    extraHeaders: [],
  }));

export const fuzzRequest: fc.Arbitrary<FuzzRequest> = fc.oneof(
  { weight: 3, arbitrary: wellFormedRequest },
  { weight: 1, arbitrary: anyRequest },
);

/** The bytes of a request, against the pool as it is now. */
export function render(
  request: FuzzRequest,
  pool: Pool,
): {
  head: string[];
  body: Buffer;
  /** Declares more body than it sends: the server may never answer. */
  incomplete: boolean;
  /**
   * Sends bytes past the declared body: node:http reads them as a second request, and may
   * answer that one's 400 first, while the first request still runs to its end.
   */
  pipelined: boolean;
} {
  const pick = <T>(list: T[], at: number): T | undefined => (list.length === 0 ? undefined : list[at % list.length]);
  const session = "index" in request.cookie ? pick(pool.sessions, request.cookie.index) : undefined;
  const head = [`${request.method} ${request.path}${request.query} HTTP/1.1`];
  const { host } = new URL(pool.origin);
  if (request.host === "own") head.push(`Host: ${host}`);
  else if (request.host === "garbage") head.push("Host: bad host[");
  else if (request.host === "other") head.push("Host: evil.example");

  const cookieHeader = renderCookie(request.cookie, session, pool.cookieName);
  if (cookieHeader !== null) head.push(`Cookie: ${cookieHeader}`);
  const other = pick(pool.sessions, ((request.cookie as { index?: number }).index ?? 0) + 1);
  const csrf =
    request.csrf === "right" || request.csrf === "right-django" || request.csrf === "body"
      ? session?.csrfToken
      : request.csrf === "other"
        ? other?.csrfToken
        : request.csrf === "garbage"
          ? "garbage-token"
          : undefined;
  if (csrf && request.csrf === "right-django") head.push(`X-CSRFToken: ${csrf}`);
  else if (csrf && request.csrf !== "body") head.push(`X-CSRF-Token: ${csrf}`);

  if (request.origin === "own") head.push(`Origin: ${pool.origin}`);
  else if (request.origin === "evil") head.push("Origin: https://evil.example");
  else if (request.origin === "null") head.push("Origin: null");
  else if (request.origin === "garbage") head.push("Origin: ::::");
  if (request.secFetchSite === "garbage") head.push("Sec-Fetch-Site: \u00ff\u00fe");
  else if (request.secFetchSite !== "none") head.push(`Sec-Fetch-Site: ${request.secFetchSite}`);
  if (request.contentType !== null) head.push(`Content-Type: ${request.contentType}`);
  if (request.contentEncoding !== null) head.push(`Content-Encoding: ${request.contentEncoding}`);
  if (request.forwardedFor !== null) head.push(`X-Forwarded-For: ${request.forwardedFor}`);
  if (request.userAgent !== null) head.push(`User-Agent: ${request.userAgent}`);
  for (const [name, value] of request.extraHeaders) head.push(`X-${name}: ${value}`);

  const bytes = renderBody(request.body, pool, csrf && request.csrf === "body" ? csrf : undefined);
  let incomplete = false;
  let pipelined = false;
  let sent = bytes;
  switch (request.length) {
    case "exact":
      if (bytes.length > 0 || !["GET", "HEAD"].includes(request.method)) head.push(`Content-Length: ${bytes.length}`);
      break;
    case "shorter":
      head.push(`Content-Length: ${Math.max(0, bytes.length - 3)}`);
      pipelined = bytes.length > 0;
      break;
    case "longer":
      head.push(`Content-Length: ${bytes.length + 10}`);
      incomplete = true;
      break;
    case "chunked":
      head.push("Transfer-Encoding: chunked");
      sent = Buffer.concat([
        Buffer.from(bytes.length > 0 ? `${bytes.length.toString(16)}\r\n` : ""),
        bytes,
        Buffer.from(bytes.length > 0 ? "\r\n0\r\n\r\n" : "0\r\n\r\n"),
      ]);
      break;
    case "none":
      // No declared length: the server reads no body; the bytes become a second (bad) request.
      pipelined = bytes.length > 0;
      break;
    case "garbage":
      head.push("Content-Length: twelve");
      break;
    case "conflicting":
      head.push(`Content-Length: ${bytes.length}`, `Content-Length: ${bytes.length + 1}`);
      break;
  }
  return { head, body: sent, incomplete, pipelined };
}

function renderCookie(choice: CookieChoice, session: PoolSession | undefined, name: string): string | null {
  const valid = session?.token ?? "nosuchid.nosuchsecret";
  switch (choice.kind) {
    case "none":
      return null;
    case "valid":
      return `${name}=${valid}`;
    case "forged":
      return `${name}=${valid.split(".")[0]}.${choice.secret}`;
    case "truncated":
      return `${name}=${valid.slice(0, choice.keep)}`;
    case "duplicated": {
      const forged = `${name}=${valid.split(".")[0]}.AAAA`;
      return choice.validFirst ? `${name}=${valid}; ${forged}` : `${forged}; ${name}=${valid}`;
    }
    case "other-name":
      return `__Host-${name}=${valid}; ${name}x=${valid}`;
    case "garbage":
      return choice.text;
  }
}

function renderBody(choice: BodyChoice, pool: Pool, csrfInBody: string | undefined): Buffer {
  const withCsrf = (value: Record<string, unknown>) => (csrfInBody ? { ...value, csrf_token: csrfInBody } : value);
  switch (choice.kind) {
    case "none":
      return Buffer.alloc(0);
    case "json":
      return Buffer.from(JSON.stringify(choice.value) ?? "");
    case "patch":
      return Buffer.from(
        JSON.stringify(withCsrf({ set: choice.set, unset: choice.unset, ifVersion: choice.ifVersion })),
      );
    case "credentials": {
      const account = pool.accounts.length ? pool.accounts[choice.index % pool.accounts.length] : undefined;
      const username = account?.username ?? "nobody";
      const password = choice.rightPassword && account ? account.password : "not the password";
      return Buffer.from(JSON.stringify(withCsrf({ username, password, remember: choice.remember })));
    }
    case "deep": {
      const open = `{"set":{"k":${"[".repeat(choice.levels)}`;
      return Buffer.from(choice.closed ? `${open}${"]".repeat(choice.levels)}}}` : open);
    }
    case "bytes":
      return Buffer.from(choice.bytes);
    case "big":
      return Buffer.from(JSON.stringify(withCsrf({ set: { big: "x".repeat(choice.size) } })));
    case "form":
      return Buffer.from(`username=${encodeURIComponent(choice.text)}&password=x&_csrf=${csrfInBody ?? ""}`);
    case "text":
      return Buffer.from(choice.text);
  }
}
