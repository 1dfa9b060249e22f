import type { IncomingMessage } from "node:http";
import type { Stint } from "../app/stint.js";
import { clientOf, requestOrigin, type TrustProxy } from "../http/adapters/node.js";

export interface ApiCall {
  method: "GET" | "POST" | "PATCH" | "DELETE";
  /** An API.md path, e.g. `/api/session/extend`. */
  path: string;
  /** Sent as JSON. */
  body?: Record<string, unknown>;
  /** The form's `_csrf` field, passed on as the header the API reads. */
  csrfToken?: string | null;
}

export interface ApiAnswer {
  status: number;
  ok: boolean;
  body: unknown;
  /** Every `Set-Cookie` of the answer: the page's own response must pass them all on. */
  cookies: string[];
  error: { code: string; message: string } | null;
  retryAfterSeconds: number | null;
}

// The browser's own headers that the API's checks read: the session cookie, and Origin and
// Sec-Fetch-Site for the cross-site check, so a forged form post fails there as it would
// against the API directly.
const forwarded = ["cookie", "origin", "sec-fetch-site", "user-agent"] as const;

/**
 * Turns a demo request into a Web Request to one of API.md's routes and runs it through
 * `stint.handler`. The demo holds no session logic of its own: login, logout, revocation,
 * CSRF and origin checks all happen in the API exactly as they do for the page script.
 */
export async function callApi(
  stint: Stint,
  request: IncomingMessage,
  call: ApiCall,
  options: { trustProxy?: TrustProxy } = {},
): Promise<ApiAnswer> {
  const headers = new Headers({ accept: "application/json" });
  for (const name of forwarded) {
    const value = request.headers[name];
    if (typeof value === "string") headers.set(name, value);
  }
  if (call.csrfToken) headers.set("x-csrf-token", call.csrfToken);
  if (call.body) headers.set("content-type", "application/json");
  const answer = await stint.handler(
    new Request(new URL(call.path, requestOrigin(request, { ...options, secure: stint.cookie.secure })), {
      method: call.method,
      headers,
      body: call.body ? JSON.stringify(call.body) : undefined,
    }),
    { ip: clientOf(request, options.trustProxy).ip },
  );
  const text = await answer.text();
  let body: unknown = null;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    body = null;
  }
  const retryAfter = Number(answer.headers.get("retry-after"));
  return {
    status: answer.status,
    ok: answer.ok,
    body,
    cookies: answer.headers.getSetCookie(),
    error: answer.ok ? null : errorOf(body, answer.status),
    retryAfterSeconds: Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter : null,
  };
}

function errorOf(body: unknown, status: number): { code: string; message: string } {
  const error = (body as { error?: { code?: unknown; message?: unknown } } | null)?.error;
  if (typeof error?.code === "string") {
    return { code: error.code, message: typeof error.message === "string" ? error.message : error.code };
  }
  return { code: "http_error", message: `The API answered ${status}.` };
}
