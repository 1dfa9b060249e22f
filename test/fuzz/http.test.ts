import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import fc from "fast-check";
import { afterAll, describe, expect, inject, it } from "vitest";
import { type ServeProcess, startServe } from "../support/cli.js";
import { type FuzzRequest, fuzzRequest, type Pool, type PoolSession, render } from "../support/fuzz-requests.js";
import { headersOf, type RawAnswer, rawRequest } from "../support/raw-http.js";
import { freePort, startRedis } from "../support/services.js";

/**
 * Issue 10: nothing a client sends stops the server. Random requests over raw sockets to the
 * built `stint serve` (node:http, the API and the demo pages), first on its SQLite default,
 * then on Redis while Redis is down. After every request:
 *
 * - the process still runs;
 * - no 500, and no other 5xx but 503 — and 503 only while the store is really down;
 * - no session secret, server secret, password or password hash in the answer (outside the
 *   Set-Cookie that issues a new token);
 * - a request that failed changed nothing in the store (the SQLite file compared before
 *   and after, sessions and accounts).
 *
 * Seeded and bounded: STINT_FUZZ_SEED and STINT_FUZZ_RUNS replay or widen a run.
 */

const SEED = Number(process.env.STINT_FUZZ_SEED ?? 20_261_204);
const RUNS = Number(process.env.STINT_FUZZ_RUNS ?? 1_500);
const SECRET = "fuzz-server-secret-0123456789abcdefghijklmnopqrstuvwxyz";
/** Each phase stops starting new requests after this long (a loaded machine runs fewer). */
const PHASE_LIMIT_MS = 30_000;
const MAX_POOL = 32;

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

interface Sent {
  answer: RawAnswer;
  head: string[];
  incomplete: boolean;
  /** Bytes past the declared body made a second request: the answer may be that one's. */
  pipelined: boolean;
}

/** What one phase knows: the pool the requests draw on, and every secret that must not leak. */
class Run {
  readonly pool: Pool;
  readonly secrets = new Set<string>([SECRET, "$argon2"]);
  readonly seen: Record<string, number> = {};
  constructor(
    readonly server: ServeProcess,
    passwords: string[],
  ) {
    this.pool = { sessions: [], accounts: [], origin: new URL(server.url).origin, cookieName: "stint_session" };
    for (const password of passwords) this.secrets.add(password);
  }

  async send(request: FuzzRequest): Promise<Sent> {
    const { head, body, incomplete, pipelined } = render(request, this.pool);
    const answer = await rawRequest(this.server.url, head, body, {
      halfClose: incomplete,
      timeoutMs: 20_000,
      streamGraceMs: 200,
    });
    this.seen[answer.status] = (this.seen[answer.status] ?? 0) + 1;
    await this.remember(answer);
    return { answer, head, incomplete, pipelined };
  }

  /** Adds the sessions an answer issued to the pool (their secrets to the watch list). */
  async remember(answer: RawAnswer): Promise<void> {
    for (const line of headersOf(answer, "set-cookie")) {
      const [pair = ""] = line.split(";");
      const value = pair.slice(pair.indexOf("=") + 1);
      if (!pair.startsWith(`${this.pool.cookieName}=`) || !value.includes(".")) continue;
      this.secrets.add(value.split(".")[1] ?? value);
      let csrfToken = "";
      try {
        csrfToken = JSON.parse(answer.body).csrfToken ?? "";
      } catch {
        // A demo page: ask the API.
      }
      if (!csrfToken) {
        const asked = await rawRequest(this.server.url, [
          "GET /api/session/csrf-token HTTP/1.1",
          `Host: ${new URL(this.server.url).host}`,
          `Cookie: ${pair}`,
        ]);
        if (asked.status === 200) csrfToken = JSON.parse(asked.body).csrfToken;
      }
      this.pool.sessions.push({ token: value, csrfToken });
      if (this.pool.sessions.length > MAX_POOL) this.pool.sessions.shift();
    }
  }

  /** Accounts and sessions to start from: signed in, anonymous, with CSRF tokens. */
  async seed(accounts: number): Promise<void> {
    const host = `Host: ${new URL(this.server.url).host}`;
    for (let i = 0; i < accounts; i++) {
      const username = `fuzz_user_${i}`;
      const password = `fuzz password ${i} ${SEED}`;
      this.secrets.add(password);
      const body = JSON.stringify({ username, password });
      const answer = await rawRequest(
        this.server.url,
        [
          "POST /api/auth/register HTTP/1.1",
          host,
          "Content-Type: application/json",
          `Content-Length: ${Buffer.byteLength(body)}`,
        ],
        body,
      );
      expect(answer.status).toBe(201);
      this.pool.accounts.push({ username, password });
      await this.remember(answer);
    }
    for (let i = 0; i < 2; i++) {
      await this.remember(await rawRequest(this.server.url, ["GET /api/session/csrf-token HTTP/1.1", host]));
    }
  }

  /** The answer without the Set-Cookie lines that legitimately carry a new token. */
  leaked(answer: RawAnswer): string | undefined {
    const text = answer.raw
      .split("\r\n")
      .filter((line) => !/^set-cookie:/i.test(line))
      .join("\r\n");
    return [...this.secrets].find((secret) => secret.length >= 6 && text.includes(secret));
  }
}

const describeFailure = (head: string[], answer: RawAnswer) =>
  `${head.slice(0, 12).join(" | ").slice(0, 600)}\n→ ${answer.raw.slice(0, 300)}`;

async function fuzz(run: Run, numRuns: number, check: (sent: Sent) => void) {
  await fc.assert(
    fc.asyncProperty(fuzzRequest, async (request) => {
      const sent = await run.send(request);
      const { answer, head, incomplete } = sent;
      expect(run.server.child.exitCode, "the server process exited").toBeNull();
      // Only a request that never finished sending may go unanswered.
      if (!incomplete) expect(answer.status, describeFailure(head, answer)).not.toBe(0);
      expect(run.leaked(answer), describeFailure(head, answer)).toBeUndefined();
      check(sent);
    }),
    { seed: SEED, numRuns, endOnFailure: true, interruptAfterTimeLimit: PHASE_LIMIT_MS, markInterruptAsFailure: false },
  );
}

describe("fuzz: random requests to stint serve over raw sockets", () => {
  it("on SQLite: the server survives, never answers 5xx, leaks no secret, and a failed request changes nothing", async () => {
    const cwd = mkdtempSync(join(tmpdir(), "stint-fuzz-"));
    dirs.push(cwd);
    const server = await startServe(["--port", String(await freePort())], {
      cwd,
      built: true,
      env: { STINT_SECRET: SECRET },
    });
    const run = new Run(server, []);
    const database = new Database(join(cwd, "data", "stint.db"), { readonly: true, fileMustExist: true });
    let exit: Awaited<ReturnType<ServeProcess["stop"]>> | undefined;
    try {
      await run.seed(4);
      const sessions = database.prepare("SELECT * FROM stint_sessions ORDER BY id");
      const users = database.prepare("SELECT * FROM stint_users ORDER BY id");
      const snapshot = () => JSON.stringify([sessions.all(), users.all()]);
      let before = snapshot();
      let failed = 0;
      await fuzz(run, RUNS, ({ answer, head, pipelined }) => {
        expect(answer.status, describeFailure(head, answer)).toBeLessThan(500);
        const after = snapshot();
        // Stored hashes never appear in answers either.
        for (const row of sessions.all() as Array<{ secret_hash: string }>) run.secrets.add(row.secret_hash);
        if ((answer.status >= 400 || answer.status === 0) && !pipelined) {
          failed++;
          expect(after, `a failed request changed the store: ${describeFailure(head, answer)}`).toBe(before);
        }
        before = after;
      });
      console.info(`[fuzz] SQLite: answers by status ${JSON.stringify(run.seen)}; ${failed} failed requests compared`);
      expect(failed).toBeGreaterThan(50);
      expect(Object.keys(run.seen).some((status) => Number(status) < 300)).toBe(true);
      const health = await fetch(`${server.url}/api/health`);
      expect(health.status).toBe(200);
    } finally {
      database.close();
      exit = await server.stop();
    }
    // A clean stop on SIGTERM: it never crashed along the way.
    expect(exit).toEqual({ code: 0, signal: null });
    expect(server.stderr).not.toMatch(/unexpected error|TypeError|RangeError/);
  }, 120_000);

  it.skipIf(!inject("redisUrl"))(
    "on Redis while Redis is down: only 503 among 5xx, no secret, and the server serves again when it is back",
    async () => {
      const redis = await startRedis({ appendonly: true });
      const cwd = mkdtempSync(join(tmpdir(), "stint-fuzz-redis-"));
      dirs.push(cwd);
      const server = await startServe(["--port", String(await freePort()), "--store", redis.url], {
        cwd,
        built: true,
        env: { STINT_SECRET: SECRET },
      });
      const run = new Run(server, []);
      let exit: Awaited<ReturnType<ServeProcess["stop"]>> | undefined;
      try {
        await run.seed(2);
        const survivor: PoolSession = run.pool.sessions[0]!;
        await redis.kill();
        let unavailable = 0;
        await fuzz(run, Math.ceil(RUNS / 4), ({ answer, head }) => {
          if (answer.status >= 500) {
            expect(answer.status, describeFailure(head, answer)).toBe(503);
            unavailable++;
          }
        });
        console.info(`[fuzz] Redis down: answers by status ${JSON.stringify(run.seen)}`);
        expect(unavailable).toBeGreaterThan(0);
        await redis.restart();
        // Back: the session from before the outage works again (bounded wait to reconnect).
        let status = 0;
        for (const deadline = Date.now() + 15_000; status !== 200 && Date.now() < deadline; ) {
          const answer = await rawRequest(server.url, [
            "GET /api/session HTTP/1.1",
            `Host: ${new URL(server.url).host}`,
            `Cookie: stint_session=${survivor.token}`,
          ]);
          status = answer.status;
          if (status !== 200) await new Promise((resolve) => setTimeout(resolve, 200));
        }
        expect(status).toBe(200);
      } finally {
        exit = await server.stop();
        await redis.dispose();
      }
      expect(exit).toEqual({ code: 0, signal: null });
      expect(server.stderr).not.toMatch(/unexpected error|TypeError|RangeError/);
    },
    120_000,
  );
});
