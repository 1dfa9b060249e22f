import type { Clock } from "./clock.js";
import { backoffMs } from "./timers.js";

/** The part of `EventSource` the client uses, so tests can hand in a fake. */
export interface EventSourceLike {
  addEventListener(type: string, listener: (event: Event) => void): void;
  close(): void;
}

/** Opens the stream; the default is `(url) => new EventSource(url)`. */
export type EventSourceFactory = (url: string) => EventSourceLike;

/** The events of `GET /api/session/events` (API.md). */
export type StreamEvent =
  | { type: "state"; version: number | null }
  | { type: "user-state"; version: number | null }
  | { type: "extended" }
  | { type: "expiring"; remainingSeconds: number | null }
  | { type: "revoked" }
  | { type: "logout" };

export interface StreamHandlers {
  event(event: StreamEvent): void;
  /** The stream is (again) open; `reconnected` is true after a drop, when events may have been missed. */
  open(reconnected: boolean): void;
  /** The stream dropped; resolve `true` to reconnect after a backoff, `false` to give up. */
  dropped(): Promise<boolean>;
}

function numberField(event: Event, field: string): number | null {
  try {
    const data = JSON.parse(String((event as MessageEvent).data)) as Record<string, unknown> | null;
    const value = data?.[field];
    return typeof value === "number" && Number.isFinite(value) ? value : null;
  } catch {
    return null;
  }
}

/**
 * The leader's connection to the session's event stream: reconnects with capped, jittered
 * backoff after a drop, and stops for good after `revoked` or `logout` (the server ends the
 * stream then, and reconnecting would only earn a 401).
 */
export class SessionEventStream {
  readonly #url: string;
  readonly #factory: EventSourceFactory;
  readonly #clock: Clock;
  readonly #handlers: StreamHandlers;
  #source: EventSourceLike | null = null;
  #attempt = 0;
  #opened = false;
  #running = false;
  #retry: unknown;

  constructor(url: string, factory: EventSourceFactory, clock: Clock, handlers: StreamHandlers) {
    this.#url = url;
    this.#factory = factory;
    this.#clock = clock;
    this.#handlers = handlers;
  }

  get running(): boolean {
    return this.#running;
  }

  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#attempt = 0;
    this.#opened = false;
    this.#connect();
  }

  /**
   * The network is back: a stream waiting out its backoff reconnects now instead of up to
   * 30 s later. Does nothing while a connection is open or being opened.
   */
  reconnectNow(): void {
    if (!this.#running || this.#source !== null) return;
    this.#clock.clearTimeout(this.#retry);
    this.#connect();
  }

  stop(): void {
    this.#running = false;
    this.#clock.clearTimeout(this.#retry);
    this.#source?.close();
    this.#source = null;
  }

  #connect(): void {
    if (!this.#running) return;
    let source: EventSourceLike;
    try {
      source = this.#factory(this.#url);
    } catch {
      this.#drop();
      return;
    }
    this.#source = source;
    const current = () => this.#source === source && this.#running;
    source.addEventListener("open", () => {
      if (!current()) return;
      const reconnected = this.#opened;
      this.#opened = true;
      this.#attempt = 0;
      this.#handlers.open(reconnected);
    });
    source.addEventListener("error", () => {
      if (!current()) return;
      // EventSource retries by itself on network errors but not on HTTP errors, and its own
      // retry has no backoff; closing and reconnecting here gives one policy for both.
      source.close();
      this.#source = null;
      this.#drop();
    });
    for (const type of ["state", "user-state"] as const) {
      source.addEventListener(type, (event) => {
        if (current()) this.#handlers.event({ type, version: numberField(event, "version") });
      });
    }
    source.addEventListener("extended", () => {
      if (current()) this.#handlers.event({ type: "extended" });
    });
    source.addEventListener("expiring", (event) => {
      if (current())
        this.#handlers.event({ type: "expiring", remainingSeconds: numberField(event, "remainingSeconds") });
    });
    for (const type of ["revoked", "logout"] as const) {
      source.addEventListener(type, () => {
        if (!current()) return;
        this.stop();
        this.#handlers.event({ type });
      });
    }
  }

  #drop(): void {
    const attempt = this.#attempt++;
    this.#handlers.dropped().then(
      (again) => {
        if (!again || !this.#running) {
          this.stop();
          return;
        }
        // reconnectNow() may have connected while the check was out.
        if (this.#source !== null) return;
        this.#clock.clearTimeout(this.#retry);
        this.#retry = this.#clock.setTimeout(
          () => {
            if (this.#source === null) this.#connect();
          },
          backoffMs(attempt, 1000, 30_000),
        );
      },
      () => this.stop(),
    );
  }
}
