import type BetterSqlite3 from "better-sqlite3";
import { attemptColumns, attemptStatements, attemptWindow } from "./attempts-sql.js";
import type { AttemptCounts } from "./store.js";

/**
 * Attempt counts in a table beside the sessions, `<table>_attempts`, created when missing.
 * `take` is one upsert that only counts while the window has room: SQLite runs each write
 * alone, so the processes sharing the file never pass a limit together. Windows that ended
 * are deleted whenever a window opens.
 *
 * `run` is the session store's driver guard, so failures fail closed the same way.
 */
export function sqliteAttempts(db: BetterSqlite3.Database, table: string, run: <T>(call: () => T) => T): AttemptCounts {
  const name = `"${table}_attempts"`;
  run(() => db.exec(`CREATE TABLE IF NOT EXISTS ${name} (${attemptColumns("TEXT", "INTEGER")})`));
  const sql = attemptStatements(name);
  const prepare = (text: string) => run(() => db.prepare(text));
  const take = prepare(sql.take).raw(true);
  const add = prepare(sql.add);
  const get = prepare(sql.get).raw(true);
  const settle = prepare(sql.settle);
  const reset = prepare(sql.reset);
  const prune = prepare(sql.prune);

  const takeTx = db.transaction((key: string, limit: number, windowMs: number, now: number) => {
    const taken = attemptWindow(take.get({ key, now, limit, window: Math.ceil(windowMs) }) as unknown[] | undefined);
    if (taken) {
      if (taken.count + taken.pending === 1) prune.run({ now });
      return { ...taken, taken: true };
    }
    const full = attemptWindow(get.get({ key, now }) as unknown[] | undefined);
    return { ...(full ?? { count: 0, pending: 0, startedAt: now }), taken: false };
  });

  return {
    async get(key, _windowMs, now) {
      return run(() => attemptWindow(get.get({ key, now }) as unknown[] | undefined));
    },
    async take(key, limit, windowMs, now) {
      return run(() => takeTx.immediate(key, limit, windowMs, now));
    },
    async settle(key, outcome, _windowMs, now) {
      run(() => settle.run({ key, now, counts: outcome === "fail" ? 1 : 0 }));
    },
    async add(key, windowMs, now) {
      run(() => add.run({ key, now, window: Math.ceil(windowMs) }));
    },
    async reset(key) {
      run(() => reset.run({ key }));
    },
  };
}
