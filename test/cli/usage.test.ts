import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, inject, it } from "vitest";
import { type CliResult, runCli, startServe } from "../support/cli.js";
import { freePort } from "../support/services.js";

/**
 * Issue 10: the command line answers bad input as clearly as the API. Every subcommand has
 * its own `--help` (exit 0); an unknown flag, a stray argument or a bad value names it and
 * shows that subcommand's usage (exit 2); no store URL is ever printed with its password.
 * The built CLI (`npm run build` first), as the package ships it.
 */

const dirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "stint-usage-"));
  dirs.push(dir);
  return dir;
}
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

const stint = (args: string[], env?: Record<string, string>) => runCli(args, { cwd: tempDir(), built: true, env });

/** What node's own parseArgs says; our messages never read like it. */
const PARSE_ARGS_WORDING = /To specify a positional argument|ERR_PARSE_ARGS|TypeError/;

function expectUsageError(result: CliResult, command: string, names: string): void {
  expect(result.code, result.stderr).toBe(2);
  expect(result.stdout).toBe("");
  const [first = "", ...rest] = result.stderr.trim().split("\n");
  expect(first).toContain(`stint ${command}: `);
  expect(first).toContain(names);
  expect(rest.join("\n")).toContain(`Usage: stint ${command}`);
  expect(result.stderr).not.toMatch(PARSE_ARGS_WORDING);
}

describe("stint COMMAND --help", () => {
  it.each([
    ["serve", "--trust-proxy [HOPS]"],
    ["sessions", "stint sessions revoke (ID | --user NAME | --all)"],
    ["cleanup", "Deletes expired sessions"],
    ["stats", "--json"],
    ["migrate", "--from URL"],
  ])("stint %s --help prints its own usage and exits 0", async (command, mentions) => {
    for (const help of ["--help", "-h"]) {
      const result = await stint([command, help]);
      expect(result.code).toBe(0);
      expect(result.stderr).toBe("");
      expect(result.stdout.trim().startsWith(`Usage: stint ${command}`)).toBe(true);
      expect(result.stdout).toContain(mentions);
    }
  });

  it("answers --help wherever it stands, even beside required flags left out or bad ones", async () => {
    for (const args of [
      ["migrate", "--help"],
      ["migrate", "--from", "sqlite:a.db", "--help"],
      ["sessions", "revoke", "--help"],
      ["serve", "--port", "nope", "--help"],
    ]) {
      const result = await stint(args);
      expect(result.code, args.join(" ")).toBe(0);
      expect(result.stdout).toContain(`Usage: stint ${args[0]}`);
      expect(result.stdout + result.stderr).not.toMatch(PARSE_ARGS_WORDING);
    }
    const topic = await stint(["help", "migrate"]);
    expect(topic.code).toBe(0);
    expect(topic.stdout).toContain("Usage: stint migrate");
  });

  it("without a command, prints the overview to stderr and exits 2; an unknown command too", async () => {
    const none = await stint([]);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain("stint COMMAND --help");
    const unknown = await stint(["frobnicate"]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('Unknown command "frobnicate"');
  });
});

describe("bad input on the command line", () => {
  it("an unknown flag is named, with that command's usage, exit 2", async () => {
    for (const command of ["serve", "cleanup", "stats", "migrate"]) {
      expectUsageError(await stint([command, "--bogus"]), command, "Unknown flag --bogus.");
    }
    expectUsageError(await stint(["sessions", "list", "--bogus"]), "sessions", "Unknown flag --bogus.");
  });

  it("a bad value names its flag, from the flag or from its environment variable", async () => {
    expectUsageError(await stint(["serve", "--port", "http"]), "serve", "--port");
    expectUsageError(await stint(["serve", "--port", "70000"]), "serve", "--port");
    expectUsageError(await stint(["serve", "--max-sessions-per-user", "0"]), "serve", "--max-sessions-per-user");
    expectUsageError(await stint(["serve", "--workers", "two"]), "serve", "--workers");
    expectUsageError(await stint(["serve", "--trust-proxy=many"]), "serve", "--trust-proxy");
    expectUsageError(await stint(["serve"], { STINT_TRUST_PROXY: "lots" }), "serve", "--trust-proxy");
    expectUsageError(await stint(["serve", "--store-fallback", "disk"]), "serve", "--store-fallback");
    expectUsageError(await stint(["serve", "--idle-timeout", "5w"]), "serve", "--idle-timeout");
    expectUsageError(await stint(["serve", "--port"]), "serve", "--port needs a value.");
    expectUsageError(await stint(["serve", "--store", "mysql://db/x"]), "serve", "--store");
    expectUsageError(await stint(["stats", "--store", "nope"]), "stats", "--store");
    expectUsageError(await stint(["migrate", "--from", "nope:", "--to", "memory:"]), "migrate", "--from");
    expectUsageError(await stint(["migrate", "--from", "memory:"]), "migrate", "--to");
  });

  it("a stray argument or a missing action is named, with that command's usage", async () => {
    expectUsageError(await stint(["serve", "3000"]), "serve", 'Unexpected argument "3000"');
    expectUsageError(await stint(["cleanup", "now"]), "cleanup", 'Unexpected argument "now"');
    expectUsageError(await stint(["sessions"]), "sessions", "list or revoke");
    expectUsageError(await stint(["sessions", "purge"]), "sessions", 'Unknown action "purge"');
    expectUsageError(await stint(["sessions", "revoke", "a", "b"]), "sessions", 'Unexpected argument "b"');
  });
});

describe("store URLs are never printed with their password", () => {
  const secrets = ["hunter2", "s3cr3t", "qwerty9", "zxcv8"];
  const expectHidden = (result: CliResult) => {
    for (const secret of secrets) {
      expect(result.stdout).not.toContain(secret);
      expect(result.stderr).not.toContain(secret);
    }
  };

  it("in usage errors and in failures to connect, whatever the URL's form", async () => {
    const closed = await freePort();
    for (const url of [
      `redis://:hunter2@127.0.0.1:${closed}/0`,
      `redis://default:hunter2@127.0.0.1:${closed}/0`,
      `rediss://:hunter2@127.0.0.1:${closed}`,
      `redis://:hunt/er2@s3cr3t@127.0.0.1:${closed}`,
      `postgres://app:hunter2@127.0.0.1:${closed}/db`,
      `postgresql://app@127.0.0.1:${closed}/db?password=qwerty9&sslpassword=zxcv8`,
      "redis+cluster://:hunter2@127.0.0.1:1,127.0.0.1:2",
      "mysql://root:hunter2@db/x",
    ]) {
      const result = await stint(["stats", "--store", url], {});
      expect(result.code, url).not.toBe(0);
      expectHidden(result);
    }
  });

  it.skipIf(!inject("databaseUrl"))(
    "in stint serve's ready line, stats and migrate, on a real PostgreSQL (password and query forms)",
    async () => {
      // The test server trusts every local connection, so any password is accepted and ignored.
      const base = new URL(inject("databaseUrl"));
      const withPassword = `postgres://${base.username}:hunter2@${base.host}${base.pathname}?password=qwerty9`;
      const cwd = tempDir();
      const server = await startServe(["--port", String(await freePort()), "--store", withPassword], {
        cwd,
        built: true,
      });
      try {
        expect(server.stdout).toContain("postgres://");
        expect(server.stdout).toContain(":***@");
        expectHidden({ code: 0, signal: null, stdout: server.stdout, stderr: server.stderr });
      } finally {
        await server.stop();
      }
      const stats = await runCli(["stats", "--store", withPassword], { cwd, built: true });
      expect(stats.code).toBe(0);
      expectHidden(stats);
      const migrated = await runCli(["migrate", "--from", withPassword, "--to", "memory:"], { cwd, built: true });
      expect(migrated.code, migrated.stderr).toBe(0);
      expectHidden(migrated);
    },
  );
});
