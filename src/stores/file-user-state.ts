import { createHash, randomBytes } from "node:crypto";
import { mkdirSync, readdirSync, unlinkSync } from "node:fs";
import { open, readFile, rename, unlink } from "node:fs/promises";
import { join } from "node:path";
import { KeyedLocks } from "./keyed-locks.js";
import type { UserStateRecord, UserStateStore } from "./store.js";
import { applyUserStatePatch } from "./user-state-patch.js";

/**
 * User states as files beside the file store's sessions: `<directory>/user-state/<sha256 of
 * user>.json`, mode 0600, replaced whole by rename so a reader sees the old or the new state.
 * Patches of one user are serialized by an in-process lock (one process per directory, as for
 * the sessions). `run` is the session store's failure guard.
 */
export function fileUserState(root: string, run: <T>(call: () => Promise<T>) => Promise<T>): UserStateStore {
  const directory = join(root, "user-state");
  mkdirSync(directory, { recursive: true, mode: 0o700 });
  // Temporary files left by a crash of this (single) process.
  for (const name of readdirSync(directory)) if (name.startsWith(".tmp-")) unlinkSync(join(directory, name));
  const locks = new KeyedLocks();
  const pathOf = (userId: string) => join(directory, `${createHash("sha256").update(userId).digest("hex")}.json`);

  const read = async (userId: string): Promise<UserStateRecord | null> => {
    try {
      return JSON.parse(await readFile(pathOf(userId), "utf8")) as UserStateRecord;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return null;
      throw error;
    }
  };

  const write = async (userId: string, record: UserStateRecord): Promise<void> => {
    const temp = join(directory, `.tmp-${randomBytes(8).toString("hex")}`);
    const handle = await open(temp, "wx", 0o600);
    try {
      await handle.writeFile(JSON.stringify(record));
      await handle.datasync();
    } finally {
      await handle.close();
    }
    await rename(temp, pathOf(userId));
  };

  return {
    get: (userId) => run(() => read(userId)),
    patch: (userId, patch) =>
      run(() =>
        locks.run(userId, async () => {
          const result = applyUserStatePatch(await read(userId), patch);
          if (result.ok) await write(userId, result.record);
          return result;
        }),
      ),
    delete: (userId) =>
      run(() =>
        locks.run(userId, async () => {
          try {
            await unlink(pathOf(userId));
            return true;
          } catch (error) {
            if ((error as NodeJS.ErrnoException).code === "ENOENT") return false;
            throw error;
          }
        }),
      ),
  };
}
