import type { Clock } from "./clock.js";
import type { DebugLogger } from "./debug.js";
import {
  type AppMessage,
  appData,
  type ChannelMessage,
  isAppMessageName,
  type TabMessage,
  type TabSignal,
} from "./messages.js";
import type { TabChannel } from "./tab-channel.js";

/** What a tab does when another tab signals. */
export interface SignalHandlers {
  /** Someone signed in, or the session was extended: ask the server. */
  changed(): void;
  /** The session state has a new version (undefined: unknown). */
  state(version: number | undefined): void;
  /** The user's state has a new version (undefined: unknown). */
  userState(version: number | undefined): void;
  /** The session is over: dropping it needs no proof, and must work offline (SR-82). */
  ended(kind: "logout" | "revoked" | "expired"): void;
  /** The user is active in another tab. */
  activity(): void;
  /** Another tab's app message (`broadcast`), its data a fresh plain-JSON copy. */
  message(type: string, data: unknown): void;
}

/**
 * The tab-message part of a client: it posts this tab's signals and the app's own messages on
 * the channel, and turns the other tabs' into calls. A signal is never proof of anything
 * (SR-84): login, state and extension are only believed once the server says so.
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

  /**
   * Sends an app message to the other tabs of this browser. `data` must be plain JSON of at
   * most 16 KiB and must not hold `secret` (the session's CSRF token): a TypeError otherwise,
   * and nothing is sent. Without a channel (before `init`, after `close`) it reaches nobody.
   */
  broadcast(type: string, data: unknown, secret: string | null): void {
    if (!isAppMessageName(type)) throw new TypeError("A tab message type is 1–64 of A–Z, a–z, 0–9, _ . : -.");
    const copy = appData(data);
    if (secret && JSON.stringify(copy).includes(secret)) {
      throw new TypeError("Tab messages must never carry the session's CSRF token.");
    }
    if (!this.#channel) return;
    const message: AppMessage = {
      v: 1,
      type: "message",
      name: type,
      data: copy,
      at: this.#clock.now(),
      from: this.#tabId,
    };
    this.#log("message sent", { type });
    this.#channel.post(message);
  }

  #receive(message: ChannelMessage): void {
    if (message.from === this.#tabId) return;
    if (message.type === "message") {
      this.#log("message received", { type: message.name, from: message.from });
      this.#handlers.message(message.name, message.data);
      return;
    }
    this.#log("signal received", { type: message.type, version: message.version ?? null, from: message.from });
    switch (message.type) {
      case "login":
      case "extended":
        this.#handlers.changed();
        break;
      case "state":
        this.#handlers.state(message.version);
        break;
      case "user-state":
        this.#handlers.userState(message.version);
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
