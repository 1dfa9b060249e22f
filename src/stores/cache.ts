import type { PubSub } from "../transports/pubsub.js";
import { type CacheOptions, RecordCache } from "./record-cache.js";
import type { CacheStats, PatchResult, SessionRecord, Store } from "./store.js";

export type { CacheOptions } from "./record-cache.js";

interface Flight {
  readers: number;
  invalidated: boolean;
}

/**
 * An exact, bounded cache of session records in front of a store that processes share.
 *
 * Exact, not "fresh for a while": every change to a session, by any process, is announced on
 * the store's own pub/sub (published by the same script or statement that makes the change,
 * so no change goes unannounced), and the announcement drops the record here. Three rules
 * keep a stale record from ever being served after its announcement arrived:
 * - a read that was in flight when an announcement for its id arrived is not cached (its
 *   answer may predate the change: the reply and the announcement travel on different
 *   connections);
 * - this process's own writes drop the record when they complete, before they return, or
 *   keep the record their answer holds, under the same rule as a read;
 * - while the listening link is down (announcements may be lost), nothing is served from or
 *   put in the cache: it is emptied, and reads go to the store until the link is back.
 * Expiry needs no announcement: a record past its expiresAt is never served.
 */
export class SessionCache {
  readonly #records: RecordCache;
  readonly #pubsub: PubSub;
  /** This process's name on the channel: its own announcements need no second drop. */
  readonly nonce: string;
  /** Reads and writes in flight per id, and whether a change was announced while they ran. */
  readonly #inFlight = new Map<string, Flight>();
  /** Bumped whenever the link drops: a read begun before cannot be cached after. */
  #epoch = 0;
  readonly #stats = { hits: 0, misses: 0, invalidations: 0, bypasses: 0, linkDrops: 0 };
  readonly #stop: Array<() => void>;

  constructor(pubsub: PubSub, topic: string, nonce: string, options: CacheOptions = {}) {
    this.#records = new RecordCache(options);
    this.#pubsub = pubsub;
    this.nonce = nonce;
    this.#stop = [
      pubsub.subscribe(topic, (message) => this.#announced(message)),
      pubsub.onLink((up) => {
        if (up) return;
        this.#stats.linkDrops++;
        this.#drop();
      }),
    ];
  }

  /**
   * The record of `id` if this process may answer from memory (a hit, and the link is up),
   * else undefined: then call `read`.
   */
  peek(id: string, now: number): SessionRecord | null | undefined {
    if (!this.#pubsub.up) return undefined;
    const record = this.#records.get(id, now);
    if (record) this.#stats.hits++;
    return record;
  }

  /** A read through to the store, cached when nothing announced a change while it ran. */
  async read(id: string, now: number, load: () => Promise<SessionRecord | null>): Promise<SessionRecord | null> {
    const hit = this.peek(id, now);
    if (hit !== undefined) return hit;
    if (!this.#pubsub.up) {
      this.#stats.bypasses++;
      return load();
    }
    this.#stats.misses++;
    const epoch = this.#epoch;
    const flight = this.#begin(id);
    try {
      const record = await load();
      if (record && !flight.invalidated && epoch === this.#epoch && this.#pubsub.up) this.#records.put(record);
      return record;
    } finally {
      this.#end(id, flight);
    }
  }

  /** One more read or write of `id` in flight: announcements for it are noted on the flight. */
  #begin(id: string): Flight {
    let flight = this.#inFlight.get(id);
    if (!flight) this.#inFlight.set(id, (flight = { readers: 0, invalidated: false }));
    flight.readers++;
    return flight;
  }

  #end(id: string, flight: Flight): void {
    if (--flight.readers === 0) this.#inFlight.delete(id);
  }

  /**
   * A write of one session through to the store, whose answer may hold the record as it now
   * stands (`recordOf`: a patch's result, a create's record): that record is kept, so the
   * writer's next read costs no round trip, unless a change to the session was announced
   * (or the link dropped) while the write ran; then, and when the write fails, the session
   * is dropped, as by `invalidate`.
   */
  async write<T>(id: string, call: () => Promise<T>, recordOf: (result: T) => SessionRecord | null): Promise<T> {
    const epoch = this.#epoch;
    const flight = this.#begin(id);
    try {
      const result = await call();
      const clean = !flight.invalidated && epoch === this.#epoch && this.#pubsub.up;
      this.invalidate([id]);
      const record = clean ? recordOf(result) : null;
      if (record) this.#records.put(record);
      return result;
    } catch (error) {
      this.invalidate([id]);
      throw error;
    } finally {
      this.#end(id, flight);
    }
  }

  /** This process changed these sessions (called when the write has completed). */
  invalidate(ids: Iterable<string>): void {
    for (const id of ids) {
      const flight = this.#inFlight.get(id);
      if (flight) flight.invalidated = true;
      if (this.#records.remove(id)) this.#stats.invalidations++;
    }
  }

  /**
   * A write failed (a timeout, a lost connection) and may still have been applied, so what it
   * touched may be stale here, and its announcement skips this process: drop those records,
   * or everything when the write could have touched any (`ids` undefined).
   */
  uncertain(ids?: Iterable<string>): void {
    if (ids) this.invalidate(ids);
    else this.#drop();
  }

  /** The store's cleanup deleted what expired by `now`: no read here may answer it either. */
  expire(now: number): void {
    this.#records.expire(now);
  }

  stats(): CacheStats {
    return { ...this.#stats, entries: this.#records.size, bytes: this.#records.bytes };
  }

  close(): void {
    for (const stop of this.#stop) stop();
    this.#drop();
  }

  /** `<nonce> <id> <id>…`, published by the store's write scripts and statements. */
  #announced(message: string): void {
    const [nonce, ...ids] = message.split(" ");
    if (nonce !== this.nonce) this.invalidate(ids);
  }

  #drop(): void {
    this.#epoch++;
    this.#records.clear();
    for (const flight of this.#inFlight.values()) flight.invalidated = true;
  }
}

/** The record a patch left, for `SessionCache.write`. */
export const patchedRecord = (result: PatchResult): SessionRecord | null => (result.ok ? result.record : null);

/**
 * The store as its cache must see it: a new session's record is kept as it was created (so
 * the first request with its cookie costs no round trip either), and a cleanup drops from
 * the cache what it deletes from the store.
 */
export function writeThrough<S extends Store>(cache: SessionCache | null, store: S): S {
  if (!cache) return store;
  const create = store.create.bind(store);
  const deleteExpired = store.deleteExpired.bind(store);
  return {
    ...store,
    create: (record, options) =>
      cache.write(
        record.id,
        () => create(record, options),
        (result) => (result.created ? record : null),
      ),
    deleteExpired: (now, limit) => {
      cache.expire(now);
      return deleteExpired(now, limit);
    },
  };
}
