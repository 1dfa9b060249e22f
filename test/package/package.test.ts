import { type ChildProcess, spawn } from "node:child_process";
import { readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it, vi } from "vitest";
import { type PackedApp, preparePackedApp } from "../support/packed-app.js";
import { codeBlocks } from "../support/readme.js";

/**
 * Stint as `npm install` gives it: the packed tarball in a fresh app outside the repository,
 * imported by its public names only. Nothing here reaches into ../src.
 */

// Every test here type-checks, installs or starts processes: seconds each, and many more on a
// busy machine. Builds, not timings.
vi.setConfig({ testTimeout: 180_000 });

let app: PackedApp;

beforeAll(async () => {
  app = await preparePackedApp();
}, 300_000);

const write = (name: string, text: string) => writeFileSync(join(app.dir, name), text);
const node = (args: string[], env?: NodeJS.ProcessEnv) => app.exec(process.execPath, args, env);

describe("the packed package", () => {
  it("answers every entry of its exports map by name, with the names the README uses", async () => {
    const manifest = JSON.parse(readFileSync(join(app.dir, "node_modules/stint/package.json"), "utf8"));
    const entries = Object.keys(manifest.exports)
      .filter((entry) => entry !== "./package.json")
      .map((entry) => (entry === "." ? "stint" : `stint/${entry.slice(2)}`));
    const expected: Record<string, string[]> = {
      stint: ["createStint", "memoryStore", "fallbackStore", "Session", "StintError", "assertSession"],
      "stint/sqlite": ["sqliteStore", "fromBunSqlite"],
      "stint/redis": ["redisStore"],
      "stint/postgres": ["postgresStore"],
      "stint/file": ["fileStore"],
      "stint/accounts": [
        "createAccounts",
        "hashPassword",
        "verifyPassword",
        "sqliteUserStore",
        "memoryUserStore",
        "sharedAttemptLimiter",
      ],
      "stint/testing": ["describeStore", "makeRecord"],
      "stint/client": ["SessionClient"],
      "stint/react": ["SessionProvider", "useSession", "useSessionState"],
      "stint/adapters/node": ["serve", "nodeSessions", "nodeListener"],
      "stint/adapters/express": ["stintExpress", "requireSession", "requireCsrf"],
      "stint/adapters/fastify": ["stintFastify", "requireSession", "requireCsrf"],
      "stint/adapters/hono": ["stintHono", "requireSession", "requireCsrf"],
      "stint/adapters/koa": ["stintKoa", "requireSession", "requireCsrf"],
      "stint/adapters/next": ["stintNext", "requireSession", "requireCsrf", "hasSessionCookie"],
      "stint/adapters/sveltekit": ["stintHandle", "requireSession", "requireCsrf"],
    };
    for (const entry of Object.keys(expected)) expect(entries).toContain(entry);
    write(
      "import-entries.mjs",
      `const entries = ${JSON.stringify(entries)};
const found = {};
for (const entry of entries) found[entry] = Object.keys(await import(entry)).sort();
console.log(JSON.stringify(found));`,
    );
    const found = JSON.parse((await node(["import-entries.mjs"])).stdout) as Record<string, string[]>;
    for (const [entry, names] of Object.entries(expected)) expect(found[entry]).toEqual(expect.arrayContaining(names));
  });

  it('loads "stint" and serves the API with no native module or store driver on the machine', async () => {
    write(
      "block-drivers.mjs",
      `const blocked = ["better-sqlite3", "ioredis", "pg", "@node-rs/argon2", "bcryptjs"];
export async function resolve(specifier, context, next) {
  const name = specifier.startsWith("@") ? specifier.split("/").slice(0, 2).join("/") : specifier.split("/")[0];
  if (blocked.includes(name)) throw new Error("blocked by the test: " + specifier);
  return next(specifier, context);
}`,
    );
    write(
      "register-block.mjs",
      `import { register } from "node:module"; register("./block-drivers.mjs", import.meta.url);`,
    );
    write(
      "core-only.mjs",
      `import { createStint, memoryStore } from "stint";
const stint = createStint({ store: memoryStore(), secret: "core-only-secret-0123456789abcdefghijkl" });
const token = await stint.handler(new Request("http://app.test/api/session/csrf-token"));
const health = await stint.handler(new Request("http://app.test/api/health"));
console.log(JSON.stringify({ token: token.status, health: health.status, cookie: token.headers.getSetCookie().length }));
await stint.close();`,
    );
    const { stdout } = await node(["--import", "./register-block.mjs", "core-only.mjs"]);
    expect(JSON.parse(stdout)).toEqual({ token: 200, health: 200, cookie: 1 });
    // The block is real: an entry that needs a driver fails under it.
    write("sqlite-entry.mjs", `await import("stint/sqlite");`);
    await expect(node(["--import", "./register-block.mjs", "sqlite-entry.mjs"])).rejects.toThrow(/blocked by the test/);
  });

  it("type-checks every TypeScript block of the README in a strict nodenext app, typed data included", async () => {
    const readme = readFileSync(new URL("../../README.md", import.meta.url), "utf8");
    const blocks = [
      ...codeBlocks(readme, "ts"),
      ...codeBlocks(readme, "tsx").map((block) => ({ ...block, tsx: true })),
    ];
    expect(blocks.length).toBeGreaterThan(10);
    const files = blocks.map((block, index) => {
      const name = `readme-${String(index + 1).padStart(2, "0")}.${"tsx" in block ? "tsx" : "ts"}`;
      // Each block is a module of its own (its imports stay its own), as a reader would paste it.
      write(name, `${block.code}\nexport {};\n`);
      return name;
    });
    write("readme-globals.d.ts", README_GLOBALS);
    write(
      "tsconfig.json",
      JSON.stringify({
        compilerOptions: {
          strict: true,
          module: "nodenext",
          moduleResolution: "nodenext",
          target: "es2022",
          lib: ["es2023", "dom", "dom.iterable"],
          jsx: "react-jsx",
          noEmit: true,
          types: ["node"],
        },
        files: ["readme-globals.d.ts", ...files],
      }),
    );
    const checked = await app.exec(join(app.dir, "node_modules/.bin/tsc"), ["-p", "tsconfig.json"]).then(
      () => "",
      (error: { stdout?: string }) => error.stdout ?? String(error),
    );
    // Another package's own declarations may not pass this strict, skipLibCheck-free setup
    // (Next.js's and @types/koa's do not): only the README's code and Stint's types count.
    const ours = checked
      .split(/\n(?=\S)/)
      .filter((error) => !error.startsWith("node_modules/") || error.startsWith("node_modules/stint/"))
      .join("\n");
    const located = ours.replace(
      /readme-(\d+)\.ts/g,
      (_, n: string) => `README block ${Number(n)} (line ${blocks[Number(n) - 1]?.line})`,
    );
    expect(located).toBe("");
  });

  it("its stint command migrates sessions and users' states between two SQLite files", async () => {
    // The app lives on between runs: start from no database.
    for (const file of readdirSync(app.dir)) if (/^(from|to)\.db/.test(file)) rmSync(join(app.dir, file));
    write(
      "migrate-seed.mjs",
      `import { sqliteStore } from "stint/sqlite";
import { makeRecord } from "stint/testing";
const store = sqliteStore({ path: "from.db" });
const now = Date.now();
await store.create(makeRecord({ userId: "u_alice" }), { now });
await store.userState.patch("u_alice", { set: { theme: "dark" }, now });
await store.userState.patch("u_alice", { set: { language: "fr" }, now });
await store.userState.patch("u_bob", { set: { theme: "light" }, now });
await store.close();`,
    );
    await node(["migrate-seed.mjs"]);
    const { stdout } = await app.exec(join(app.dir, "node_modules/.bin/stint"), [
      "migrate",
      "--from",
      "sqlite:./from.db",
      "--to",
      "sqlite:./to.db",
    ]);
    expect(stdout).toContain("1 live sessions read, 1 copied, 0 already there.");
    expect(stdout).toContain("User states: 2 read, 2 copied, 0 already there.");
    write(
      "migrate-read.mjs",
      `import { sqliteStore } from "stint/sqlite";
const store = sqliteStore({ path: "to.db" });
console.log(JSON.stringify(await store.userState.get("u_alice")));
await store.close();`,
    );
    const copied = JSON.parse((await node(["migrate-read.mjs"])).stdout);
    expect(copied).toMatchObject({ state: { theme: "dark", language: "fr" }, version: 2 });
  });
});

describe("two processes of an Express app on one shared store", () => {
  const running: ChildProcess[] = [];
  afterAll(() => {
    for (const child of running) child.kill();
  });

  const storeSetups = {
    "stint/redis": () => ({ module: "stint/redis", factory: "redisStore", url: inject("redisUrl") }),
    "stint/postgres": () => ({ module: "stint/postgres", factory: "postgresStore", url: inject("databaseUrl") }),
  };

  for (const [name, setup] of Object.entries(storeSetups)) {
    it(`sees a revocation made in one process end the event stream in the other (${name})`, async () => {
      const { module, factory, url } = setup();
      expect(url, "the test harness starts the store's server").not.toBe("");
      write(
        `two-processes-${factory}.mjs`,
        `import express from "express";
import { createStint } from "stint";
import { ${factory} } from "${module}";
import { stintExpress } from "stint/adapters/express";
const options = ${factory === "redisStore" ? `{ url: process.env.STORE_URL, prefix: process.env.PREFIX }` : `{ url: process.env.STORE_URL, table: process.env.PREFIX }`};
const stint = createStint({ store: ${factory}(options), secret: "two-processes-secret-0123456789abcdefgh" });
const app = express();
app.use(express.json(), stintExpress(stint));
app.post("/login", (req, res) => { req.session.login("alice"); res.json({ ok: true }); });
const server = app.listen(0, "127.0.0.1", () => console.log("listening on " + server.address().port));`,
      );
      const prefix = `two_${factory}_${Date.now()}`;
      const start = async () => {
        const child = spawn(process.execPath, [`two-processes-${factory}.mjs`], {
          cwd: app.dir,
          env: { ...process.env, STORE_URL: url, PREFIX: prefix },
          stdio: ["ignore", "pipe", "pipe"],
        });
        running.push(child);
        return new Promise<string>((resolve, reject) => {
          let output = "";
          child.stdout?.on("data", (chunk) => {
            output += chunk;
            const port = /listening on (\d+)/.exec(output)?.[1];
            if (port) resolve(`http://127.0.0.1:${port}`);
          });
          child.stderr?.on("data", (chunk) => {
            output += chunk;
          });
          child.once("exit", (code) => reject(new Error(`the app exited (${code}): ${output}`)));
        });
      };
      const [first, second] = await Promise.all([start(), start()]);
      const login = await fetch(`${first}/login`, { method: "POST", headers: { origin: first } });
      expect(login.status).toBe(200);
      const cookie = (login.headers.getSetCookie()[0] ?? "").split(";")[0] as string;

      // The second process serves the same session, and holds its event stream.
      const stream = await fetch(`${second}/api/session/events`, { headers: { cookie } });
      expect(stream.status).toBe(200);
      const reader = (stream.body as ReadableStream<Uint8Array>).getReader();
      const events = readUntil(reader, /event: (revoked|logout)/);

      const info = await (await fetch(`${first}/api/session`, { headers: { cookie } })).json();
      const logout = await fetch(`${first}/api/session`, {
        method: "DELETE",
        headers: { cookie, origin: first, "x-csrf-token": info.csrfToken },
      });
      expect(logout.status).toBe(204);
      expect(await events).toMatch(/event: logout/);
      expect((await fetch(`${second}/api/session`, { headers: { cookie } })).status).toBe(401);
    });
  }
});

/** Reads a server-sent event stream until `pattern` appears (the test's timeout bounds it). */
async function readUntil(reader: ReadableStreamDefaultReader<Uint8Array>, pattern: RegExp): Promise<string> {
  const decoder = new TextDecoder();
  let text = "";
  while (!pattern.test(text)) {
    const { done, value } = await reader.read();
    if (done) break;
    text += decoder.decode(value, { stream: true });
  }
  await reader.cancel().catch(() => undefined);
  return text;
}

/**
 * What README blocks take as given, the way a reader's app has it: a secret, a store, an app
 * of the block's framework. Declared globally, so a block that defines its own shadows them.
 */
const README_GLOBALS = `
declare const secret: string;
declare const store: import("stint").Store;
declare const database: import("stint/accounts").SqliteUserDatabase;
declare const stint: import("stint").Stint;
declare const request: Request;
declare const session: import("stint").Session;
declare const app: import("express").Express;
declare function showDialog(seconds: number): void;
declare function toast(text: string): void;
`;
