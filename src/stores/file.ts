import { createHash, randomBytes } from "node:crypto";
import { mkdirSync, readdirSync, statSync, unlinkSync } from "node:fs";
import { access, link, mkdir, open, readdir, readFile, rename, rmdir, stat, unlink } from "node:fs/promises";
import { join, resolve } from "node:path";
import { StintError, StoreConflictError, StoreUnavailableError } from "../core/errors.js";
import { applyPatch } from "./apply-patch.js";
import { fileUserState } from "./file-user-state.js";
import { probeHealth } from "./health.js";
import { KeyedLocks } from "./keyed-locks.js";
import { parseStored } from "./record-check.js";
import type { CompleteStore, SessionRecord } from "./store.js";

export interface FileStoreOptions {
  /** Created with mode 0700 when missing; refused when other users can read or enter it. */
  directory: string;
}

/** Longest id kept: its hex file name must stay under the usual 255-byte limit. */
const MAX_ID_BYTES = 100;
/** mtime is the record's expiresAt; near that boundary the file is read to decide. */
const MTIME_SLACK_MS = 2_000;
const PARALLEL_READS = 16;

/**
 * One JSON file per session, for a single process on one host (seed 002). Layout:
 *
 *   <directory>/sessions/<hex of id>.json   the record (secretHash only, never the secret),
 *                                           mode 0600, mtime set to expiresAt
 *   <directory>/users/<sha256 of user>/<hex of id>   one empty marker per session of a user
 *   <directory>/user-state/<sha256 of user>.json     the user's state (file-user-state.ts)
 *
 * Writes go to a temporary file in the same directory, then rename (patch) or link (create,
 * which fails if the id exists), so a reader sees the old or the new record, never half of
 * one. Operations are serialized per session and per user by in-process locks; several
 * processes sharing one directory are NOT safe (a patch racing another process's delete
 * could bring the session back): give each process its own directory, or use SQLite, which
 * is safe for the workers of one host. A `find <dir> -mtime +7 -delete` cron removes only
 * sessions expired for a week, since mtime is the expiry time.
 *
 * @example
 * const stint = createStint({ store: fileStore({ directory: "./data/sessions" }) });
 */
export function fileStore(options: FileStoreOptions): CompleteStore {
  const root = resolve(options.directory);
  const sessionsDir = join(root, "sessions");
  const usersDir = join(root, "users");
  prepareDirectory(root, sessionsDir, usersDir);
  const locks = new KeyedLocks();
  const userState = fileUserState(root, guard);

  const sessionPath = (id: string) => join(sessionsDir, `${hexOf(id)}.json`);
  const userDir = (userId: string) => join(usersDir, createHash("sha256").update(userId).digest("hex"));
  const markerPath = (userId: string, id: string) => join(userDir(userId), hexOf(id));

  const read = async (id: string): Promise<SessionRecord | undefined> => {
    try {
      // A damaged file reads as a record that recordProblem refuses, not as a store failure.
      const parsed = parseStored<SessionRecord | undefined>(await readFile(sessionPath(id), "utf8"));
      return typeof parsed === "object" && parsed !== null ? parsed : ({ id } as SessionRecord);
    } catch (error) {
      if (isMissing(error)) return undefined;
      throw error;
    }
  };

  /** Writes a temporary file beside the records: content, 0600, flushed, mtime = expiry. */
  const writeTemp = async (record: SessionRecord): Promise<string> => {
    const temp = join(sessionsDir, `.tmp-${randomBytes(8).toString("hex")}`);
    const handle = await open(temp, "wx", 0o600);
    try {
      await handle.writeFile(JSON.stringify(record));
      await handle.datasync();
      const expires = new Date(record.expiresAt);
      await handle.utimes(expires, expires);
    } finally {
      await handle.close();
    }
    return temp;
  };

  /** Removes a session's file, then its marker: a crash in between leaves a stale marker only. */
  const remove = async (id: string, userId: string | null): Promise<boolean> => {
    const existed = await unlinkIfPresent(sessionPath(id));
    if (userId !== null) await unlinkIfPresent(markerPath(userId, id));
    return existed;
  };

  /** Removes a session if it is live; true when it was. Hold its session lock. */
  const removeLive = async (id: string, now: number): Promise<boolean> => {
    const record = await read(id);
    if (!record) return false;
    await remove(id, record.userId);
    return record.expiresAt > now;
  };

  /** The user's records (marker order), pruning markers whose file is gone. Hold the user lock. */
  const recordsOf = async (userId: string): Promise<SessionRecord[]> => {
    const ids = (await listDir(userDir(userId))).map(idOf).filter((id) => id !== undefined);
    const records = await mapLimit(ids, async (id) => {
      const record = await read(id);
      if (!record) await unlinkIfPresent(markerPath(userId, id));
      return record?.userId === userId ? record : undefined;
    });
    return records.filter((record) => record !== undefined);
  };

  /** Records of every file, read only where the mtime (= expiresAt) cannot decide. */
  const classify = async (now: number): Promise<{ live: string[]; expired: string[] }> => {
    const ids = (await listDir(sessionsDir)).filter((name) => name.endsWith(".json"));
    const live: string[] = [];
    const expired: string[] = [];
    await mapLimit(ids, async (name) => {
      const id = idOf(name.slice(0, -".json".length));
      if (id === undefined) return;
      const info = await stat(join(sessionsDir, name)).catch(() => undefined);
      if (!info) return;
      let expiresAt = info.mtimeMs;
      if (Math.abs(expiresAt - now) <= MTIME_SLACK_MS) {
        const record = await read(id);
        if (!record) return;
        expiresAt = record.expiresAt;
      }
      (expiresAt > now ? live : expired).push(id);
    });
    return { live, expired };
  };

  return {
    kind: "file",

    async create(input, { maxPerUser, replace, now }) {
      const record = structuredClone(input);
      if (Buffer.byteLength(record.id) > MAX_ID_BYTES) {
        throw new RangeError(`fileStore: session ids longer than ${MAX_ID_BYTES} bytes are not supported.`);
      }
      return guard(() =>
        locks.run(userKey(record.userId), () =>
          locks.run(sessionKey(record.id), async () => {
            if (await exists(sessionPath(record.id))) throw new StoreConflictError();
            const replaced = replace
              ? await locks.run(sessionKey(replace.id), () => removeLive(replace.id, now))
              : false;
            if (replace?.required && !replaced) return { created: false, replaced, evicted: [] };
            const evicted: string[] = [];
            if (record.userId !== null) {
              if (maxPerUser !== undefined) {
                const others = (await recordsOf(record.userId)).filter((other) => other.expiresAt > now);
                others.sort((a, b) => a.createdAt - b.createdAt || (a.id < b.id ? -1 : 1));
                for (const old of others.slice(0, Math.max(0, others.length - Math.max(0, maxPerUser - 1)))) {
                  await locks.run(sessionKey(old.id), () => remove(old.id, old.userId));
                  evicted.push(old.id);
                }
              }
              // Marker before file: a crash in between leaves a stale marker, never a session
              // that listByUser and deleteByUser (revocation) cannot see.
              await mkdir(userDir(record.userId), { recursive: true, mode: 0o700 });
              await (await open(markerPath(record.userId, record.id), "w", 0o600)).close();
            }
            const temp = await writeTemp(record);
            try {
              await link(temp, sessionPath(record.id));
            } catch (error) {
              if ((error as NodeJS.ErrnoException).code === "EEXIST") throw new StoreConflictError();
              throw error;
            } finally {
              await unlinkIfPresent(temp);
            }
            return { created: true, replaced, evicted };
          }),
        ),
      );
    },

    async get(id, now) {
      if (Buffer.byteLength(id) > MAX_ID_BYTES) return null;
      const record = await guard(() => read(id));
      // Not `expiresAt > now`: a damaged record (no number there) is returned, for the caller to refuse.
      return record && !(record.expiresAt <= now) ? record : null;
    },

    async patch(id, patch) {
      if (Buffer.byteLength(id) > MAX_ID_BYTES) return { ok: false, reason: "not_found" };
      return guard(() =>
        locks.run(sessionKey(id), async () => {
          const result = applyPatch(await read(id), patch);
          if (!result.ok) return result;
          const temp = await writeTemp(result.record);
          await rename(temp, sessionPath(id));
          return result;
        }),
      );
    },

    async delete(id) {
      if (Buffer.byteLength(id) > MAX_ID_BYTES) return false;
      return guard(async () => {
        // userId never changes, so it can be read before taking the locks (user first).
        const userId = (await read(id))?.userId ?? null;
        return locks.run(userKey(userId), () => locks.run(sessionKey(id), () => remove(id, userId)));
      });
    },

    async listByUser(userId, now) {
      const records = await guard(() => locks.run(userKey(userId), () => recordsOf(userId)));
      return records
        .filter((record) => record.expiresAt > now)
        .sort((a, b) => b.createdAt - a.createdAt || (a.id < b.id ? 1 : -1));
    },

    async deleteByUser(userId, options = {}) {
      return guard(() =>
        locks.run(userKey(userId), async () => {
          const deleted: string[] = [];
          for (const name of await listDir(userDir(userId))) {
            const id = idOf(name);
            if (id === undefined || id === options.except) continue;
            if (await locks.run(sessionKey(id), () => remove(id, userId))) deleted.push(id);
          }
          // Under the user lock, so no create is adding a marker meanwhile.
          await rmdir(userDir(userId)).catch(() => {});
          return deleted;
        }),
      );
    },

    async deleteExpired(now, limit) {
      if (!(limit > 0)) return 0;
      return guard(async () => {
        const { expired } = await classify(now);
        let deleted = 0;
        for (const id of expired) {
          if (deleted >= limit) break;
          const userId = (await read(id))?.userId ?? null;
          const removed = await locks.run(userKey(userId), () =>
            locks.run(sessionKey(id), async () => {
              // Checked again under the lock: a touch may have extended it meanwhile.
              const record = await read(id);
              return record !== undefined && record.expiresAt <= now && remove(id, record.userId);
            }),
          );
          if (removed) deleted++;
        }
        return deleted;
      });
    },

    async count(now) {
      return (await guard(() => classify(now))).live.length;
    },

    async scan({ after, limit, now }) {
      if (!(limit > 0)) return [];
      return guard(async () => {
        const ids = (await listDir(sessionsDir))
          .filter((name) => name.endsWith(".json"))
          .map((name) => idOf(name.slice(0, -".json".length)))
          .filter((id): id is string => id !== undefined && (after === undefined || id > after))
          .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
        const page: SessionRecord[] = [];
        for (const id of ids) {
          const record = await read(id);
          if (record && record.expiresAt > now) page.push(record);
          if (page.length >= limit) break;
        }
        return page;
      });
    },

    userState,

    health: () => probeHealth(() => access(sessionsDir, 0o2 /* W_OK */)),

    async close() {},
  };
}

function prepareDirectory(root: string, ...children: string[]): void {
  mkdirSync(root, { recursive: true, mode: 0o700 });
  const mode = statSync(root).mode & 0o777;
  if ((mode & 0o077) !== 0) {
    throw new TypeError(
      `fileStore: ${root} has mode ${mode.toString(8)}; sessions must not be readable by other users: chmod 700 it.`,
    );
  }
  for (const child of children) mkdirSync(child, { recursive: true, mode: 0o700 });
  // Temporary files left by a crash of this (single) process.
  for (const name of readdirSync(children[0] as string)) {
    if (name.startsWith(".tmp-")) unlinkSync(join(children[0] as string, name));
  }
}

const sessionKey = (id: string) => `s:${id}`;
const userKey = (userId: string | null) => (userId === null ? undefined : `u:${userId}`);

/** File names are the hex of the id's UTF-8: safe characters, case-insensitive file systems too. */
function hexOf(id: string): string {
  return Buffer.from(id, "utf8").toString("hex");
}

function idOf(hex: string): string | undefined {
  return /^(?:[0-9a-f]{2})+$/.test(hex) ? Buffer.from(hex, "hex").toString("utf8") : undefined;
}

async function listDir(path: string): Promise<string[]> {
  try {
    return (await readdir(path)).filter((name) => !name.startsWith("."));
  } catch (error) {
    if (isMissing(error)) return [];
    throw error;
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch (error) {
    if (isMissing(error)) return false;
    throw error;
  }
}

async function unlinkIfPresent(path: string): Promise<boolean> {
  try {
    await unlink(path);
    return true;
  } catch (error) {
    if (isMissing(error)) return false;
    throw error;
  }
}

function isMissing(error: unknown): boolean {
  return (error as NodeJS.ErrnoException | null)?.code === "ENOENT";
}

/** Runs `task` over `items` with at most PARALLEL_READS at once, keeping order. */
async function mapLimit<T, R>(items: readonly T[], task: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await task(items[index] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(PARALLEL_READS, items.length) }, worker));
  return results;
}

/** File system failures (EACCES, ENOSPC, EIO, …) become StoreUnavailableError: fail closed. */
async function guard<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (error instanceof StintError || error instanceof StoreConflictError || error instanceof RangeError) throw error;
    const code = (error as NodeJS.ErrnoException | null)?.code ?? (error as Error)?.name;
    throw new StoreUnavailableError(`The file store failed (${code}).`, { cause: error, reason: "error" });
  }
}
