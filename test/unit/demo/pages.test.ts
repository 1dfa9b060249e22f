import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { ApiTarget } from "../../support/api-target.js";
import { noJsBrowser, registerNoJs, startDemo } from "./demo-target.js";

describe("demo pages", () => {
  let target: ApiTarget;
  beforeEach(async () => {
    target = await startDemo();
  });
  afterEach(() => target.close());

  it("renders /login with the form the browser tests rely on", async () => {
    const page = await noJsBrowser(target).get("/login");
    expect(page.status).toBe(200);
    expect(page.headers.get("content-type")).toBe("text/html; charset=utf-8");
    expect(page.text).toContain('<form class="stack" method="post" action="/login"');
    expect(page.text).toMatch(/<input[^>]+name="username"/);
    expect(page.text).toMatch(/<input[^>]+name="password"[^>]*>|<input[^>]+type="password"[^>]+name="password"/);
    expect(page.text).toMatch(/<input type="checkbox" name="remember"/);
    expect(page.text).toMatch(/<button type="submit"[^>]*>Sign in<\/button>/);
    expect(page.text).toContain('role="alert"');
    // Every input has a label.
    expect(page.text).toContain('<label for="username">');
    expect(page.text).toContain('<label for="password">');
  });

  it("renders /register without a remember box", async () => {
    const page = await noJsBrowser(target).get("/register");
    expect(page.status).toBe(200);
    expect(page.text).toContain('action="/register"');
    expect(page.text).toMatch(/name="username"/);
    expect(page.text).toMatch(/name="password"/);
    expect(page.text).not.toContain('name="remember"');
  });

  it("sends / and /devices to /login without a session", async () => {
    const browser = noJsBrowser(target);
    for (const path of ["/", "/devices"]) {
      const answer = await browser.get(path);
      expect(answer.status).toBe(303);
      expect(answer.headers.get("location")).toBe("/login");
    }
  });

  it("clears a dead cookie while redirecting to /login", async () => {
    const answer = await noJsBrowser(target).get("/", { headers: { cookie: "stint_session=forged.token" } });
    expect(answer.status).toBe(303);
    expect(answer.setCookies.some((line) => /^stint_session=;.*Max-Age=0/i.test(line))).toBe(true);
  });

  it("renders the dashboard with the countdown and the workspace switcher", async () => {
    const browser = noJsBrowser(target);
    await registerNoJs(browser, "dana");
    const page = await browser.get("/");
    expect(page.status).toBe(200);
    expect(page.text).toContain("dana");
    expect(page.text).toMatch(/<span data-stint="remaining"[^>]*>30:00<\/span>/);
    expect(page.text.match(/<select id="workspace" name="workspace">/g)).toHaveLength(1);
    for (const label of ["Acme", "Globex", "Initech"]) expect(page.text).toContain(`>${label}</option>`);
    expect(page.text).toContain('data-stint="expiry-warning"');
    expect(page.text).toContain('data-stint="stay-signed-in"');
    expect(page.text).toContain('href="/devices"');
    expect(page.text).toContain('data-stint="toasts" role="status" aria-live="polite"');
  });

  it("counts a page view as activity", async () => {
    const browser = noJsBrowser(target);
    await registerNoJs(browser, "active");
    target.clock.advance(20 * 60_000);
    await browser.get("/");
    target.clock.advance(20 * 60_000);
    // 40 minutes after sign-in, 20 after the last page view: still signed in (30 min idle).
    const page = await browser.get("/");
    expect(page.status).toBe(200);
  });

  it("sends an expired session to /login", async () => {
    const browser = noJsBrowser(target);
    await registerNoJs(browser, "sleepy");
    target.clock.advance(31 * 60_000);
    const answer = await browser.get("/");
    expect(answer.status).toBe(303);
    expect(answer.headers.get("location")).toBe("/login");
  });

  it("sends the security headers on every page", async () => {
    const browser = noJsBrowser(target);
    for (const path of ["/login", "/register", "/nowhere"]) {
      const page = await browser.get(path);
      const csp = page.headers.get("content-security-policy") ?? "";
      expect(csp).toContain("script-src 'self'");
      expect(csp).toContain("frame-ancestors 'none'");
      expect(csp).toContain("default-src 'none'");
      expect(csp).not.toContain("unsafe-inline");
      expect(page.headers.get("x-frame-options")).toBe("DENY");
      expect(page.headers.get("referrer-policy")).toBe("same-origin");
      expect(page.headers.get("x-content-type-options")).toBe("nosniff");
      expect(page.headers.get("cache-control")).toBe("no-store");
    }
  });

  it("has no inline script or style on any page", async () => {
    const browser = noJsBrowser(target);
    await registerNoJs(browser, "strict");
    for (const path of ["/login", "/", "/devices"]) {
      const { text } = await browser.get(path);
      const scripts = text.match(/<script\b[^>]*>/g) ?? [];
      for (const tag of scripts) expect(tag).toMatch(/ src="\/assets\/app\.js/);
      expect(text).not.toMatch(/\sstyle="/);
      expect(text).not.toMatch(/\son[a-z]+="/);
    }
  });

  it("answers unknown pages with a 404 page and the favicon with 204", async () => {
    const browser = noJsBrowser(target);
    const missing = await browser.get("/nowhere");
    expect(missing.status).toBe(404);
    expect(missing.text).toContain("Page not found");
    expect((await browser.get("/favicon.ico")).status).toBe(204);
  });

  it("refuses other methods on page routes", async () => {
    const answer = await noJsBrowser(target).send("PUT", "/login", { csrf: false });
    expect(answer.status).toBe(405);
    expect(answer.headers.get("allow")).toBe("GET, HEAD, POST");
    const logout = await noJsBrowser(target).get("/logout");
    expect(logout.status).toBe(405);
    expect(logout.headers.get("allow")).toBe("POST");
  });

  it("leaves /api/ to the API", async () => {
    const answer = await noJsBrowser(target).get("/api/health");
    expect(answer.status).toBe(200);
    expect(answer.body.status).toBe("ok");
  });
});
