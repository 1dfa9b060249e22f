import type { StintClientError } from "./errors.js";
import type { SessionSnapshot, SessionState, SessionUser } from "./types.js";

/**
 * Where a change came from: `local` when this tab made it, `tab` when another tab's signal
 * told us (the UI can say "changed in another tab"), `remote` when the server told this tab
 * directly (its event stream, a poll, a sync on focus, a 401).
 */
export type ChangeSource = "local" | "tab" | "remote";

/** The events of `SessionClient.on`, with their payloads. */
export interface SessionClientEvents<
  State extends SessionState = SessionState,
  UserState extends SessionState = SessionState,
> {
  /** Anything in the snapshot changed. */
  change: SessionSnapshot<State, UserState>;
  /** The session state has a new version. */
  state: { state: State; version: number; source: ChangeSource };
  /**
   * The user's state has a new version: changed here, in another tab, or on another device
   * (`remote`: the server's event stream told this browser).
   */
  "user-state": { state: UserState; version: number; source: ChangeSource };
  /** Another tab of this browser sent an app message (`client.broadcast(type, data)`). */
  message: { type: string; data: unknown; source: "tab" };
  /** The session is about to expire (once per expiry time, at the warning threshold). */
  warning: { remainingSeconds: number };
  expired: { source: ChangeSource };
  revoked: { source: ChangeSource };
  logout: { source: ChangeSource };
  /** A user signed in, here or in another tab. */
  login: { user: SessionUser; source: ChangeSource };
  /** A background request failed (sync, event stream, auto-extend); explicit calls throw instead. */
  error: StintClientError;
  /** This tab became, or stopped being, the one that talks to the server. */
  leader: { isLeader: boolean };
}

export type SessionClientEventName = keyof SessionClientEvents;

/** A small typed emitter: a failing listener is reported and never stops the others. */
export class Emitter<Events extends object> {
  readonly #listeners = new Map<keyof Events, Set<(payload: never) => void>>();

  on<K extends keyof Events>(event: K, listener: (payload: Events[K]) => void): () => void {
    let set = this.#listeners.get(event);
    if (!set) this.#listeners.set(event, (set = new Set()));
    set.add(listener as (payload: never) => void);
    return () => {
      set.delete(listener as (payload: never) => void);
    };
  }

  emit<K extends keyof Events>(event: K, payload: Events[K]): void {
    const set = this.#listeners.get(event);
    if (!set) return;
    for (const listener of [...set]) {
      try {
        (listener as (payload: Events[K]) => void)(payload);
      } catch (error) {
        console.error(`stint: a "${String(event)}" listener failed`, error);
      }
    }
  }

  clear(): void {
    this.#listeners.clear();
  }
}
