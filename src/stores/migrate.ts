import { StoreConflictError } from "../core/errors.js";
import { scanAll } from "./scan-all.js";
import type { Store } from "./store.js";

export interface MigrationReport {
  /** Live sessions read from the source. */
  read: number;
  /** Created in the target. */
  copied: number;
  /** Already in the target (a resumed run): left as they are. */
  skipped: number;
  /** Sessions whose copy differs from the source after the run. */
  mismatched: string[];
  /** The last id handled: pass it as `after` to resume an interrupted run. */
  lastId: string | null;
}

/**
 * Copies every live session (data, state, user index, expiry) from one store to another,
 * in id order. Re-running it resumes: records already in the target are kept (a create of
 * an existing id is refused by every store), and `after` skips what a previous run
 * reported. Afterwards every copied record is read back and compared.
 */
export async function migrateSessions(
  from: Store,
  to: Store,
  options: {
    after?: string;
    now?: () => number;
    /** Called after each session (cheap: a caller that prints should throttle itself). */
    onProgress?: (report: MigrationReport) => void;
  } = {},
): Promise<MigrationReport> {
  const now = options.now ?? (() => Date.now());
  const report: MigrationReport = { read: 0, copied: 0, skipped: 0, mismatched: [], lastId: options.after ?? null };
  for await (const record of scanAll(from, { now, after: options.after })) {
    report.read++;
    try {
      await to.create(record, { now: now() });
      report.copied++;
    } catch (error) {
      if (!(error instanceof StoreConflictError)) throw error;
      report.skipped++;
    }
    const copy = await to.get(record.id, now());
    if (copy && !sameRecord(record, copy)) report.mismatched.push(record.id);
    report.lastId = record.id;
    options.onProgress?.(report);
  }
  return report;
}

export interface UserStateMigrationReport {
  /** User states read from the source. */
  read: number;
  /** Written to the target. */
  copied: number;
  /** Already in the target (a re-run, or written there since): left as they are. */
  skipped: number;
  /** Users whose state in the target differs from the source after the run. */
  mismatched: string[];
}

/**
 * Copies every user's state, version and time kept (so a device's compare-and-set goes on
 * working), to a store that has none for that user; a state already in the target is kept,
 * so running it again copies nothing twice. Null when either store cannot list or insert
 * user states. Afterwards every state is read back from the target and compared.
 */
export async function migrateUserStates(from: Store, to: Store): Promise<UserStateMigrationReport | null> {
  const source = from.userState;
  const target = to.userState;
  if (!source?.entries || !target?.insert) return null;
  const report: UserStateMigrationReport = { read: 0, copied: 0, skipped: 0, mismatched: [] };
  for await (const { userId, record } of source.entries()) {
    report.read++;
    if (await target.insert(userId, record)) report.copied++;
    else report.skipped++;
    const copy = await target.get(userId);
    if (!copy || !sameRecord(record, copy)) report.mismatched.push(userId);
  }
  return report;
}

function sameRecord<T>(a: T, b: T): boolean {
  return canonical(a) === canonical(b);
}

/** JSON with sorted keys at every level, so key order never counts as a difference. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, inner: unknown) =>
    inner && typeof inner === "object" && !Array.isArray(inner)
      ? Object.fromEntries(Object.entries(inner).sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0)))
      : inner,
  );
}
