/**
 * Session validations per second (load + validate a session that needs no touch) for the
 * memory and SQLite stores, against a bare better-sqlite3 primary-key SELECT measured in the
 * same run, alternating.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import type { Store } from "stint";
import { memoryStore } from "stint";
import { sqliteStore } from "stint/sqlite";
import { SessionManager } from "../../src/core/manager.js";
import { countingStore } from "../../test/support/counting-store.js";

const SECRET = "bench-secret-0123456789abcdefghijklmnopqrstuvwxyz";

export interface ValidationResult {
  variant: string;
  opsPerSecond: number;
  ratioToBaseline: number;
  storeWritesPerValidation: number;
}

async function timeLoop(durationMs: number, run: () => Promise<void> | void): Promise<number> {
  let operations = 0;
  const end = performance.now() + durationMs;
  const started = performance.now();
  while (performance.now() < end) {
    for (let i = 0; i < 200; i++) await run();
    operations += 200;
  }
  return operations / ((performance.now() - started) / 1000);
}

async function sessionValidator(store: Store) {
  const counted = countingStore(store);
  const manager = new SessionManager({ store: counted, secrets: SECRET });
  const session = await manager.load(undefined, { userAgent: "bench" });
  session.login("u_bench");
  const cookie = (await manager.commit(session)).setCookies[0] ?? "";
  const token = cookie.slice(cookie.indexOf("=") + 1, cookie.indexOf(";"));
  const before = counted.writes();
  let validations = 0;
  return {
    run: async () => {
      const loaded = await manager.load(token, { userAgent: "bench" });
      if (loaded.isNew) throw new Error("the bench session was not found");
      await manager.commit(loaded, { activity: true });
      validations++;
    },
    writesPerValidation: () => (counted.writes() - before) / Math.max(1, validations),
  };
}

export async function runValidation(options: { rounds: number; durationMs: number }): Promise<ValidationResult[]> {
  const dir = mkdtempSync(join(tmpdir(), "stint-bench-validation-"));
  const db = new Database(join(dir, "baseline.db"));
  db.pragma("journal_mode = WAL");
  db.exec("CREATE TABLE t (id TEXT PRIMARY KEY, v TEXT) WITHOUT ROWID");
  db.prepare("INSERT INTO t VALUES (?, ?)").run("k", JSON.stringify({ a: 1 }));
  const select = db.prepare("SELECT v FROM t WHERE id = ?");
  const baseline = async () => {
    select.get("k");
  };
  const memory = await sessionValidator(memoryStore());
  const sqlite = await sessionValidator(sqliteStore({ path: join(dir, "stint.db") }));
  const totals = { baseline: 0, memory: 0, sqlite: 0 };
  for (let round = 0; round < options.rounds; round++) {
    totals.baseline += await timeLoop(options.durationMs, baseline);
    totals.memory += await timeLoop(options.durationMs, memory.run);
    totals.sqlite += await timeLoop(options.durationMs, sqlite.run);
  }
  const per = (total: number) => total / options.rounds;
  return [
    {
      variant: "bare SQLite primary-key SELECT (baseline)",
      opsPerSecond: per(totals.baseline),
      ratioToBaseline: 1,
      storeWritesPerValidation: 0,
    },
    {
      variant: "Stint validation, memory store",
      opsPerSecond: per(totals.memory),
      ratioToBaseline: totals.memory / totals.baseline,
      storeWritesPerValidation: memory.writesPerValidation(),
    },
    {
      variant: "Stint validation, SQLite store",
      opsPerSecond: per(totals.sqlite),
      ratioToBaseline: totals.sqlite / totals.baseline,
      storeWritesPerValidation: sqlite.writesPerValidation(),
    },
  ];
}
