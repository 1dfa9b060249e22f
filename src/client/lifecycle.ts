import type { AutoExtender } from "./auto-extend.js";
import type { Clock } from "./clock.js";
import { createLeader, type Leader } from "./leader.js";
import type { SessionClientOptions } from "./options.js";
import { listenToPage } from "./page-events.js";
import { createTabChannel } from "./tab-channel.js";
import type { TabMessages } from "./tab-messages.js";

export interface LifecycleDeps {
  options: SessionClientOptions;
  clock: Clock;
  messages: TabMessages;
  autoExtend: AutoExtender;
  /** The first read of the session (and each retry of it). */
  read(): Promise<void>;
  /** Whether the first read has not succeeded yet. */
  loading(): boolean;
  leaderChanged(isLeader: boolean): void;
  /** The user is back on the page (focus, visible again). */
  returned(): void;
  /** The network is back. */
  online(): void;
  /** Stops the client's own timers and its stream. */
  stop(): void;
}

/**
 * The lifecycle part of a client: `init` joins the tab channel and the leader election,
 * listens to the page and reads the session, retrying with backoff until the first read
 * succeeds; `close` undoes all of it, so another tab takes over the leadership.
 */
export class ClientLifecycle {
  readonly #deps: LifecycleDeps;
  #leader: Leader | null = null;
  #started = false;
  #closedOnce = false;
  #starting: Promise<void> | null = null;
  #cleanups: Array<() => void> = [];
  #retry: unknown;

  constructor(deps: LifecycleDeps) {
    this.#deps = deps;
  }

  get started(): boolean {
    return this.#started;
  }

  get isLeader(): boolean {
    return this.#leader?.isLeader ?? false;
  }

  init(): Promise<void> {
    if (this.#starting) return this.#starting;
    const { options } = this.#deps;
    if (this.#closedOnce && (options.channel || options.leader)) {
      return Promise.reject(new Error("stint: a client given its own channel or leader cannot restart after close()"));
    }
    this.#setup();
    this.#starting = this.#deps.read().catch((error: unknown) => {
      this.#retryAfter(0);
      throw error;
    });
    return this.#starting;
  }

  close(): void {
    for (const cleanup of this.#cleanups.reverse()) cleanup();
    this.#cleanups = [];
    this.#started = false;
    this.#closedOnce = true;
    this.#starting = null;
    this.#leader = null;
  }

  #setup(): void {
    const { options, messages, autoExtend, clock } = this.#deps;
    this.#started = true;
    const name = options.name ?? "stint";
    const leaveChannel = messages.attach(options.channel ?? createTabChannel(name));
    const leader = options.leader ?? createLeader(name);
    this.#leader = leader;
    const unwatch = leader.onChange((isLeader) => this.#deps.leaderChanged(isLeader));
    this.#cleanups.push(
      leaveChannel,
      () => {
        unwatch();
        leader.close();
      },
      () => {
        this.#deps.stop();
        clock.clearTimeout(this.#retry);
        autoExtend.attach(null);
      },
    );
    const win = options.window === undefined ? globalThis.window : options.window;
    const doc = options.document === undefined ? globalThis.document : options.document;
    this.#cleanups.push(listenToPage(win, doc, { returned: this.#deps.returned, online: this.#deps.online }));
    autoExtend.attach(win ?? null);
    if (leader.isLeader) this.#deps.leaderChanged(true);
  }

  #retryAfter(attempt: number): void {
    const { clock } = this.#deps;
    const delay = Math.min(30_000, 1000 * 2 ** attempt);
    clock.clearTimeout(this.#retry);
    this.#retry = clock.setTimeout(() => {
      if (!this.#started || !this.#deps.loading()) return;
      this.#deps.read().catch(() => this.#retryAfter(attempt + 1));
    }, delay);
  }
}
