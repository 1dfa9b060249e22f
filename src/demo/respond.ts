import type { ServerResponse } from "node:http";

/**
 * Every demo page carries these. The CSP allows scripts and styles from this origin only
 * (no inline script, no inline style attribute), so an injection that slipped past the
 * escaper still could not run; `frame-ancestors` and X-Frame-Options stop clickjacking of
 * the sign-out and revoke buttons.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "form-action 'self'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
].join("; ");

const securityHeaders: Readonly<Record<string, string>> = {
  "content-security-policy": CONTENT_SECURITY_POLICY,
  "x-frame-options": "DENY",
  "referrer-policy": "same-origin",
  "x-content-type-options": "nosniff",
  "cross-origin-opener-policy": "same-origin",
};

/** Writes a page. Pages hold a CSRF token and personal data, so no cache may keep them. */
export function sendHtml(
  response: ServerResponse,
  status: number,
  markup: string,
  cookies: string[] = [],
  headers: Record<string, string> = {},
): void {
  response.writeHead(status, {
    ...headers,
    ...securityHeaders,
    "content-type": "text/html; charset=utf-8",
    "cache-control": "no-store",
    "content-length": Buffer.byteLength(markup),
    ...(cookies.length > 0 ? { "set-cookie": cookies } : {}),
  });
  response.end(response.req.method === "HEAD" ? undefined : markup);
}

/** 303 See Other: after a form post the browser follows with a GET (post/redirect/get). */
export function redirect(response: ServerResponse, location: string, cookies: string[] = []): void {
  response.writeHead(303, {
    ...securityHeaders,
    location,
    "cache-control": "no-store",
    "content-length": 0,
    ...(cookies.length > 0 ? { "set-cookie": cookies } : {}),
  });
  response.end();
}
