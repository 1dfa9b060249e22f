/**
 * `stint/react` rendered with react-dom into happy-dom, driving real `SessionClient`s against
 * a real Stint in this process (live-stint.ts). What is asserted is what a user of the page
 * sees in the DOM, and what the server then holds.
 */
import "../../support/page-dom.js";
import { act, cleanup, fireEvent, render, screen } from "@testing-library/react";
import { StrictMode, useEffect, useState } from "react";
import { afterEach, beforeEach, describe, expect, it, type MockInstance, vi } from "vitest";
import type { SessionClient } from "../../../src/client/session-client.js";
import { SessionProvider, useSession, useSessionClient, useSessionState, useUserState } from "../../../src/react.js";
import type { TestBrowser } from "../../support/browser.js";
import { type LiveStint, PASSWORD, startLiveStint, type TabState } from "./live-stint.js";

const idleSeconds = 30 * 60; // TEST_POLICY.idleTimeout

function Header() {
  const { status, user, remainingSeconds, warning, extend, logout } = useSession<TabState>();
  return (
    <header>
      <span data-testid="status">{status}</span>
      <span data-testid="user">{user?.username ?? "nobody"}</span>
      <span data-testid="remaining">{remainingSeconds ?? "no session"}</span>
      {warning && <p role="alert">Signed out in {remainingSeconds}s</p>}
      <button type="button" onClick={() => extend()}>
        Stay signed in
      </button>
      <button type="button" onClick={() => logout()}>
        Sign out
      </button>
    </header>
  );
}

function WorkspaceSwitcher() {
  const [state, setState] = useSessionState<TabState>();
  return (
    <label>
      Workspace
      <select value={state.workspace ?? "w1"} onChange={(event) => setState({ workspace: event.target.value })}>
        <option value="w1">One</option>
        <option value="w2">Two</option>
        <option value="w3">Three</option>
      </select>
    </label>
  );
}

/** Moves to w2 only if nobody changed the state since this render (compare-and-set). */
function ClaimWorkspace() {
  const [, setState] = useSessionState<TabState>();
  // The hook does not return the version: it has to come from the client.
  const { version } = useSessionClient<TabState>();
  const [outcome, setOutcome] = useState("");
  const claim = () =>
    setState({ workspace: "w2" }, { ifVersion: version }).then(
      () => setOutcome("claimed"),
      (error: { code?: string }) => setOutcome(`refused: ${error.code}`),
    );
  return (
    <>
      <button type="button" onClick={claim}>
        Claim Two
      </button>
      <output>{outcome}</output>
    </>
  );
}

/** A preference of the person, not of the tab: it follows them to every device. */
function ThemeToggle() {
  const [prefs, setPrefs] = useUserState<{ theme?: string }>();
  const [refused, setRefused] = useState("");
  const toggle = () =>
    setPrefs({ theme: prefs.theme === "dark" ? "light" : "dark" }).catch((error: { code?: string }) =>
      setRefused(String(error.code)),
    );
  return (
    <>
      <span data-testid="theme">{prefs.theme ?? "system"}</span>
      <button type="button" onClick={toggle}>
        Toggle theme
      </button>
      <output data-testid="theme-refused">{refused}</output>
    </>
  );
}

function RevokedNotice() {
  const client = useSessionClient();
  const [revoked, setRevoked] = useState(false);
  useEffect(() => client.on("revoked", () => setRevoked(true)), [client]);
  return revoked ? <p>Signed out from another device</p> : null;
}

const Page = () => (
  <>
    <Header />
    <WorkspaceSwitcher />
  </>
);

let live: LiveStint;
/** Another device signed in as alice. */
let phone: TestBrowser;
const clients: SessionClient<TabState>[] = [];
let consoleErrors: MockInstance<typeof console.error>;

beforeEach(async () => {
  live = await startLiveStint();
  phone = await live.signUp("alice");
  // The countdown's one-second interval is the page's own timer: tests move it by hand.
  vi.useFakeTimers({ toFake: ["setInterval", "clearInterval"] });
  // React warns (console.error) about an update it was not told of, or after unmount.
  (globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;
  consoleErrors = vi.spyOn(console, "error");
});

afterEach(async () => {
  cleanup();
  for (const client of clients.splice(0)) client.close();
  await live.close();
  vi.useRealTimers();
  const errors = [...consoleErrors.mock.calls];
  consoleErrors.mockRestore();
  expect(errors).toEqual([]);
});

/** A tab whose client the test made (and closes). */
function openTab(): SessionClient<TabState> {
  const { client } = live.openTab();
  clients.push(client);
  return client;
}

/** Signs in over this browser's cookie jar, as if on an earlier page. */
async function signInBeforeLoad(): Promise<void> {
  const answer = await live.jar.post("/api/auth/login", { username: "alice", password: PASSWORD });
  expect(answer.status).toBe(200);
}

/** Lets `ms` pass on the clock the session runs on: timers, tab messages and requests complete, React renders. */
const pass = (ms = 100) => act(() => live.clock.advance(ms));

/** Does `action` (another tab's call, another device's request) and lets 100 ms pass, all inside act. */
const meanwhile = (action: () => Promise<unknown>) =>
  act(async () => {
    await action();
    await live.clock.advance(100);
  });

/** Lets `seconds` of page time pass: the session's clock and the countdown's interval. */
const elapse = (seconds: number) =>
  act(async () => {
    await live.clock.advance(seconds * 1000);
    vi.advanceTimersByTime(seconds * 1000);
  });

const click = (name: string) =>
  act(async () => {
    fireEvent.click(screen.getByRole("button", { name }));
    await live.clock.advance(100);
  });

const shown = (testId: string) => screen.getByTestId(testId).textContent;
const workspace = () => (screen.getByRole("combobox", { name: "Workspace" }) as HTMLSelectElement).value;

describe("stint/react against a real Stint", () => {
  it("shows loading, then anonymous, the user after sign-in, and anonymous after sign-out", async () => {
    const client = openTab();
    render(
      <SessionProvider client={client}>
        <Header />
      </SessionProvider>,
    );
    expect(shown("status")).toBe("loading");

    await pass();
    expect(shown("status")).toBe("anonymous");
    expect(shown("user")).toBe("nobody");
    expect(shown("remaining")).toBe("no session");

    await act(() => client.login({ username: "alice", password: PASSWORD }));
    expect(shown("status")).toBe("authenticated");
    expect(shown("user")).toBe("alice");
    expect(shown("remaining")).toBe(String(idleSeconds));

    await click("Sign out");
    expect(shown("status")).toBe("anonymous");
    expect(shown("user")).toBe("nobody");
    expect(shown("remaining")).toBe("no session");
    expect((await live.jar.get("/api/session")).status).toBe(401);
  });

  it("counts down every second, warns at the threshold, and extend() clears the warning", async () => {
    await signInBeforeLoad();
    const client = openTab();
    const warnings: unknown[] = [];
    client.on("warning", (payload) => warnings.push(payload));
    render(
      <SessionProvider client={client}>
        <Header />
      </SessionProvider>,
    );
    await pass(0);
    expect(shown("status")).toBe("authenticated");
    expect(shown("remaining")).toBe(String(idleSeconds));

    await elapse(1);
    expect(shown("remaining")).toBe(String(idleSeconds - 1));
    // Watching (the leader's passive polls, the stream) does not keep the session alive.
    await elapse(599);
    expect(shown("remaining")).toBe(String(idleSeconds - 600));
    expect(screen.queryByRole("alert")).toBeNull();

    await elapse(idleSeconds - 600 - 61);
    expect(shown("remaining")).toBe("61");
    expect(screen.queryByRole("alert")).toBeNull();
    await elapse(1);
    expect(screen.getByRole("alert").textContent).toBe("Signed out in 60s");
    expect(warnings).toEqual([{ remainingSeconds: 60 }]);

    await click("Stay signed in");
    expect(shown("remaining")).toBe(String(idleSeconds));
    expect(screen.queryByRole("alert")).toBeNull();
    // The server's own count, a moment later, rounded down.
    expect((await live.jar.get("/api/session")).body.session.remainingSeconds).toBeGreaterThanOrEqual(idleSeconds - 1);
  });

  it("shows the session as expired once its deadline passes", async () => {
    await signInBeforeLoad();
    const client = openTab();
    render(
      <SessionProvider client={client}>
        <Header />
      </SessionProvider>,
    );
    await pass(0);
    await elapse(idleSeconds);
    expect(shown("status")).toBe("expired");
    expect(shown("user")).toBe("nobody");
    expect(shown("remaining")).toBe("no session");
    expect(screen.queryByRole("alert")).toBeNull();
  });

  it("useSessionState shows the server's state, and setState writes it through the server", async () => {
    await signInBeforeLoad();
    expect((await live.jar.patch("/api/session/state", { set: { workspace: "w3" } })).status).toBe(200);
    const client = openTab();
    render(
      <SessionProvider client={client}>
        <WorkspaceSwitcher />
      </SessionProvider>,
    );
    expect(workspace()).toBe("w1");
    await pass(0);
    expect(workspace()).toBe("w3");

    await act(async () => {
      fireEvent.change(screen.getByRole("combobox", { name: "Workspace" }), { target: { value: "w2" } });
      await live.clock.advance(100);
    });
    expect(workspace()).toBe("w2");
    expect((await live.jar.get("/api/session/state")).body.state).toEqual({ workspace: "w2" });
  });

  it("a compare-and-set against a stale version is refused and the page shows what won", async () => {
    await signInBeforeLoad();
    const client = openTab();
    const other = openTab();
    render(
      <SessionProvider client={client}>
        <WorkspaceSwitcher />
        <ClaimWorkspace />
      </SessionProvider>,
    );
    await act(() => other.init());
    await pass();
    // The other tab writes after this page rendered the version it will compare against.
    await act(async () => {
      await other.setState({ workspace: "w3" });
      fireEvent.click(screen.getByRole("button", { name: "Claim Two" }));
      await live.clock.advance(100);
    });
    expect(screen.getByRole("status").textContent).toBe("refused: conflict");
    expect(workspace()).toBe("w3");
    expect((await live.jar.get("/api/session/state")).body.state).toEqual({ workspace: "w3" });
  });

  it("re-renders with a state change made in another tab", async () => {
    await signInBeforeLoad();
    const client = openTab();
    const other = openTab();
    render(
      <SessionProvider client={client}>
        <Page />
      </SessionProvider>,
    );
    await act(() => other.init());
    await pass();
    expect(workspace()).toBe("w1");

    await meanwhile(() => other.setState({ workspace: "w2" }));
    expect(workspace()).toBe("w2");
  });

  it("re-renders with a change the app's server made, heard by the leader tab's event stream", async () => {
    await signInBeforeLoad();
    // The first tab leads; the rendered one follows and hears only the leader's signal.
    const leader = openTab();
    await act(() => leader.init());
    const client = openTab();
    render(
      <SessionProvider client={client}>
        <Page />
      </SessionProvider>,
    );
    await pass();
    expect(leader.isLeader).toBe(true);
    expect(client.isLeader).toBe(false);

    // A route of the app, outside the API, moves the user to another workspace.
    await meanwhile(async () => {
      const session = await live.stint.load(live.jar.cookieHeader);
      session.setState("workspace", "w3");
      await live.stint.commit(session);
    });
    expect(workspace()).toBe("w3");
  });

  it("useUserState shows the user's state, writes it, and follows a change made on another device", async () => {
    await signInBeforeLoad();
    const client = openTab();
    render(
      <SessionProvider client={client}>
        <ThemeToggle />
      </SessionProvider>,
    );
    await pass();
    expect(shown("theme")).toBe("system");
    await click("Toggle theme");
    expect(shown("theme")).toBe("dark");
    // The phone, another browser signed in as alice, reads it from the server.
    expect((await phone.get("/api/user/state")).body.state).toEqual({ theme: "dark" });
    // …and changes it: the page hears of it over its event stream.
    await meanwhile(() => phone.patch("/api/user/state", { set: { theme: "light" } }));
    expect(shown("theme")).toBe("light");
  });

  it("useUserState without a signed-in user shows nothing and its setter is refused", async () => {
    const client = openTab();
    render(
      <SessionProvider client={client}>
        <ThemeToggle />
      </SessionProvider>,
    );
    await pass();
    await click("Toggle theme");
    expect(shown("theme")).toBe("system");
    expect(shown("theme-refused")).toBe("no_session");
  });

  it("signs out when another tab signs out", async () => {
    await signInBeforeLoad();
    await live.jar.patch("/api/session/state", { set: { workspace: "w2" } });
    const client = openTab();
    const other = openTab();
    render(
      <SessionProvider client={client}>
        <Page />
      </SessionProvider>,
    );
    await act(() => other.init());
    await pass();
    expect(shown("user")).toBe("alice");
    expect(workspace()).toBe("w2");

    await meanwhile(() => other.logout());
    expect(shown("status")).toBe("anonymous");
    expect(shown("user")).toBe("nobody");
    expect(shown("remaining")).toBe("no session");
    // The state went with the session.
    expect(workspace()).toBe("w1");
  });

  it("ends the session in the page when another device revokes it", async () => {
    await signInBeforeLoad();
    const client = openTab();
    render(
      <SessionProvider client={client}>
        <Header />
        <RevokedNotice />
      </SessionProvider>,
    );
    await pass();
    expect(shown("user")).toBe("alice");

    const pageSession = client.session!.id;
    const devices = await phone.get("/api/sessions");
    expect(devices.body.sessions.map((s: { id: string }) => s.id)).toContain(pageSession);
    await meanwhile(async () => expect((await phone.delete(`/api/sessions/${pageSession}`)).status).toBe(204));
    expect(shown("status")).toBe("expired");
    expect(shown("user")).toBe("nobody");
    expect(screen.getByText("Signed out from another device")).toBeTruthy();
  });

  it("a provider that made its client closes it on unmount: no timer, listener, stream or lock is left", async () => {
    await signInBeforeLoad();
    const options = live.tabOptions();
    const { unmount } = render(
      <SessionProvider options={options}>
        <Page />
      </SessionProvider>,
    );
    await pass();
    expect(shown("status")).toBe("authenticated");
    expect(live.clock.pending).toBeGreaterThan(0);
    expect(vi.getTimerCount()).toBeGreaterThan(0);
    expect(options.window.listeners).toBeGreaterThan(0);
    expect(live.hub.openChannels).toBe(1);
    expect(live.leaderLockHeld()).toBe(true);
    expect(live.streams.filter((stream) => !stream.closed)).toHaveLength(1);

    unmount();
    await act(() => live.clock.advance(0));
    expect(live.clock.pending).toBe(0);
    // The countdown's interval, and the server's for the stream the page no longer reads.
    expect(vi.getTimerCount()).toBe(0);
    expect(options.window.listeners).toBe(0);
    expect(live.hub.openChannels).toBe(0);
    expect(live.leaderLockHeld()).toBe(false);
    expect(live.streams.every((stream) => stream.closed)).toBe(true);
  });

  it("unmounting leaves a client the app passed in running, and stops only the countdown", async () => {
    await signInBeforeLoad();
    const client = openTab();
    const { unmount } = render(
      <SessionProvider client={client}>
        <Header />
      </SessionProvider>,
    );
    await pass();
    const timers = vi.getTimerCount();
    unmount();
    await pass();
    expect(vi.getTimerCount()).toBe(timers - 1);
    expect(client.status).toBe("authenticated");
    expect(client.isLeader).toBe(true);
    expect(live.streams.filter((stream) => !stream.closed)).toHaveLength(1);
  });

  it("says what is missing when a hook has no provider above it", () => {
    expect(() => render(<Header />)).toThrow("need a <SessionProvider> above them");
    expect(() => render(<WorkspaceSwitcher />)).toThrow("need a <SessionProvider> above them");
  });

  describe("in StrictMode (effects mount, unmount and mount again)", () => {
    it("keeps a client the app passed in working", async () => {
      await signInBeforeLoad();
      const client = openTab();
      render(
        <StrictMode>
          <SessionProvider client={client}>
            <Header />
          </SessionProvider>
        </StrictMode>,
      );
      const other = openTab();
      await act(() => other.init());
      await pass();
      expect(shown("status")).toBe("authenticated");

      await meanwhile(() => other.logout());
      expect(shown("status")).toBe("anonymous");
    });

    it("keeps a client it made from options carrying the page's channel and leader working", async () => {
      await signInBeforeLoad();
      const options = live.tabOptions();
      const { unmount } = render(
        <StrictMode>
          <SessionProvider options={options}>
            <Header />
          </SessionProvider>
        </StrictMode>,
      );
      const other = openTab();
      await act(() => other.init());
      await pass();
      expect(shown("status")).toBe("authenticated");

      await meanwhile(() => other.logout());
      expect(shown("status")).toBe("anonymous");
      other.close();
      unmount();
      await act(() => live.clock.advance(0));
      expect(live.clock.pending).toBe(0);
      expect(options.window.listeners).toBe(0);
      expect(live.hub.openChannels).toBe(0);
      expect(live.leaderLockHeld()).toBe(false);
    });
  });
});
