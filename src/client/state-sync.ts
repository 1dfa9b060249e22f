import type { ClientCore } from "./client-core.js";
import { isStintClientError } from "./errors.js";
import type { ChangeSource } from "./events.js";
import { asStateSnapshot, type SessionState, type StateSnapshot } from "./types.js";

/** The body of `PATCH /api/session/state`. */
export interface StatePatch {
  set?: unknown;
  unset?: ReadonlyArray<string>;
  ifVersion?: number | undefined;
}

/**
 * The session's client-visible state in one tab: read after every change of session, written
 * key by key, and re-read when the server's stream or another tab says a newer version exists.
 * A version never goes backwards, and state read for one session is never shown for another.
 */
export class StateSync<State extends SessionState> {
  readonly #core: ClientCore<State>;
  readonly #ensureSession: () => Promise<unknown>;
  /** The session id the shown state belongs to; null when none was read yet. */
  #for: string | null = null;

  constructor(core: ClientCore<State>, deps: { ensureSession(): Promise<unknown> }) {
    this.#core = core;
    this.#ensureSession = deps.ensureSession;
  }

  /** Is `version` (of a signal or a stream event; null when it had none) newer than what is shown? */
  isNews(version: number | null | undefined): boolean {
    return version === null || version === undefined || this.#for === null || version > this.#core.snapshot().version;
  }

  /** The session ended: the next state read starts afresh. */
  forget(): void {
    this.#for = null;
  }

  /** `GET /api/session/state` for the current session, applied unless something newer came first. */
  async load(source: ChangeSource): Promise<void> {
    const sessionId = this.#core.snapshot().session?.id;
    if (!sessionId) return;
    const started = this.#core.clock.now();
    const { status, body } = await this.#core.call("GET", "/api/session/state");
    const finished = this.#core.clock.now();
    this.#core.metrics.sync(finished - started, finished);
    this.#apply(asStateSnapshot<State>(body, status), source, sessionId);
  }

  /**
   * `PATCH /api/session/state`. State needs a session, and asking for a CSRF token creates an
   * anonymous one (API.md). A stale `ifVersion` re-reads the state before rejecting.
   */
  async patch(body: StatePatch): Promise<void> {
    if (!this.#core.snapshot().session) await this.#ensureSession();
    const sessionId = this.#core.snapshot().session?.id ?? null;
    try {
      const { status, body: answer } = await this.#core.call("PATCH", "/api/session/state", body);
      this.#apply(asStateSnapshot<State>(answer, status), "local", sessionId);
    } catch (error) {
      if (isStintClientError(error, "conflict")) await this.load("remote").catch(() => {});
      throw error;
    }
  }

  #apply(snapshot: StateSnapshot<State>, source: ChangeSource, sessionId: string | null): void {
    const current = this.#core.snapshot();
    // The session changed while this request was in flight: its state is not ours.
    if (!current.session || current.session.id !== sessionId) return;
    const first = this.#for !== sessionId;
    if (!first && snapshot.version <= current.version) return;
    const replaced = this.#for !== null;
    this.#for = sessionId;
    this.#core.set({ state: snapshot.state, version: snapshot.version });
    if (replaced) this.#core.emitter.emit("state", { state: snapshot.state, version: snapshot.version, source });
    if (!first && source !== "tab") this.#core.post("state", snapshot.version);
  }
}
