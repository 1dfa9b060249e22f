/**
 * A real Stint (memory store, demo accounts) answering in this process, and one browser
 * profile around it, for rendering `stint/react` against the real API. The tabs are real
 * `SessionClient`s; only the browser's platform is faked: the cookie jar (`TestBrowser`),
 * the tab channel and Web Locks the profile's tabs share, an `EventSource` reading the real
 * event stream, each tab's `window`, and one clock that server and tabs both read.
 */
import { createStint, memoryStore, type Stint } from "stint";
import { createAccounts, memoryUserStore } from "stint/accounts";
import type { EventSourceLike } from "../../../src/client/event-stream.js";
import { webLocksLeader } from "../../../src/client/leader.js";
import type { SessionClientOptions } from "../../../src/client/options.js";
import { SessionClient } from "../../../src/client/session-client.js";
import { fetchHost, TEST_HASHER, TEST_POLICY, TEST_SECRET } from "../../support/api-target.js";
import { TestBrowser } from "../../support/browser.js";
import { readEventStream } from "../../support/event-stream.js";
import { FakeClock, FakeHub, FakeLockManager } from "../client/fakes.js";

export const PASSWORD = "correct horse battery";
const leaderLock = "stint:leader";

export type TabState = { workspace?: string };

/** `EventSource` over the profile's `fetch`: what the leader tab opens on the real event stream. */
export class FetchEventSource implements EventSourceLike {
  closed = false;
  readonly #abort = new AbortController();
  readonly #listeners = new Map<string, Set<(event: Event) => void>>();

  constructor(
    readonly url: string,
    fetch: TestBrowser["fetch"],
  ) {
    void this.#read(fetch);
  }

  addEventListener(type: string, listener: (event: Event) => void): void {
    const listeners = this.#listeners.get(type) ?? new Set();
    this.#listeners.set(type, listeners);
    listeners.add(listener);
  }

  close(): void {
    this.closed = true;
    this.#abort.abort();
  }

  async #read(fetch: TestBrowser["fetch"]): Promise<void> {
    try {
      const response = await fetch(this.url, { headers: { accept: "text/event-stream" }, signal: this.#abort.signal });
      if (response.status === 200 && response.body) {
        this.#fire("open");
        await readEventStream(response.body, (type, data) => this.#fire(type, data));
      }
    } catch {
      // Aborted by close(), or the stream broke.
    }
    // As EventSource does when a stream fails or ends.
    this.#fire("error");
  }

  #fire(type: string, data?: string): void {
    if (this.closed) return;
    const event = Object.assign(new Event(type), { data });
    for (const listener of [...(this.#listeners.get(type) ?? [])]) listener(event);
  }
}

/** A tab's `window`, counting the listeners on it so a test can see that a client let go of them. */
export class PageWindow extends EventTarget {
  readonly #live = new Map<string, Set<EventListenerOrEventListenerObject>>();

  get listeners(): number {
    let count = 0;
    for (const set of this.#live.values()) count += set.size;
    return count;
  }

  override addEventListener(
    type: string,
    listener: EventListenerOrEventListenerObject | null,
    options?: AddEventListenerOptions | boolean,
  ): void {
    super.addEventListener(type, listener, options);
    if (!listener) return;
    const set = this.#live.get(type) ?? new Set();
    this.#live.set(type, set);
    set.add(listener);
  }

  override removeEventListener(
    type: string,
    listener: EventListenerOrEventListenerObject | null,
    options?: EventListenerOptions | boolean,
  ): void {
    super.removeEventListener(type, listener, options);
    if (listener) this.#live.get(type)?.delete(listener);
  }
}

export interface LiveStint {
  stint: Stint;
  clock: FakeClock;
  /** The profile's cookie jar and `fetch`; its own requests (`jar.get(...)`) read what the tabs' session holds. */
  jar: TestBrowser;
  hub: FakeHub;
  locks: FakeLockManager;
  /** Every event stream a tab of this profile opened. */
  streams: FetchEventSource[];
  /** Options for one more tab of this profile; the caller (or a `SessionProvider`) makes the client. */
  tabOptions(): SessionClientOptions & { window: PageWindow };
  /** One more tab, not started. */
  openTab(): { client: SessionClient<TabState>; window: PageWindow };
  /** Another browser: its own cookie jar, channel and locks, on the same server. */
  device(): TestBrowser;
  /** Creates `username` from another device, which stays signed in as that user. */
  signUp(username: string): Promise<TestBrowser>;
  leaderLockHeld(): boolean;
  close(): Promise<void>;
}

export async function startLiveStint(): Promise<LiveStint> {
  const clock = new FakeClock();
  const stint = createStint({
    store: memoryStore(),
    secret: TEST_SECRET,
    clock,
    ...TEST_POLICY,
    accounts: createAccounts({ users: memoryUserStore({ clock }), hasher: TEST_HASHER, clock }),
    // Only the tests' own events should travel on the stream.
    heartbeatMs: 3_600_000,
  });
  const served = await fetchHost(stint);
  const jar = new TestBrowser(served);
  const hub = new FakeHub();
  const locks = new FakeLockManager();
  const streams: FetchEventSource[] = [];

  const tabOptions = () => ({
    clock,
    fetch: jar.fetch,
    channel: hub.channel(),
    leader: webLocksLeader(leaderLock, locks),
    eventSource: (url: string) => {
      const stream = new FetchEventSource(url, jar.fetch);
      streams.push(stream);
      return stream;
    },
    window: new PageWindow(),
    document: null,
  });
  const device = () => new TestBrowser(served, "Mozilla/5.0 (Android 15; Mobile) TestPhone/1.0");

  return {
    stint,
    clock,
    jar,
    hub,
    locks,
    streams,
    tabOptions,
    openTab() {
      const options = tabOptions();
      return { client: new SessionClient<TabState>(options), window: options.window };
    },
    device,
    async signUp(username) {
      const phone = device();
      const answer = await phone.post("/api/auth/register", { username, password: PASSWORD });
      if (answer.status !== 201) throw new Error(`register answered ${answer.status}: ${answer.text}`);
      return phone;
    },
    leaderLockHeld: () => locks.isHeld(leaderLock),
    close: () => served.close(),
  };
}
