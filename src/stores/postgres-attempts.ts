import { type AttemptParam, attemptColumns, attemptStatements, attemptWindow, positional } from "./attempts-sql.js";
import { escapeKey } from "./postgres-json.js";
import { type PostgresSidePool, sideTable } from "./postgres-schema.js";
import type { AttemptCounts } from "./store.js";

/** Windows that ended are deleted at most this often, by whichever process counts one. */
const PRUNE_EVERY_MS = 60_000;

/**
 * Attempt counts in a table beside the sessions, `<table>_attempts`, created on first use.
 * `take` is one statement (an upsert that only counts while the window has room), so
 * concurrent takes from any number of servers never pass the limit together.
 */
export function postgresAttempts(
  pool: PostgresSidePool,
  sessionTable: string,
  guard: <T>(call: () => Promise<T>) => Promise<T>,
): AttemptCounts {
  const table = sideTable(pool, sessionTable, "_attempts", attemptColumns('text COLLATE "C"', "bigint"), guard);
  const statements = Object.fromEntries(
    Object.entries(attemptStatements(table.name)).map(([name, sql]) => [name, positional(sql)]),
  ) as Record<keyof ReturnType<typeof attemptStatements>, ReturnType<typeof positional>>;
  const run = async (name: keyof typeof statements, values: Partial<Record<AttemptParam, unknown>>) => {
    const { text, names } = statements[name];
    return (
      await table.query(
        text,
        names.map((param) => values[param]),
      )
    ).rows[0];
  };
  let prunedAt = 0;
  const prune = async (now: number) => {
    if (now - prunedAt < PRUNE_EVERY_MS) return;
    prunedAt = now;
    await run("prune", { now });
  };

  return {
    async get(key, _windowMs, now) {
      return attemptWindow(await run("get", { key: escapeKey(key), now }));
    },
    async take(key, limit, windowMs, now) {
      await prune(now);
      const taken = attemptWindow(await run("take", { key: escapeKey(key), now, limit, window: Math.ceil(windowMs) }));
      if (taken) return { ...taken, taken: true };
      const full = attemptWindow(await run("get", { key: escapeKey(key), now }));
      return { ...(full ?? { count: 0, pending: 0, startedAt: now }), taken: false };
    },
    async settle(key, outcome, _windowMs, now) {
      await run("settle", { key: escapeKey(key), now, counts: outcome === "fail" ? 1 : 0 });
    },
    async add(key, windowMs, now) {
      await prune(now);
      await run("add", { key: escapeKey(key), now, window: Math.ceil(windowMs) });
    },
    async reset(key) {
      await run("reset", { key: escapeKey(key) });
    },
  };
}
