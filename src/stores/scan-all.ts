import type { SessionRecord, Store } from "./store.js";

/** Every live record of a store, page by page in id order (listing, statistics, migration). */
export async function* scanAll(store: Store, options: { now?: () => number; pageSize?: number; after?: string } = {}) {
  const { now = () => Date.now(), pageSize = 1_000 } = options;
  const { scan } = store;
  if (!scan) throw new TypeError(`The ${store.kind} store cannot list every session (it has no scan).`);
  let after = options.after;
  for (;;) {
    const page: SessionRecord[] = await scan.call(store, { after, limit: pageSize, now: now() });
    yield* page;
    if (page.length < pageSize) return;
    after = page[page.length - 1]?.id;
  }
}
