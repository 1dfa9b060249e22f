import { describe, expect, it } from "vitest";
import { NotFoundError, StoreConflictError, StoreUnavailableError } from "../../../src/core/errors.js";
import { guardStore } from "../../../src/stores/guard.js";
import { memoryStore } from "../../../src/stores/memory.js";
import type { Store } from "../../../src/stores/store.js";
import { makeRecord } from "../../../src/testing.js";

const TIMEOUT_MS = 50;
const now = Date.now();
const never = <T>() => new Promise<T>(() => {});

/** A real memory store with some methods replaced by faulty ones. */
const faulty = (overrides: Partial<Store>): Store => ({ ...memoryStore(), ...overrides });

describe("guardStore", () => {
  it("passes answers of a healthy store through unchanged", async () => {
    const store = guardStore(memoryStore(), { timeoutMs: TIMEOUT_MS });
    const record = makeRecord({ userId: "alice", createdAt: now });
    expect(await store.create(record, { now })).toEqual({ created: true, replaced: false, evicted: [] });
    expect(await store.get(record.id, now)).toEqual(record);
    expect(await store.listByUser("alice", now)).toEqual([record]);
    expect(await store.count?.(now)).toBe(1);
    expect(await store.delete(record.id)).toBe(true);
    expect(await store.get(record.id, now)).toBeNull();
    expect(store.kind).toBe("memory");
    expect(await store.health()).toEqual({ ok: true, latencyMs: 0 });
  });

  it("turns a call that never answers into StoreUnavailableError after timeoutMs", async () => {
    const store = guardStore(faulty({ get: never }), { timeoutMs: TIMEOUT_MS });
    const started = performance.now();
    const error = await store.get("id", now).catch((caught: unknown) => caught);
    const elapsed = performance.now() - started;
    expect(error).toBeInstanceOf(StoreUnavailableError);
    expect((error as StoreUnavailableError).status).toBe(503);
    expect((error as Error).message).toMatch(/did not answer get within 50 ms/);
    expect(elapsed).toBeGreaterThanOrEqual(TIMEOUT_MS - 5);
    expect(elapsed).toBeLessThan(TIMEOUT_MS + 1_000);
  });

  it("bounds every method, not only reads", async () => {
    const store = guardStore(faulty({ patch: never, delete: never, create: never }), { timeoutMs: TIMEOUT_MS });
    await expect(store.patch("id", { now })).rejects.toBeInstanceOf(StoreUnavailableError);
    await expect(store.delete("id")).rejects.toBeInstanceOf(StoreUnavailableError);
    await expect(store.create(makeRecord(), { now })).rejects.toBeInstanceOf(StoreUnavailableError);
  });

  it("turns a driver error into StoreUnavailableError, keeping the original as cause", async () => {
    const driverError = Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:6379"), { code: "ECONNREFUSED" });
    const store = guardStore(
      faulty({
        get: async () => {
          throw driverError;
        },
      }),
      { timeoutMs: TIMEOUT_MS },
    );
    const error = await store.get("id", now).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(StoreUnavailableError);
    expect((error as Error).cause).toBe(driverError);
    expect((error as Error).message).toBe("The memory store failed during get.");
    expect((error as Error).message).not.toContain("6379");
  });

  it("turns a synchronous throw into StoreUnavailableError too", async () => {
    const boom = new TypeError("driver bug");
    const store = guardStore(
      faulty({
        count: () => {
          throw boom;
        },
      }),
      { timeoutMs: TIMEOUT_MS },
    );
    const error = await store.count?.(now).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(StoreUnavailableError);
    expect((error as Error).cause).toBe(boom);
  });

  it("lets Stint errors and StoreConflictError through as they are", async () => {
    const notFound = new NotFoundError("No such session.");
    const conflict = new StoreConflictError();
    const store = guardStore(
      faulty({
        get: async () => {
          throw notFound;
        },
        create: async () => {
          throw conflict;
        },
      }),
      { timeoutMs: TIMEOUT_MS },
    );
    await expect(store.get("id", now)).rejects.toBe(notFound);
    await expect(store.create(makeRecord(), { now })).rejects.toBe(conflict);
  });

  it("lets a real StoreConflictError of the memory store through", async () => {
    const store = guardStore(memoryStore(), { timeoutMs: TIMEOUT_MS });
    const record = makeRecord();
    await store.create(record, { now });
    await expect(store.create(record, { now })).rejects.toBeInstanceOf(StoreConflictError);
  });

  it("reports a hanging store as unhealthy instead of hanging or throwing", async () => {
    const store = guardStore(faulty({ health: never }), { timeoutMs: TIMEOUT_MS });
    expect(await store.health()).toEqual({ ok: false, detail: "timeout", latencyMs: TIMEOUT_MS });
  });

  it("reports a failing health check as unhealthy", async () => {
    const store = guardStore(
      faulty({
        health: async () => {
          throw new Error("down");
        },
      }),
      { timeoutMs: TIMEOUT_MS },
    );
    expect((await store.health()).ok).toBe(false);
  });

  it("does not turn a late answer after the timeout into an unhandled rejection", async () => {
    let fail: (error: Error) => void = () => {};
    const late = new Promise<null>((_, reject) => {
      fail = reject;
    });
    const store = guardStore(faulty({ get: () => late }), { timeoutMs: TIMEOUT_MS });
    await expect(store.get("id", now)).rejects.toBeInstanceOf(StoreUnavailableError);
    fail(new Error("too late"));
    await new Promise((resolve) => setImmediate(resolve));
  });
});
