import { type ChildProcess, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import type { RemoteHost } from "./api-target.js";
import { TEST_ADMIN_TOKEN, TEST_HASHER_COSTS, TEST_POLICY, TEST_SECRET } from "./api-target.js";

const root = fileURLToPath(new URL("../../", import.meta.url));
// Inside node_modules: the bundle finds the packages it leaves out (argon2's native module) there.
const outDir = `${root}node_modules/.cache/stint-runtimes/`;

/**
 * Bundles `entry` (a script importing the package entries "stint", "stint/accounts", …) with
 * esbuild, as an app for that runtime would be built: one ES module. Native modules stay
 * outside (the runtime loads them from node_modules). On Bun and Deno, CommonJS dependencies
 * get a `require` (ES modules have none); a Worker (workerd) has none to give.
 */
export async function bundleFor(runtime: string, entry: string, options: { worker?: boolean } = {}) {
  mkdirSync(outDir, { recursive: true });
  const outfile = `${outDir}${runtime}.mjs`;
  await build({
    entryPoints: [`${root}${entry}`],
    outfile,
    bundle: true,
    format: "esm",
    platform: "node",
    target: "es2022",
    tsconfig: `${root}tsconfig.json`,
    external: ["@node-rs/argon2", "bun:sqlite"],
    conditions: options.worker ? ["workerd", "worker"] : [],
    banner: options.worker
      ? {}
      : { js: 'import { createRequire } from "node:module"; const require = createRequire(import.meta.url);' },
    logLevel: "error",
  });
  return outfile;
}

/** Starts a server process and waits for its "listening on URL" line. */
export async function startProcess(
  command: string,
  args: string[],
  onLine: (line: string) => void = () => undefined,
  adminToken: string | null = TEST_ADMIN_TOKEN,
  env: Record<string, string> = {},
): Promise<{ child: ChildProcess; baseUrl: string; stop(): Promise<void> }> {
  const child = spawn(command, args, {
    cwd: root,
    env: {
      ...process.env,
      ...env,
      NO_COLOR: "1",
      DENO_NO_UPDATE_CHECK: "1",
      STINT_TEST_OPTIONS: testOptions(adminToken),
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  const baseUrl = await new Promise<string>((resolve, reject) => {
    // The server's own lines (the audit log) come on stdout; workerd says where it listens on stderr.
    const reader = (onOther: (line: string) => void) => {
      let pending = "";
      return (chunk: Buffer) => {
        output += chunk;
        pending += chunk.toString("utf8");
        const lines = pending.split("\n");
        pending = lines.pop() ?? "";
        for (const line of lines) {
          const url = /^listening on (http:\/\/\S+)/i.exec(line)?.[1];
          if (url) resolve(url);
          else if (line) onOther(line);
        }
      };
    };
    child.stdout?.on("data", reader(onLine));
    child.stderr?.on(
      "data",
      reader(() => undefined),
    );
    child.once("exit", (code) => reject(new Error(`${command} exited (${code}):\n${output}`)));
  });
  return {
    child,
    baseUrl,
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.kill();
      await exited;
    },
  };
}

/** The options of api-target.ts's Stint, for a server in another runtime. */
function testOptions(adminToken: string | null): string {
  const admin = adminToken === null ? {} : { adminToken };
  return JSON.stringify({ secret: TEST_SECRET, ...TEST_POLICY, heartbeatMs: 500, hasher: TEST_HASHER_COSTS, ...admin });
}

/**
 * test/fixtures/runtimes/server.ts on Bun or Deno, as a RemoteHost: one server per test (each
 * test starts from an empty store: the memory store, or on Bun a new `bun:sqlite` file), the
 * test's clock sent before each request that follows a change of it.
 */
export function runtimeHost(
  runtime: "bun" | "deno",
  bundle: () => Promise<string>,
  store: "memory" | "bun:sqlite" = "memory",
): RemoteHost {
  const binary = `${root}node_modules/.bin/${runtime}`;
  return {
    runtime,
    store: store === "memory" ? "memory" : "sqlite",
    async start({ clock, logLines, adminToken }) {
      const file = await bundle();
      const args = runtime === "deno" ? ["run", "--allow-all", "--no-prompt", file] : [file];
      const dir = store === "memory" ? null : mkdtempSync(join(tmpdir(), "stint-bun-"));
      const env: Record<string, string> = dir ? { STINT_TEST_SQLITE: join(dir, "stint.db") } : {};
      const server = await startProcess(binary, args, (line) => logLines.push(line), adminToken, env);
      let sentTime: number | null = null;
      return {
        baseUrl: server.baseUrl,
        async fetch(request) {
          if (clock.now() !== sentTime) {
            sentTime = clock.now();
            const answer = await fetch(`${server.baseUrl}/__test/clock`, { method: "PUT", body: String(sentTime) });
            if (answer.status !== 204)
              throw new Error(`The ${runtime} server did not take the clock (${answer.status}).`);
          }
          return fetch(request);
        },
        async close() {
          await server.stop();
          if (dir) rmSync(dir, { recursive: true, force: true });
        },
      };
    },
  };
}
