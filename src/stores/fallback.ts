import { StoreUnavailableError } from "../core/errors.js";
import { memoryStore } from "./memory.js";
import type { Store, StoreHealth } from "./store.js";

/**
 * Seed 004's in-memory fallback, for those who accept its trade-off: while the primary store
 * is unreachable, sessions are created and read in this process's memory, so users are not
 * turned away — but those sessions are not shared with other workers and die with the
 * process, and sessions of the primary cannot be read until it is back. Health reports
 * "degraded" meanwhile. Without this wrapper Stint fails closed (503). Pass the primary
 * through guardStore first.
 *
 * Revocation never lies: ending a session the primary holds needs the primary, so while it
 * is down that fails with StoreUnavailableError (503) and changes nothing — it is never
 * answered as done and then undone when the primary returns. A session made in memory during
 * the outage can be ended at once; its id is remembered, and deleted from the primary too
 * (where a create that timed out may have landed after all) before the primary may serve it.
 */
export function fallbackStore(guardedPrimary: Store, fallback: Store = memoryStore()): Store {
  // The primary must be wrapped by guardStore: a hang or a driver error then arrives here as
  // StoreUnavailableError, the one failure that switches to memory.
  const primary = guardedPrimary;

  async function attempt<T>(onPrimary: () => Promise<T>, onFallback: () => Promise<T>): Promise<T> {
    try {
      return await onPrimary();
    } catch (error) {
      if (!(error instanceof StoreUnavailableError)) throw error;
      return onFallback();
    }
  }

  /**
   * Reads try the primary, then the sessions created in memory during an outage. While the
   * primary is down, a session the fallback does not know may well exist in the primary:
   * that is still 503, never "no session", so nobody is signed out by the outage.
   */
  async function either<T>(onPrimary: () => Promise<T>, onFallback: () => Promise<T>, missing: (value: T) => boolean) {
    let value: T;
    try {
      value = await onPrimary();
    } catch (error) {
      if (!(error instanceof StoreUnavailableError)) throw error;
      const kept = await onFallback();
      if (missing(kept)) throw error;
      return kept;
    }
    return missing(value) ? onFallback() : value;
  }

  /** Ids ended during the outage that the primary may still hold: never served again. */
  const ended = new Set<string>();
  const forget = async (id: string): Promise<void> => {
    if (
      await primary.delete(id).then(
        () => true,
        () => false,
      )
    )
      ended.delete(id);
  };

  return {
    kind: `${primary.kind}+memory-fallback`,
    create: (record, options) =>
      attempt(
        () => primary.create(record, options),
        () => fallback.create(record, options),
      ),
    get: async (id, now) => {
      if (ended.has(id)) {
        await forget(id);
        return null;
      }
      return either(
        () => primary.get(id, now),
        () => fallback.get(id, now),
        (record) => record === null,
      );
    },
    patch: async (id, patch) => {
      if (ended.has(id)) return { ok: false, reason: "not_found" };
      return either(
        () => primary.patch(id, patch),
        () => fallback.patch(id, patch),
        (result) => !result.ok && result.reason === "not_found",
      );
    },
    delete: async (id) => {
      let inPrimary: boolean;
      try {
        inPrimary = await primary.delete(id);
      } catch (error) {
        // Only a session made during the outage can be ended without the primary.
        if (!(error instanceof StoreUnavailableError) || !(await fallback.delete(id))) throw error;
        ended.add(id);
        return true;
      }
      ended.delete(id);
      return (await fallback.delete(id)) || inPrimary;
    },
    listByUser: async (userId, now) => {
      const listed = [
        ...(await attempt(
          () => primary.listByUser(userId, now),
          async () => [],
        )),
        ...(await fallback.listByUser(userId, now)),
      ];
      return listed.filter((record) => !ended.has(record.id));
    },
    // Every session of a user includes those in the primary: all or nothing, never a partial
    // "done" that the primary would undo when it returns.
    deleteByUser: async (userId, options) => {
      const inPrimary = await primary.deleteByUser(userId, options);
      return [...inPrimary, ...(await fallback.deleteByUser(userId, options))];
    },
    deleteExpired: async (now, limit) =>
      (await attempt(
        () => primary.deleteExpired(now, limit),
        async () => 0,
      )) + (await fallback.deleteExpired(now, limit)),
    count: async (now) =>
      (await attempt(
        () => primary.count?.(now) ?? Promise.resolve(0),
        async () => 0,
      )) + ((await fallback.count?.(now)) ?? 0),
    scan: (options) =>
      attempt(
        () => primary.scan?.(options) ?? Promise.resolve([]),
        () => fallback.scan?.(options) ?? Promise.resolve([]),
      ),
    ...(primary.pubsub && { pubsub: primary.pubsub }),
    // Ids the primary mints are ids the memory fallback takes as well.
    ...(primary.newId && { newId: primary.newId.bind(primary) }),
    // A user's state outlives sessions: it is never kept in memory only, so during an outage
    // it fails closed (503) rather than forking into a copy that would be lost.
    ...(primary.userState && { userState: primary.userState }),
    health: async (): Promise<StoreHealth> => {
      const probe = await primary.health().catch(() => ({ ok: false, latencyMs: 0 }));
      return probe.ok ? probe : { ok: true, latencyMs: probe.latencyMs, detail: "degraded" };
    },
    close: async () => {
      await Promise.all([primary.close(), fallback.close()]);
    },
  };
}
