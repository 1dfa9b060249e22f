import { createHash, randomBytes } from "node:crypto";
import { mkdirSync, readdirSync, unlinkSync } from "node:fs";
import { open, readdir, readFile, rename, unlink } from "node:fs/promises";
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

  /** The file as written: the record, and whose it is (the name is a hash). */
  const readStored = async (path: string): Promise<StoredState | null> => {
    try {
      return JSON.parse(await readFile(path, "utf8")) as StoredState;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return null;
      throw error;
    }
  };
  const read = async (userId: string): Promise<UserStateRecord | null> => {
    const stored = await readStored(pathOf(userId));
    return stored && recordOf(stored);
  };

  const write = async (userId: string, { state, version, updatedAt }: UserStateRecord): Promise<void> => {
    const temp = join(directory, `.tmp-${randomBytes(8).toString("hex")}`);
    const handle = await open(temp, "wx", 0o600);
    try {
      await handle.writeFile(JSON.stringify({ userId, state, version, updatedAt } satisfies StoredState));
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
    insert: (userId, record) =>
      run(() =>
        locks.run(userId, async () => {
          if (await read(userId)) return false;
          await write(userId, record);
          return true;
        }),
      ),
    async *entries() {
      const names = await run(() => readdir(directory));
      for (const name of names) {
        if (!name.endsWith(".json")) continue;
        const stored = await run(() => readStored(join(directory, name)));
        if (stored) yield { userId: stored.userId, record: recordOf(stored) };
      }
    },
  };
}

interface StoredState extends UserStateRecord {
  userId: string;
}

function recordOf({ state, version, updatedAt }: StoredState): UserStateRecord {
  return { state, version, updatedAt };
}
