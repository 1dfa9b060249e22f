import { chmodSync, closeSync, openSync, statSync } from "node:fs";

/**
 * Creates `file` empty with mode 0600 unless it exists, and tightens an existing one that
 * others can read: for every file Stint writes that holds hashes, records or secrets (the
 * SQLite database, the audit log), wherever it is, not only inside ./data.
 */
export function createPrivateFile(file: string): void {
  try {
    closeSync(openSync(file, "wx", 0o600));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    tightenIfPresent(file);
  }
}

/** Mode 0600 for `file` if it exists and others can read it; nothing otherwise. */
export function tightenIfPresent(file: string): void {
  try {
    if ((statSync(file).mode & 0o077) !== 0) chmodSync(file, 0o600);
  } catch {
    // Absent, or not ours to change: whoever opens it next will say so.
  }
}
