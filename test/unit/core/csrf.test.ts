import { describe, expect, it } from "vitest";
import {
  csrfTokenFor,
  isOriginAllowed,
  isUnsafeMethod,
  normalizeOrigin,
  verifyCsrfToken,
} from "../../../src/core/csrf.js";
import { userAgentFingerprint } from "../../../src/core/fingerprint.js";
import { SecretRing } from "../../../src/core/secrets.js";

const OLD = "old-secret-0123456789abcdefghijklmnop";
const NEW = "new-secret-0123456789abcdefghijklmnop";
const ring = new SecretRing(NEW);
const SESSION = "AAAAAAAAAAAAAAAAAAAAAA";
const OTHER_SESSION = "BBBBBBBBBBBBBBBBBBBBBB";

const APP = "http://a.com";
const allowedOrigins: ReadonlySet<string> = new Set([APP, "https://app.test"]);
const unsafe = (origin: string | null, secFetchSite: string | null = null) =>
  isOriginAllowed({ method: "POST", origin, secFetchSite, allowedOrigins });

describe("CSRF tokens", () => {
  it("are the same for the same session id and verify for it", () => {
    const token = csrfTokenFor(ring, SESSION);
    expect(csrfTokenFor(ring, SESSION)).toBe(token);
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(verifyCsrfToken(ring, SESSION, token)).toBe(true);
  });

  it("differ between session ids and do not verify for another session", () => {
    const token = csrfTokenFor(ring, SESSION);
    expect(csrfTokenFor(ring, OTHER_SESSION)).not.toBe(token);
    expect(verifyCsrfToken(ring, OTHER_SESSION, token)).toBe(false);
  });

  it("are not a MAC of another purpose over the same id", () => {
    // A user-agent fingerprint is also a MAC under the ring; it must never pass as a CSRF token.
    expect(verifyCsrfToken(ring, SESSION, userAgentFingerprint(ring, SESSION))).toBe(false);
  });

  it("keep verifying across a secret rotation and stop when the old secret is dropped", () => {
    const before = csrfTokenFor(new SecretRing(OLD), SESSION);
    expect(verifyCsrfToken(new SecretRing([NEW, OLD]), SESSION, before)).toBe(true);
    expect(verifyCsrfToken(new SecretRing([NEW]), SESSION, before)).toBe(false);
    expect(csrfTokenFor(new SecretRing([NEW, OLD]), SESSION)).toBe(csrfTokenFor(ring, SESSION));
  });

  it("refuse a missing, empty, overlong or wrong token", () => {
    const token = csrfTokenFor(ring, SESSION);
    expect(verifyCsrfToken(ring, SESSION, undefined)).toBe(false);
    expect(verifyCsrfToken(ring, SESSION, null)).toBe(false);
    expect(verifyCsrfToken(ring, SESSION, "")).toBe(false);
    expect(verifyCsrfToken(ring, SESSION, token.repeat(7))).toBe(false);
    expect(verifyCsrfToken(ring, SESSION, "x".repeat(10_000))).toBe(false);
    expect(verifyCsrfToken(ring, SESSION, `${token.slice(0, -1)}${token.endsWith("A") ? "B" : "A"}`)).toBe(false);
    expect(verifyCsrfToken(ring, SESSION, `${token} `)).toBe(false);
    expect(verifyCsrfToken(ring, SESSION, SESSION)).toBe(false);
  });

  it("refuse values that are not strings", () => {
    expect(verifyCsrfToken(ring, SESSION, 42 as unknown as string)).toBe(false);
    expect(verifyCsrfToken(ring, SESSION, [csrfTokenFor(ring, SESSION)] as unknown as string)).toBe(false);
  });
});

describe("isUnsafeMethod", () => {
  it("treats GET, HEAD, OPTIONS and TRACE as safe in any case, everything else as unsafe", () => {
    for (const method of ["GET", "head", "Options", "TRACE"]) expect(isUnsafeMethod(method)).toBe(false);
    for (const method of ["POST", "put", "PATCH", "DELETE", "PROPFIND", ""]) expect(isUnsafeMethod(method)).toBe(true);
  });
});

describe("normalizeOrigin", () => {
  it("drops default ports, paths and trailing slashes and lowercases scheme and host", () => {
    expect(normalizeOrigin("http://a.com:80")).toBe(APP);
    expect(normalizeOrigin("https://app.test:443/")).toBe("https://app.test");
    expect(normalizeOrigin("http://a.com/")).toBe(APP);
    expect(normalizeOrigin("http://a.com/some/path?q=1#x")).toBe(APP);
    expect(normalizeOrigin("HTTP://A.COM")).toBe(APP);
  });

  it("keeps a non-default port", () => {
    expect(normalizeOrigin("http://a.com:8080/")).toBe("http://a.com:8080");
    expect(normalizeOrigin("https://app.test:80")).toBe("https://app.test:80");
  });

  it("is null for 'null', scheme-less, relative, non-http and unparsable values", () => {
    for (const value of ["null", "", "a.com", "//evil.com", "/path", "file:///etc/passwd", "ftp://a.com"]) {
      expect(normalizeOrigin(value)).toBeNull();
    }
    for (const value of ["javascript:alert(1)", "data:text/html,x", "chrome-extension://abc", "http://"]) {
      expect(normalizeOrigin(value)).toBeNull();
    }
  });
});

describe("isOriginAllowed", () => {
  it("lets safe methods pass whatever the Origin and Sec-Fetch-Site say", () => {
    for (const method of ["GET", "HEAD", "OPTIONS"]) {
      expect(isOriginAllowed({ method, origin: "https://evil.com", secFetchSite: "cross-site", allowedOrigins })).toBe(
        true,
      );
    }
  });

  it("lets an unsafe request from an allowed origin pass", () => {
    expect(unsafe(APP)).toBe(true);
    expect(unsafe("https://app.test")).toBe(true);
    expect(isOriginAllowed({ method: "delete", origin: APP, secFetchSite: "same-origin", allowedOrigins })).toBe(true);
  });

  it("decides by Origin when present, even against Sec-Fetch-Site", () => {
    expect(unsafe(APP, "cross-site")).toBe(true);
    expect(unsafe("https://evil.com", "same-origin")).toBe(false);
  });

  it("refuses another origin and the opaque origin 'null'", () => {
    expect(unsafe("https://evil.com")).toBe(false);
    expect(unsafe("null")).toBe(false);
    expect(unsafe("")).toBe(false);
  });

  it("refuses prefix and userinfo tricks", () => {
    expect(unsafe("http://a.com.evil.com")).toBe(false);
    expect(unsafe("http://a.com@evil.com")).toBe(false);
    expect(unsafe("http://evil.com/http://a.com")).toBe(false);
    expect(unsafe("http://evila.com")).toBe(false);
    expect(unsafe("http://sub.a.com")).toBe(false);
    expect(unsafe("http://a.com.")).toBe(false);
  });

  it("refuses a scheme-less origin and non-http schemes", () => {
    expect(unsafe("//evil.com")).toBe(false);
    expect(unsafe("//a.com")).toBe(false);
    expect(unsafe("a.com")).toBe(false);
    expect(unsafe("ftp://a.com")).toBe(false);
    expect(unsafe("file://a.com")).toBe(false);
    expect(unsafe("chrome-extension://a.com")).toBe(false);
  });

  it("refuses the allowed host on another scheme or port", () => {
    expect(unsafe("https://a.com")).toBe(false);
    expect(unsafe("http://a.com:8080")).toBe(false);
    expect(unsafe("https://app.test:8443")).toBe(false);
    expect(unsafe("http://app.test")).toBe(false);
  });

  it("without Origin, refuses Sec-Fetch-Site: cross-site in any case and spacing", () => {
    expect(unsafe(null, "cross-site")).toBe(false);
    expect(unsafe(null, " Cross-Site ")).toBe(false);
  });

  it("without Origin, allows same-origin, same-site, none, an unknown value and a missing header", () => {
    expect(unsafe(null, "same-origin")).toBe(true);
    expect(unsafe(null, "same-site")).toBe(true);
    expect(unsafe(null, "none")).toBe(true);
    expect(unsafe(null, "foo")).toBe(true);
    expect(unsafe(null, null)).toBe(true);
  });

  it("refuses everything unsafe with an Origin when nothing is allowed", () => {
    expect(isOriginAllowed({ method: "POST", origin: APP, secFetchSite: null, allowedOrigins: new Set() })).toBe(false);
  });
});
