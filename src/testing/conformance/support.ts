import { randomUUID } from "node:crypto";
import type { SessionRecord, Store, StoreCapabilities } from "../../stores/store.js";

/** The store of the running test: each test gets a fresh one. */
export type CurrentStore = () => Store;

export const HOUR = 60 * 60 * 1000;

/** A user id no other test uses, so suites can share one server. */
export function uniqueUser(): string {
  return `user-${randomUUID()}`;
}

export function idsOf(records: readonly SessionRecord[]): string[] {
  return records.map((record) => record.id);
}

/** Waits until the wall clock has passed `time` (epoch ms): expiry is tested in real time. */
export function sleepUntil(time: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.max(0, time - Date.now() + 1)));
}

/** What a create that evicted `evicted` (and replaced nothing) answers. */
export function createdEvicting(evicted: string[] = []) {
  return { created: true, replaced: false, evicted };
}

/** Size of a value as JSON, in UTF-8 bytes: how maxStateBytes counts. */
export function jsonBytes(value: unknown): number {
  return new TextEncoder().encode(JSON.stringify(value)).length;
}

/** An optional capability of the store, bound to it, or undefined when the store lacks it. */
export function capability<Name extends "count" | "scan" | "peek">(
  store: Store,
  name: Name,
): NonNullable<StoreCapabilities[Name]> | undefined {
  const method = store[name] as ((...args: never[]) => unknown) | undefined;
  return method?.bind(store) as NonNullable<StoreCapabilities[Name]> | undefined;
}
