import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { cookieAttributes } from "../support/browser.js";
import { runCli, startServe } from "../support/cli.js";
import { freePort } from "../support/services.js";

const tempDir = () => mkdtempSync(join(tmpdir(), "stint-cookie-flags-"));

describe("stint serve: the cookie's name, domain and SameSite", () => {
  it("--cookie-name, --cookie-domain and --same-site shape the cookie it sets", async () => {
    const server = await startServe(
      [
        "--port",
        String(await freePort()),
        "--cookie-name",
        "app_sid",
        "--cookie-domain",
        "localhost",
        "--same-site",
        "strict",
      ],
      { cwd: tempDir() },
    );
    try {
      const answer = await fetch(`${server.url}/api/session/csrf-token`);
      const line = answer.headers.getSetCookie()[0] ?? "";
      expect(line.startsWith("app_sid=")).toBe(true);
      expect(cookieAttributes(line)).toMatchObject({ domain: "localhost", samesite: "Strict" });
    } finally {
      await server.stop("SIGTERM");
    }
  });

  it("refuses at start, naming the rule, a cookie browsers would drop", async () => {
    const none = await runCli(["serve", "--port", "0", "--same-site", "none"], { cwd: tempDir() });
    expect(none.code).toBe(2);
    expect(none.stderr).toContain("SameSite=None requires Secure");
    const host = await runCli(
      ["serve", "--port", "0", "--secure", "--cookie-name", "__Host-sid", "--cookie-domain", "a.test"],
      {
        cwd: tempDir(),
      },
    );
    expect(host.code).toBe(2);
    expect(host.stderr).toContain("must not have a Domain");
    const unknown = await runCli(["serve", "--port", "0", "--same-site", "sometimes"], { cwd: tempDir() });
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("--same-site");
  });
});
