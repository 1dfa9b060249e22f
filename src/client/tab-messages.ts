import type { Clock } from "./clock.js";
import type { DebugLogger } from "./debug.js";
import type { TabMessage, TabSignal } from "./messages.js";
import type { TabChannel } from "./tab-channel.js";

/** What a tab does when another tab signals. */
export interface SignalHandlers {
  /** Someone signed in, or the session was extended: ask the server. */
  changed(): void;
  /** The session state has a new version (undefined: unknown). */
  state(version: number | undefined): void;
  /** The session is over: dropping it needs no proof, and must work offline (SR-82). */
  ended(kind: "logout" | "revoked" | "expired"): void;
  /** The user is active in another tab. */
  activity(): void;
}

/**
 * The tab-message part of a client: it posts this tab's signals on the channel and turns the
 * other tabs' signals into calls. A signal is never proof of anything (SR-84): login, state and
 * extension are only believed once the server says so.
 */
export class TabMessages {
  readonly #tabId: string;
  readonly #clock: Clock;
  readonly #log: DebugLogger;
  readonly #handlers: SignalHandlers;
  #channel: TabChannel | null = null;

  constructor(deps: { tabId: string; clock: Clock; log: DebugLogger; handlers: SignalHandlers }) {
    this.#tabId = deps.tabId;
    this.#clock = deps.clock;
    this.#log = deps.log;
    this.#handlers = deps.handlers;
  }

  /** Joins `channel`; returns the cleanup, which leaves and closes it. */
  attach(channel: TabChannel): () => void {
    this.#channel = channel;
    const unsubscribe = channel.subscribe((message) => this.#receive(message));
    return () => {
      unsubscribe();
      channel.close();
      if (this.#channel === channel) this.#channel = null;
    };
  }

  post(type: TabSignal, version?: number): void {
    if (!this.#channel) return;
    const message: TabMessage = { v: 1, type, at: this.#clock.now(), from: this.#tabId };
    if (version !== undefined) message.version = version;
    this.#log("signal sent", { type, version: version ?? null });
    this.#channel.post(message);
  }

  #receive(message: TabMessage): void {
    if (message.from === this.#tabId) return;
    this.#log("signal received", { type: message.type, version: message.version ?? null, from: message.from });
    switch (message.type) {
      case "login":
      case "extended":
        this.#handlers.changed();
        break;
      case "state":
        this.#handlers.state(message.version);
        break;
      case "logout":
      case "revoked":
      case "expired":
        this.#handlers.ended(message.type);
        break;
      case "activity":
        this.#handlers.activity();
        break;
      case "leader":
        break;
    }
  }
}
