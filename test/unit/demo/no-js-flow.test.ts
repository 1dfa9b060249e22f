import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { ApiTarget } from "../../support/api-target.js";
import { csrfOf, noJsBrowser, postForm, registerNoJs, startDemo } from "./demo-target.js";

const PASSWORD = "correct horse battery";

/** A person with JavaScript turned off: every feature still works through plain form posts. */
describe("demo without JavaScript", () => {
  let target: ApiTarget;
  beforeEach(async () => {
    target = await startDemo();
  });
  afterEach(() => target.close());

  it("registers, switches workspace, edits preferences and signs out with form posts", async () => {
    const browser = noJsBrowser(target);
    const registered = await postForm(browser, "/register", { username: "erin", password: PASSWORD });
    expect(registered.status).toBe(303);
    expect(registered.headers.get("location")).toBe("/");
    expect(registered.setCookies.some((line) => line.startsWith("stint_session="))).toBe(true);

    const dashboard = await browser.get("/");
    expect(dashboard.status).toBe(200);
    expect(dashboard.text).toContain("erin");
    const csrf = csrfOf(dashboard);

    const saved = await postForm(browser, "/state", {
      _csrf: csrf,
      workspace: "globex",
      notes: "Quarterly review",
      // Not this form's: the theme is the user's state, and stays as it is here.
      theme: "light",
    });
    expect(saved.status).toBe(303);
    expect(saved.headers.get("location")).toBe("/?notice=saved");
    const preferred = await postForm(browser, "/preferences", {
      _csrf: csrf,
      theme: "dark",
      language: "de",
      workspace: "initech",
    });
    expect(preferred.status).toBe(303);
    expect(preferred.headers.get("location")).toBe("/?notice=saved");

    const after = await browser.get("/?notice=saved");
    expect(after.text).toContain('<option value="globex" selected>Globex</option>');
    expect(after.text).toContain('<input type="radio" name="theme" value="dark" checked>');
    expect(after.text).toContain('<html lang="de" data-theme="dark">');
    expect(after.text).toContain(">Quarterly review</textarea>");
    expect(after.text).toContain("Preferences saved.");
    expect(after.text).toContain('data-stint="workspace-label">Globex<');

    // The API holds what the forms set: the workspace in the session's state, the theme and
    // the language in the user's (every device of erin's sees them).
    const state = await browser.get("/api/session/state");
    expect(state.body.state).toEqual({ workspace: "globex", notes: "Quarterly review" });
    const user = await browser.get("/api/user/state");
    expect(user.body.state).toEqual({ theme: "dark", language: "de" });

    const extended = await postForm(browser, "/extend", { _csrf: csrf });
    expect(extended.headers.get("location")).toBe("/?notice=extended");

    const out = await postForm(browser, "/logout", { _csrf: csrf });
    expect(out.status).toBe(303);
    expect(out.headers.get("location")).toBe("/login?notice=signed-out");
    expect(out.setCookies.some((line) => /Max-Age=0/i.test(line))).toBe(true);
    expect((await browser.get("/")).headers.get("location")).toBe("/login");
    expect((await browser.get("/login?notice=signed-out")).text).toContain("You&#39;re signed out.");
  });

  it("signs in with the login form, remembered when asked", async () => {
    await registerNoJs(noJsBrowser(target), "frank");
    const browser = noJsBrowser(target);
    const answer = await postForm(browser, "/login", { username: "frank", password: PASSWORD, remember: "on" });
    expect(answer.status).toBe(303);
    expect(answer.headers.get("location")).toBe("/");
    expect(answer.setCookies.find((line) => line.startsWith("stint_session="))).toMatch(/Max-Age=\d+/);
    expect((await browser.get("/")).status).toBe(200);
  });

  it("the theme and the language follow the person to another browser; the workspace stays with the session", async () => {
    const laptop = noJsBrowser(target);
    const csrf = await registerNoJs(laptop, "jules");
    await postForm(laptop, "/preferences", { _csrf: csrf, theme: "dark", language: "fr" });
    await postForm(laptop, "/state", { _csrf: csrf, workspace: "initech" });
    const phone = noJsBrowser(target);
    expect((await postForm(phone, "/login", { username: "jules", password: PASSWORD })).status).toBe(303);
    const page = await phone.get("/");
    expect(page.text).toContain('<html lang="fr" data-theme="dark">');
    expect(page.text).toContain('<input type="radio" name="theme" value="dark" checked>');
    expect(page.text).toContain('<option value="acme" selected>Acme</option>');
  });

  it("re-renders a failed sign-in with the error inline and the username kept", async () => {
    await registerNoJs(noJsBrowser(target), "gina");
    const answer = await postForm(noJsBrowser(target), "/login", { username: "gina", password: "wrong password" });
    expect(answer.status).toBe(401);
    expect(answer.text).toMatch(/<div class="alert error" role="alert" data-stint="form-error">[^<]*don&#39;t match/);
    expect(answer.text).toContain('value="gina"');
    expect(answer.text).not.toContain("wrong password");
  });

  it("says why a registration was refused", async () => {
    await registerNoJs(noJsBrowser(target), "hana");
    const taken = await postForm(noJsBrowser(target), "/register", { username: "hana", password: PASSWORD });
    expect(taken.status).toBe(409);
    expect(taken.text).toContain("already taken");
    const short = await postForm(noJsBrowser(target), "/register", { username: "ivo", password: "short" });
    expect(short.status).toBe(400);
    expect(short.text).toMatch(/role="alert"[^>]*>[^<]*password/i);
  });

  it("refuses a form post without the session's CSRF token, changing nothing", async () => {
    const browser = noJsBrowser(target);
    await registerNoJs(browser, "joan");
    const forged = await postForm(browser, "/state", { workspace: "initech" });
    expect(forged.status).toBe(303);
    expect(forged.headers.get("location")).toBe("/?error=csrf_invalid");
    const page = await browser.get("/?error=csrf_invalid");
    expect(page.text).toContain("This form had expired");
    expect(page.text).toContain('<option value="acme" selected>Acme</option>');
    // Still signed in: a refused logout does not sign out either.
    expect((await postForm(browser, "/logout", {})).headers.get("location")).toBe("/?error=csrf_invalid");
    expect((await browser.get("/")).status).toBe(200);
  });

  it("refuses a cross-site form post through the API's origin check", async () => {
    const browser = noJsBrowser(target);
    const csrf = await registerNoJs(browser, "kim");
    const answer = await browser.send("POST", "/logout", {
      form: { _csrf: csrf },
      csrf: false,
      origin: "https://evil.example",
    });
    expect(answer.headers.get("location")).toBe("/?error=origin_mismatch");
    expect((await browser.get("/")).status).toBe(200);
  });

  it("ignores unknown error and notice names in the query", async () => {
    const browser = noJsBrowser(target);
    await registerNoJs(browser, "lee");
    const page = await browser.get("/?error=<b>pwned</b>&notice=constructor");
    expect(page.status).toBe(200);
    expect(page.text).not.toContain("pwned");
    expect(page.text).toMatch(/role="alert" data-stint="form-error" hidden><\/div>/);
  });

  it("escapes user-controlled state on the dashboard", async () => {
    const browser = noJsBrowser(target);
    const csrf = await registerNoJs(browser, "moe_");
    const evil = '<script>alert("x")</script>';
    await postForm(browser, "/state", { _csrf: csrf, workspace: evil, notes: `</textarea>${evil}` });
    const page = await browser.get("/");
    expect(page.text).not.toContain(evil);
    expect(page.text).toContain("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;");
    expect(page.text).toContain(
      '<option value="&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" selected>&lt;script&gt;',
    );
    expect(page.text).toContain("&lt;/textarea&gt;&lt;script&gt;");
    // The only script tag is the bundle.
    expect(page.text.match(/<script\b/g)).toHaveLength(1);
  });

  it("lists devices and signs out other devices and this one", async () => {
    const phone = noJsBrowser(target);
    await registerNoJs(phone, "nia");
    const laptop = new (phone.constructor as typeof import("../../support/browser.js").TestBrowser)(
      target,
      "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_0) Firefox/130.0",
    );
    expect((await postForm(laptop, "/login", { username: "nia", password: PASSWORD })).status).toBe(303);
    const tablet = noJsBrowser(target);
    expect((await postForm(tablet, "/login", { username: "nia", password: PASSWORD })).status).toBe(303);

    const devices = await laptop.get("/devices");
    expect(devices.status).toBe(200);
    expect(devices.text.match(/<li class="device/g)).toHaveLength(3);
    expect(devices.text.match(/data-stint="this-device">This device</g)).toHaveLength(1);
    expect(devices.text).toMatch(/Firefox on macOS<\/span> <span class="badge success" data-stint="this-device">/);
    expect(devices.text).toContain("Sign out everywhere else");
    const ids = [...devices.text.matchAll(/data-session-id="([^"]+)"/g)].map((match) => match[1] ?? "");
    const phoneId = ids.find((id) => !devices.text.includes(`device current" data-session-id="${id}"`));

    const revoked = await postForm(laptop, "/devices/revoke", { _csrf: csrfOf(devices), id: phoneId ?? "" });
    expect(revoked.headers.get("location")).toBe("/devices?notice=revoked");
    const listed = await laptop.get("/devices?notice=revoked");
    expect(listed.text.match(/<li class="device/g)).toHaveLength(2);
    expect(listed.text).toContain("That device is signed out.");

    const others = await postForm(laptop, "/devices/revoke-others", { _csrf: csrfOf(listed) });
    expect(others.headers.get("location")).toBe("/devices?notice=revoked-others");
    expect((await tablet.get("/")).headers.get("location")).toBe("/login");
    const alone = await laptop.get("/devices");
    expect(alone.text.match(/<li class="device/g)).toHaveLength(1);
    expect(alone.text).toMatch(/data-stint="revoke-others-button" disabled/);

    const selfId = /device current" data-session-id="([^"]+)"/.exec(alone.text)?.[1] ?? "";
    const self = await postForm(laptop, "/devices/revoke", { _csrf: csrfOf(alone), id: selfId });
    expect(self.headers.get("location")).toBe("/login?notice=signed-out");
    expect((await laptop.get("/")).headers.get("location")).toBe("/login");
  });

  it("sends a form post without a session to /login", async () => {
    const answer = await postForm(noJsBrowser(target), "/extend", {});
    expect(answer.status).toBe(303);
    expect(answer.headers.get("location")).toBe("/login");
  });

  it("refuses a form over 64 KiB", async () => {
    const answer = await postForm(noJsBrowser(target), "/login", { username: "x".repeat(70_000), password: "p" });
    expect(answer.status).toBe(413);
  });
});
