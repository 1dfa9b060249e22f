import type { Clock } from "./clock.js";
import { type EventSourceFactory, SessionEventStream, type StreamEvent } from "./event-stream.js";
import { backoffMs } from "./timers.js";

export interface LeaderWorkDeps {
  clock: Clock;
  /** Null: no event stream in this browser (or turned off); the leader only polls. */
  eventSource: EventSourceFactory | null;
  streamUrl: string;
  /** 0 turns polling off. */
  pollMs: number;
  /** One passive `GET /api/session`; resolves whether a session still exists. */
  check(): Promise<boolean>;
  event(event: StreamEvent): void;
  /** The stream came back after a drop: events may have been missed. */
  reconnected(): void;
}

/**
 * What only the leader tab does: hold the session's event stream and poll. It follows one
 * session id at a time, so a login (new id) restarts the stream and a logout stops it.
 */
export class LeaderWork {
  readonly #deps: LeaderWorkDeps;
  #stream: SessionEventStream | null = null;
  #sessionId: string | null = null;
  #poll: unknown;
  #polling = false;
  #failures = 0;

  constructor(deps: LeaderWorkDeps) {
    this.#deps = deps;
  }

  /** Called on every change of leadership or session. */
  update(leading: boolean, sessionId: string | null): void {
    const active = leading && sessionId !== null;
    if (!active) {
      this.stop();
      return;
    }
    if (sessionId !== this.#sessionId) {
      this.#stream?.stop();
      this.#stream = null;
      this.#sessionId = sessionId;
      if (this.#deps.eventSource) {
        this.#stream = new SessionEventStream(this.#deps.streamUrl, this.#deps.eventSource, this.#deps.clock, {
          event: (event) => this.#deps.event(event),
          open: (reconnected) => {
            if (reconnected) this.#deps.reconnected();
          },
          // A network failure says nothing about the session: keep trying, with backoff.
          dropped: () => this.#deps.check().catch(() => true),
        });
        this.#stream.start();
      }
    }
    if (!this.#polling && this.#deps.pollMs > 0) {
      this.#polling = true;
      this.#failures = 0;
      this.#schedulePoll(this.#deps.pollMs);
    }
  }

  /** The network is back: skip what is left of the stream's reconnect backoff. */
  reconnectNow(): void {
    this.#stream?.reconnectNow();
  }

  get streaming(): boolean {
    return this.#stream?.running ?? false;
  }

  stop(): void {
    this.#stream?.stop();
    this.#stream = null;
    this.#sessionId = null;
    this.#polling = false;
    this.#deps.clock.clearTimeout(this.#poll);
  }

  #schedulePoll(delay: number): void {
    this.#deps.clock.clearTimeout(this.#poll);
    this.#poll = this.#deps.clock.setTimeout(() => {
      if (!this.#polling) return;
      this.#deps.check().then(
        () => {
          this.#failures = 0;
          if (this.#polling) this.#schedulePoll(this.#deps.pollMs);
        },
        () => {
          // 503 or offline: keep the session shown and ask again sooner, backing off (SR-85).
          const delay = Math.min(this.#deps.pollMs, backoffMs(this.#failures++, 1000, 30_000));
          if (this.#polling) this.#schedulePoll(delay);
        },
      );
    }, delay);
  }
}
