/**
 * Attempt counts in a SQL table, for PostgreSQL and SQLite alike: the same statements, with
 * named parameters (`:key`, `:now`, `:limit`, `:window`, `:counts`) that SQLite takes as they
 * are and PostgreSQL gets numbered (`positional`). Every change is one statement, atomic on
 * its own in both.
 */

/** The table's columns, in the dialect's types for text and 64-bit integers. */
export const attemptColumns = (text: string, integer: string) => `key ${text} PRIMARY KEY NOT NULL,
      started_at ${integer} NOT NULL,
      count integer NOT NULL,
      pending integer NOT NULL,
      expires_at ${integer} NOT NULL`;

export type AttemptParam = "key" | "now" | "limit" | "window" | "counts";

export function attemptStatements(table: string) {
  const now = "CAST(:now AS BIGINT)";
  const end = `${now} + CAST(:window AS BIGINT)`;
  const ended = `a.expires_at <= ${now}`;
  // Unqualified: SQLite's RETURNING knows no table alias.
  const columns = "started_at, count, pending";
  /** An upsert that counts into the live window, or opens a new one over an ended one. */
  const upsert = (count: 0 | 1, pending: 0 | 1, room: string) => `INSERT INTO ${table} AS a
      (key, started_at, count, pending, expires_at) VALUES (:key, ${now}, ${count}, ${pending}, ${end})
    ON CONFLICT (key) DO UPDATE SET
      started_at = CASE WHEN ${ended} THEN ${now} ELSE a.started_at END,
      count = CASE WHEN ${ended} THEN ${count} ELSE a.count + ${count} END,
      pending = CASE WHEN ${ended} THEN ${pending} ELSE a.pending + ${pending} END,
      expires_at = CASE WHEN ${ended} THEN ${end} ELSE a.expires_at END
    WHERE ${ended} OR ${room}
    RETURNING ${columns}`;
  return {
    /** No row back: the window has no room. */
    take: upsert(0, 1, "a.count + a.pending < CAST(:limit AS INTEGER)"),
    add: upsert(1, 0, "1 = 1"),
    get: `SELECT ${columns} FROM ${table} AS a WHERE a.key = :key AND NOT (${ended})`,
    settle: `UPDATE ${table} AS a SET
        pending = CASE WHEN a.pending > 0 THEN a.pending - 1 ELSE 0 END,
        count = a.count + CAST(:counts AS INTEGER)
      WHERE a.key = :key AND NOT (${ended})`,
    reset: `DELETE FROM ${table} WHERE key = :key`,
    prune: `DELETE FROM ${table} WHERE expires_at <= ${now}`,
  };
}

/** A statement with named parameters as PostgreSQL takes it: `$1…` and the names in order. */
export function positional(sql: string): { text: string; names: AttemptParam[] } {
  const names: AttemptParam[] = [];
  const text = sql.replace(/:(key|now|limit|window|counts)\b/g, (_, name: AttemptParam) => {
    if (!names.includes(name)) names.push(name);
    return `$${names.indexOf(name) + 1}`;
  });
  return { text, names };
}

/** The time a window's `started_at`, `count` and `pending` say. */
export function attemptWindow(row: Record<string, unknown> | unknown[] | undefined) {
  if (!row) return null;
  const [startedAt, count, pending] = Array.isArray(row) ? row : [row.started_at, row.count, row.pending];
  return { startedAt: Number(startedAt), count: Number(count), pending: Number(pending) };
}
