import type BetterSqlite3 from "better-sqlite3";
import { keysetPages } from "./scan-all.js";
import type { UserStateRecord, UserStateStore } from "./store.js";
import { applyUserStatePatch } from "./user-state-patch.js";

type Row = [state: string, version: number, updatedAt: number];

/** Users read at a time by `entries`. */
const PAGE = 500;

/**
 * User states in a table beside the sessions, `<table>_user_state`, created when missing. A
 * patch is read and written inside one IMMEDIATE transaction, which SQLite serializes with
 * every other writer of the file (workers included), so no update is lost.
 *
 * `run` is the session store's driver guard, so failures fail closed the same way.
 */
export function sqliteUserState(
  db: BetterSqlite3.Database,
  table: string,
  run: <T>(call: () => T) => T,
): UserStateStore {
  const t = `"${table}_user_state"`;
  run(() =>
    db.exec(`CREATE TABLE IF NOT EXISTS ${t} (
      user_id TEXT PRIMARY KEY NOT NULL,
      state TEXT NOT NULL,
      version INTEGER NOT NULL,
      updated_at INTEGER NOT NULL
    )`),
  );
  const select = run(() => db.prepare(`SELECT state, version, updated_at FROM ${t} WHERE user_id = ?`).raw(true));
  const upsert = run(() =>
    db.prepare(`INSERT INTO ${t} (user_id, state, version, updated_at) VALUES (?, ?, ?, ?)
      ON CONFLICT (user_id) DO UPDATE SET state = excluded.state, version = excluded.version, updated_at = excluded.updated_at`),
  );
  const remove = run(() => db.prepare(`DELETE FROM ${t} WHERE user_id = ?`));
  const insertNew = run(() =>
    db.prepare(`INSERT INTO ${t} (user_id, state, version, updated_at) VALUES (?, ?, ?, ?)
      ON CONFLICT (user_id) DO NOTHING`),
  );
  const page = run(() =>
    db
      .prepare(`SELECT user_id, state, version, updated_at FROM ${t} WHERE user_id > ? ORDER BY user_id LIMIT ?`)
      .raw(true),
  );

  const read = (userId: string): UserStateRecord | null => {
    const row = select.get(userId) as Row | undefined;
    return row ? decode(row) : null;
  };
  const patchTx = db.transaction((userId: string, patch: Parameters<UserStateStore["patch"]>[1]) => {
    const result = applyUserStatePatch(read(userId), patch);
    if (result.ok) {
      const { state, version, updatedAt } = result.record;
      upsert.run(userId, JSON.stringify(state), version, updatedAt);
    }
    return result;
  });

  return {
    async get(userId) {
      return run(() => read(userId));
    },
    async patch(userId, patch) {
      return run(() => patchTx.immediate(userId, patch));
    },
    async delete(userId) {
      return run(() => remove.run(userId)).changes > 0;
    },
    entries: () =>
      keysetPages(
        (after, limit) =>
          (run(() => page.all(after ?? "", limit)) as Array<[userId: string, ...Row]>).map(([userId, ...row]) => ({
            userId,
            record: decode(row),
          })),
        (entry) => entry.userId,
        PAGE,
      ),
    async insert(userId, { state, version, updatedAt }) {
      return run(() => insertNew.run(userId, JSON.stringify(state), version, updatedAt)).changes > 0;
    },
  };
}

// JSON.parse defines `__proto__` as an own key, so such keys round-trip.
function decode([state, version, updatedAt]: Row): UserStateRecord {
  return { state: JSON.parse(state), version, updatedAt };
}
