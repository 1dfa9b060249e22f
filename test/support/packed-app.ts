import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

const run = promisify(execFile);
const root = fileURLToPath(new URL("../../", import.meta.url));

/** What a fresh app installs beside Stint: the frameworks and tools a user of each entry has. */
const APP_DEPENDENCIES = [
  "express@5",
  "@types/express@5",
  "fastify@5",
  "hono@4",
  "@hono/node-server@2",
  "koa@3",
  "@types/koa@3",
  "next@16",
  "@sveltejs/kit@2",
  "@sveltejs/vite-plugin-svelte@7",
  "svelte@5",
  "vite@8",
  "react@19",
  "@types/react@19",
  "vitest@4",
  "typescript@5.9",
  "@types/node@20",
  "zod@4",
];

export interface PackedApp {
  /** A fresh app outside the repository, with the packed tarball installed as "stint". */
  dir: string;
  /** Runs a command in the app (an npm binary, node, tsc). */
  exec(file: string, args: string[], env?: NodeJS.ProcessEnv): Promise<{ stdout: string; stderr: string }>;
}

/**
 * Packs the project as npm would publish it (`npm pack`, from the build in dist/) and installs
 * the tarball into a fresh app in the system's temporary directory, as a user would. The app's
 * other dependencies are kept between runs (keyed by this lockfile), so only Stint itself is
 * installed again; the first run of a checkout also compiles better-sqlite3 (about a minute).
 */
export async function preparePackedApp(): Promise<PackedApp> {
  if (!existsSync(join(root, "dist", "index.js"))) await run("npm", ["run", "build", "--silent"], { cwd: root });
  // Keyed by this checkout too: two checkouts testing at once must not install into one app.
  const key = createHash("sha256")
    .update(root)
    .update(readFileSync(join(root, "package-lock.json")))
    .update(APP_DEPENDENCIES.join(" "))
    .digest("hex")
    .slice(0, 12);
  const dir = join(tmpdir(), `stint-packed-app-${key}`);
  const packs = join(dir, "packs");
  mkdirSync(packs, { recursive: true });
  for (const old of readdirSync(packs)) rmSync(join(packs, old), { force: true });
  const { stdout } = await run("npm", ["pack", "--ignore-scripts", "--silent", "--pack-destination", packs], {
    cwd: root,
  });
  const tarball = join(packs, stdout.trim().split("\n").at(-1) as string);
  if (!existsSync(join(dir, "package.json"))) {
    writeFileSync(join(dir, "package.json"), JSON.stringify({ name: "fresh-app", private: true, type: "module" }));
  }
  const env = { ...process.env, npm_config_nodedir: process.env.npm_config_nodedir ?? "/usr" };
  const npm = (args: string[]) =>
    run("npm", [...args, "--no-audit", "--no-fund", "--prefer-offline", "--loglevel=error"], {
      cwd: dir,
      env,
      maxBuffer: 16 * 1024 * 1024,
    });
  if (!existsSync(join(dir, "node_modules", "express"))) await npm(["install", ...APP_DEPENDENCIES]);
  await npm(["install", tarball]);
  return {
    dir,
    exec: (file, args, extraEnv = {}) =>
      run(file, args, { cwd: dir, env: { ...process.env, ...extraEnv }, maxBuffer: 16 * 1024 * 1024 }),
  };
}
