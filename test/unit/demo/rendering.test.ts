import { describe, expect, it } from "vitest";
import { describeDevice, formatRemaining } from "../../../src/demo/format.js";
import { escapeHtml, html } from "../../../src/demo/html.js";
import { errorText, knownError, noticeText } from "../../../src/demo/messages.js";
import { preferencesFromForm, readPreferences } from "../../../src/demo/preferences.js";

describe("html", () => {
  it("escapes every interpolated value", () => {
    const name = `<img src=x onerror="alert('1')">&`;
    expect(html`<p title="${name}">${name}</p>`.toString()).toBe(
      '<p title="&lt;img src=x onerror=&quot;alert(&#39;1&#39;)&quot;&gt;&amp;">&lt;img src=x onerror=&quot;alert(&#39;1&#39;)&quot;&gt;&amp;</p>',
    );
  });

  it("nests safe fragments without escaping them twice, and renders lists", () => {
    const items = ["a<b", "c"].map((item) => html`<li>${item}</li>`);
    expect(html`<ul>${items}</ul>`.toString()).toBe("<ul><li>a&lt;b</li><li>c</li></ul>");
  });

  it("renders nothing for null, undefined and false, and numbers as text", () => {
    expect(html`${null}${undefined}${false}${0}${"x"}`.toString()).toBe("0x");
  });

  it("does not trust an object pretending to be safe", () => {
    const fake = { toString: () => "<script>" };
    expect(html`${fake}`.toString()).toBe("&lt;script&gt;");
    expect(escapeHtml("`")).toBe("&#96;");
  });
});

describe("formatRemaining", () => {
  it("shows minutes and seconds under an hour", () => {
    expect(formatRemaining(29 * 60 + 54)).toBe("29:54");
    expect(formatRemaining(59)).toBe("0:59");
    expect(formatRemaining(0)).toBe("0:00");
    expect(formatRemaining(-5)).toBe("0:00");
  });

  it("shows hours, minutes and seconds under a day, days beyond: the seconds always show", () => {
    expect(formatRemaining(24 * 3600 - 60)).toBe("23:59:00");
    expect(formatRemaining(24 * 3600 - 6)).toBe("23:59:54");
    expect(formatRemaining(3600)).toBe("60:00");
    expect(formatRemaining(3601)).toBe("1:00:01");
    expect(formatRemaining(86_400)).toBe("24:00:00");
    expect(formatRemaining(86_401)).toBe("1 d 0:00:01");
    expect(formatRemaining(7 * 86_400 - 3600)).toBe("6 d 23:00:00");
  });

  it("changes from one second to the next at every scale", () => {
    for (const start of [59, 3599, 3601, 86_399, 86_405, 6 * 86_400 + 17]) {
      expect(formatRemaining(start), String(start)).not.toBe(formatRemaining(start - 1));
    }
  });
});

describe("describeDevice", () => {
  it("names common browsers and systems", () => {
    expect(
      describeDevice(
        "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/140.0 Safari/537.36",
      ),
    ).toBe("Chrome on Linux");
    expect(describeDevice("Mozilla/5.0 (Macintosh; Intel Mac OS X 14_0; rv:130.0) Gecko/20100101 Firefox/130.0")).toBe(
      "Firefox on macOS",
    );
    expect(
      describeDevice(
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1",
      ),
    ).toBe("Safari on iOS");
    expect(describeDevice("Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/140.0 Safari/537.36 Edg/140.0")).toBe(
      "Edge on Windows",
    );
    expect(describeDevice("curl/8.5.0")).toBe("curl");
    expect(describeDevice(null)).toBe("Unknown device");
    expect(describeDevice("something")).toBe("Unknown browser");
  });
});

describe("preferences", () => {
  it("reads state leniently, keeping an unknown workspace", () => {
    expect(readPreferences({})).toEqual({ workspace: "acme", theme: "system", language: "en", notes: "" });
    expect(readPreferences({ workspace: "<x>", theme: "neon", language: 7, notes: ["no"] })).toEqual({
      workspace: "<x>",
      theme: "system",
      language: "en",
      notes: "",
    });
  });

  it("takes only known keys from a form", () => {
    const form = Object.assign(Object.create(null), { workspace: "globex", _csrf: "t", role: "admin", __proto__: "x" });
    expect(preferencesFromForm(form)).toEqual({ workspace: "globex" });
  });
});

describe("messages", () => {
  it("maps codes to fixed texts and never echoes unknown names", () => {
    expect(errorText("invalid_credentials")).toContain("don't match");
    expect(errorText("bad_request", "password must be 8–256 characters.")).toBe("password must be 8–256 characters.");
    expect(errorText("rate_limited", null, 600)).toBe("Too many attempts. Please try again in 10 minutes.");
    expect(errorText("rate_limited", null, 30)).toBe("Too many attempts. Please try again in 1 minute.");
    expect(knownError("<b>x</b>")).toBeUndefined();
    expect(knownError("toString")).toBeUndefined();
    expect(noticeText("constructor")).toBeUndefined();
    expect(noticeText("saved")).toBe("Preferences saved.");
  });
});
