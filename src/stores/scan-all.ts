import type { SessionRecord, Store } from "./store.js";

/**
 * Items page by page in key order: `read(after, limit)` answers at most `limit` items whose
 * key comes after `after` (undefined: from the first), and a short page is the last. One page
 * at a time is held, so a long listing never holds the store or the memory.
 */
export async function* keysetPages<T>(
  read: (after: string | undefined, limit: number) => Promise<T[]> | T[],
  keyOf: (item: T) => string,
  pageSize: number,
  after?: string,
): AsyncGenerator<T> {
  let cursor = after;
  for (;;) {
    const page = await read(cursor, pageSize);
    yield* page;
    const last = page[page.length - 1];
    if (page.length < pageSize || last === undefined) return;
    cursor = keyOf(last);
  }
}

/** Every live record of a store, page by page in id order (listing, statistics, migration). */
export async function* scanAll(
  store: Store,
  options: { now?: () => number; pageSize?: number; after?: string } = {},
): AsyncGenerator<SessionRecord> {
  const { now = () => Date.now(), pageSize = 1_000 } = options;
  const { scan } = store;
  if (!scan) throw new TypeError(`The ${store.kind} store cannot list every session (it has no scan).`);
  yield* keysetPages(
    (after, limit) => scan.call(store, { after, limit, now: now() }),
    (record) => record.id,
    pageSize,
    options.after,
  );
}
