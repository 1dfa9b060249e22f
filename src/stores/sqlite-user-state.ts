import type BetterSqlite3 from "better-sqlite3";
import type { UserStateRecord, UserStateStore } from "./store.js";
import { applyUserStatePatch } from "./user-state-patch.js";

type Row = [state: string, version: number, updatedAt: number];

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

  const read = (userId: string): UserStateRecord | null => {
    const row = select.get(userId) as Row | undefined;
    // JSON.parse defines `__proto__` as an own key, so such keys round-trip.
    return row ? { state: JSON.parse(row[0]), version: row[1], updatedAt: row[2] } : null;
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
  };
}
