import { StoreConflictError } from "../core/errors.js";
import { scanAll } from "./scan-all.js";
import type { SessionRecord, Store } from "./store.js";

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

function sameRecord(a: SessionRecord, b: SessionRecord): boolean {
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
