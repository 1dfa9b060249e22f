import { jsonBytes } from "../core/utf8.js";
import { escapeJson, escapeKey, memberSizes, unescapeJson, unescapeKey } from "./postgres-json.js";
import { type PostgresSidePool, sideTable, stateSize } from "./postgres-schema.js";
import { keysetPages } from "./scan-all.js";
import type { JsonObject, UserStatePatchResult, UserStateRecord, UserStateStore } from "./store.js";

const SUFFIX = "_user_state";
/** Users read at a time by `entries`. */
const PAGE = 500;

/**
 * User states in a table beside the sessions, `<table>_user_state`, created on first use. Each
 * patch is one statement (jsonb `-` removes keys, `||` replaces them whole; `state_bytes`
 * keeps each member's size as JSON.stringify counts it), so concurrent patches of different
 * keys never lose an update. `guard` is the session store's (failures become 503).
 */
export function postgresUserState(
  pool: PostgresSidePool,
  sessionTable: string,
  guard: <T>(call: () => Promise<T>) => Promise<T>,
): UserStateStore {
  const table = sideTable(
    pool,
    sessionTable,
    SUFFIX,
    `user_id text COLLATE "C" PRIMARY KEY,
      state jsonb NOT NULL,
      state_bytes jsonb NOT NULL,
      version integer NOT NULL,
      updated_at bigint NOT NULL`,
    guard,
  );
  const t = table.name;
  const columns = "state::text AS state, version, updated_at";
  const merged = (column: string, set: string) => `(${column} - $4::text[]) || ${set}`;
  const sql = {
    get: `SELECT ${columns} FROM ${t} WHERE user_id = $1`,
    /** $1 user, $2 now, $3 members to set, $4 keys to unset, $5 sizes of the members set, $6 max bytes. */
    upsert: `INSERT INTO ${t} AS s (user_id, state, state_bytes, version, updated_at)
        VALUES ($1, $3::jsonb, $5::jsonb, 1, $2)
      ON CONFLICT (user_id) DO UPDATE SET
        state = ${merged("s.state", "$3::jsonb")},
        state_bytes = ${merged("s.state_bytes", "$5::jsonb")},
        version = s.version + 1,
        updated_at = $2
      WHERE $6::bigint IS NULL OR ${stateSize(merged("s.state_bytes", "$5::jsonb"))} <= $6::bigint
      RETURNING ${columns}`,
    /** $1 user, $2 now, $3 members, $4 their sizes: only when the user has no state yet. */
    insertNew: `INSERT INTO ${t} (user_id, state, state_bytes, version, updated_at)
        VALUES ($1, $3::jsonb, $4::jsonb, 1, $2)
      ON CONFLICT (user_id) DO NOTHING RETURNING ${columns}`,
    /** As `upsert`, and $7 the version it must have. */
    update: `UPDATE ${t} AS s SET
        state = ${merged("s.state", "$3::jsonb")},
        state_bytes = ${merged("s.state_bytes", "$5::jsonb")},
        version = s.version + 1,
        updated_at = $2
      WHERE s.user_id = $1 AND s.version = $7::integer
        AND ($6::bigint IS NULL OR ${stateSize(merged("s.state_bytes", "$5::jsonb"))} <= $6::bigint)
      RETURNING ${columns}`,
    delete: `DELETE FROM ${t} WHERE user_id = $1`,
    /** $1 the last user of the previous page, $2 the page size. */
    page: `SELECT user_id, ${columns} FROM ${t} WHERE user_id > $1 ORDER BY user_id LIMIT $2`,
    /** $1 user, $2 state, $3 its member sizes, $4 version, $5 updated at. */
    insert: `INSERT INTO ${t} (user_id, state, state_bytes, version, updated_at)
        VALUES ($1, $2::jsonb, $3::jsonb, $4, $5)
      ON CONFLICT (user_id) DO NOTHING`,
  };

  const { query } = table;

  return {
    async get(userId) {
      const { rows } = await query(sql.get, [escapeKey(userId)]);
      return rows[0] ? decode(rows[0]) : null;
    },

    async patch(userId, patch): Promise<UserStatePatchResult> {
      const set = patch.set ?? {};
      // Every member set stays in the result, so a set alone over the limit is over it in any case.
      if (patch.maxStateBytes !== undefined && jsonBytes(set) > patch.maxStateBytes) {
        return { ok: false, reason: "too_large" };
      }
      const [members, sizes] = jsonColumns(set);
      const values = [
        escapeKey(userId),
        patch.now,
        members,
        (patch.unset ?? []).map(escapeKey),
        sizes,
        patch.maxStateBytes ?? null,
      ];
      if (patch.ifVersion === undefined) {
        const { rows } = await query(sql.upsert, values);
        return rows[0] ? { ok: true, record: decode(rows[0]) } : { ok: false, reason: "too_large" };
      }
      if (patch.ifVersion === 0) {
        const { rows } = await query(sql.insertNew, [escapeKey(userId), patch.now, members, sizes]);
        return rows[0] ? { ok: true, record: decode(rows[0]) } : { ok: false, reason: "conflict" };
      }
      const { rows } = await query(sql.update, [...values, patch.ifVersion]);
      if (rows[0]) return { ok: true, record: decode(rows[0]) };
      // Nothing matched: a stale version, or a state that would be too large.
      const current = (await query(sql.get, [escapeKey(userId)])).rows[0];
      return { ok: false, reason: current && Number(current.version) === patch.ifVersion ? "too_large" : "conflict" };
    },

    async delete(userId) {
      return ((await query(sql.delete, [escapeKey(userId)])).rowCount ?? 0) > 0;
    },

    entries: () =>
      keysetPages(
        async (after, limit) =>
          (await query(sql.page, [after ?? "", limit])).rows.map((row) => ({
            userId: unescapeKey(String(row.user_id)),
            record: decode(row),
          })),
        // Pages follow the stored (escaped) ids.
        (entry) => escapeKey(entry.userId),
        PAGE,
      ),

    async insert(userId, { state, version, updatedAt }) {
      const values = [escapeKey(userId), ...jsonColumns(state), version, updatedAt];
      return ((await query(sql.insert, values)).rowCount ?? 0) > 0;
    },
  };
}

// jsonb comes as text so the NUL escape is undone before JSON.parse, which keeps `__proto__`
// an own key; bigint comes as a string.
function decode(row: Record<string, unknown>): UserStateRecord {
  return {
    state: JSON.parse(unescapeJson(String(row.state))),
    version: Number(row.version),
    updatedAt: Number(row.updated_at),
  };
}

/** An object as its two columns: the members as jsonb text, and each member's size. */
function jsonColumns(members: JsonObject): [state: string, sizes: string] {
  return [escapeJson(JSON.stringify(members)), escapeJson(JSON.stringify(memberSizes(members)))];
}
