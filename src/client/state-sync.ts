import type { ClientCore } from "./client-core.js";
import { isStintClientError, StintClientError } from "./errors.js";
import type { ChangeSource } from "./events.js";
import { asStateSnapshot, type SessionSnapshot, type SessionState, type StateSnapshot } from "./types.js";

/** The body of `PATCH /api/session/state` and `/api/user/state`. */
export interface StatePatch {
  set?: unknown;
  unset?: ReadonlyArray<string>;
  ifVersion?: number | undefined;
}

/**
 * Where one kind of state lives: the session's (one per session, per tab group) or the
 * user's (one per person, on every device).
 */
interface StateSlot {
  path: "/api/session/state" | "/api/user/state";
  /** The client event, and the signal to the other tabs. */
  event: "state" | "user-state";
  /** Whom the shown state belongs to: the session, or the signed-in user; null: nothing to show. */
  owner(snapshot: SessionSnapshot<SessionState, SessionState>): string | null;
  version(snapshot: SessionSnapshot<SessionState, SessionState>): number;
  write(state: SessionState, version: number): Partial<SessionSnapshot<SessionState, SessionState>>;
}

export const sessionSlot: StateSlot = {
  path: "/api/session/state",
  event: "state",
  owner: (snapshot) => snapshot.session?.id ?? null,
  version: (snapshot) => snapshot.version,
  write: (state, version) => ({ state, version }),
};

export const userSlot: StateSlot = {
  path: "/api/user/state",
  event: "user-state",
  owner: (snapshot) => (snapshot.session ? (snapshot.user?.id ?? null) : null),
  version: (snapshot) => snapshot.userStateVersion,
  write: (state, version) => ({ userState: state, userStateVersion: version }),
};

/**
 * One kind of state in one tab (the session's, or the user's): read when its owner changes,
 * written key by key, and re-read when the server's stream or another tab says a newer
 * version exists. A version never goes backwards, and state read for one owner is never shown
 * for another.
 */
export class StateSync<State extends SessionState, UserState extends SessionState = SessionState> {
  readonly #core: ClientCore<State, UserState>;
  readonly #slot: StateSlot;
  readonly #ensureOwner: () => Promise<unknown>;
  /** Whom the shown state belongs to; null when none was read yet. */
  #for: string | null = null;
  /** The newest version the other tabs were told of (by this tab or by a signal heard). */
  #told = 0;

  /** `ensureOwner` makes an owner exist before a write, or throws (no session, not signed in). */
  constructor(core: ClientCore<State, UserState>, slot: StateSlot, ensureOwner: () => Promise<unknown>) {
    this.#core = core;
    this.#slot = slot;
    this.#ensureOwner = ensureOwner;
  }

  /** Is `version` (of a signal or a stream event; null when it had none) newer than what is shown? */
  isNews(version: number | null | undefined): boolean {
    const current = this.#slot.version(this.#snapshot());
    return version === null || version === undefined || this.#for === null || version > current;
  }

  /** Another tab says `version` exists: is it newer than what is shown? */
  signaled(version: number | undefined): boolean {
    if (version !== undefined && version > this.#told) this.#told = version;
    return this.isNews(version);
  }

  /** The owner is gone (the session ended): the next read starts afresh. */
  forget(): void {
    this.#for = null;
    this.#told = 0;
  }

  /** Reads the state of the current owner, applied unless something newer came first. */
  async load(source: ChangeSource): Promise<void> {
    const owner = this.#slot.owner(this.#snapshot());
    if (!owner) return;
    const { clock, metrics } = this.#core;
    const started = clock.now();
    const { status, body } = await this.#core.call("GET", this.#slot.path);
    const finished = clock.now();
    metrics.sync(finished - started, finished);
    this.#apply(asStateSnapshot(body, status), source, owner);
  }

  /** Writes key by key. A stale `ifVersion` re-reads the state before rejecting with `conflict`. */
  async patch(body: StatePatch): Promise<void> {
    if (!this.#slot.owner(this.#snapshot())) await this.#ensureOwner();
    const owner = this.#slot.owner(this.#snapshot());
    try {
      const { status, body: answer } = await this.#core.call("PATCH", this.#slot.path, body);
      this.#apply(asStateSnapshot(answer, status), "local", owner);
    } catch (error) {
      if (isStintClientError(error, "conflict")) await this.load("remote").catch(() => {});
      throw error;
    }
  }

  #snapshot(): SessionSnapshot<SessionState, SessionState> {
    return this.#core.snapshot();
  }

  #apply(snapshot: StateSnapshot<SessionState>, source: ChangeSource, owner: string | null): void {
    const current = this.#snapshot();
    // The owner changed while this request was in flight: its state is not ours.
    if (owner === null || this.#slot.owner(current) !== owner) return;
    const first = this.#for !== owner;
    if (!first && snapshot.version <= this.#slot.version(current)) return;
    const replaced = this.#for !== null;
    this.#for = owner;
    this.#core.set(this.#slot.write(snapshot.state, snapshot.version) as Partial<SessionSnapshot<State, UserState>>);
    const payload = { state: snapshot.state, version: snapshot.version, source };
    if (replaced) this.#core.emitter.emit(this.#slot.event, payload as never);
    if (first) {
      // A new owner: versions start again, and each tab reads its own first state.
      this.#told = snapshot.version;
      return;
    }
    // Whatever made this tab read (its stream, a signal, the app), a version no tab was told
    // of is news to the others: a read a signal asked for may find a newer version than the
    // signal's, whose stream event then brings the leader nothing new.
    if (snapshot.version > this.#told) {
      this.#told = snapshot.version;
      this.#core.post(this.#slot.event, snapshot.version);
    }
  }
}

/** The error of a user-state write without a signed-in user: nothing is sent. */
export function notSignedIn(): StintClientError {
  return new StintClientError("no_session", 401, "Sign in to change the user's state.");
}
