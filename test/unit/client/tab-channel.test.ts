import { afterEach, describe, expect, it } from "vitest";
import type { ChannelMessage, TabMessage } from "../../../src/client/messages.js";
import { broadcastTabChannel, storageTabChannel, type TabChannel } from "../../../src/client/tab-channel.js";
import { FakeStorageArea, settle } from "./fakes.js";

const message = (type: TabMessage["type"], from = "tab-a"): TabMessage => ({ v: 1, type, at: 1, from });

describe("broadcastTabChannel (real BroadcastChannel)", () => {
  const opened: Array<TabChannel | BroadcastChannel> = [];
  afterEach(() => {
    for (const channel of opened.splice(0)) channel.close();
  });

  it("delivers to other channels of the same name, not to the sender, and drops malformed posts", async () => {
    const a = broadcastTabChannel("stint-test-1");
    const b = broadcastTabChannel("stint-test-1");
    const raw = new BroadcastChannel("stint-test-1");
    opened.push(a, b, raw);
    const atA: ChannelMessage[] = [];
    const atB: ChannelMessage[] = [];
    a.subscribe((m) => atA.push(m));
    b.subscribe((m) => atB.push(m));
    a.post(message("logout"));
    raw.postMessage({ type: "logout" });
    raw.postMessage("{broken");
    raw.postMessage({ v: 1, type: "state", version: 2, at: 5, from: "tab-z", token: "leak" });
    await settle();
    expect(atA).toEqual([{ v: 1, type: "state", version: 2, at: 5, from: "tab-z" }]);
    expect(atB).toEqual([message("logout"), { v: 1, type: "state", version: 2, at: 5, from: "tab-z" }]);
  });

  it("stops delivering after unsubscribe and close, and posting after close does not throw", async () => {
    const a = broadcastTabChannel("stint-test-2");
    const b = broadcastTabChannel("stint-test-2");
    opened.push(a, b);
    const seen: ChannelMessage[] = [];
    const stop = b.subscribe((m) => seen.push(m));
    stop();
    a.post(message("login"));
    await settle();
    expect(seen).toEqual([]);
    a.close();
    expect(() => a.post(message("login"))).not.toThrow();
  });
});

describe("storageTabChannel (the fallback)", () => {
  it("reaches other tabs through the storage event and leaves nothing in storage", () => {
    const area = new FakeStorageArea();
    const one = area.tab();
    const two = area.tab();
    const a = storageTabChannel("stint", one.storage, one.target);
    const b = storageTabChannel("stint", two.storage, two.target);
    const atA: ChannelMessage[] = [];
    const atB: ChannelMessage[] = [];
    a.subscribe((m) => atA.push(m));
    b.subscribe((m) => atB.push(m));
    a.post(message("state"));
    a.post(message("state"));
    expect(atB).toEqual([message("state"), message("state")]);
    expect(atA).toEqual([]);
    expect(area.size).toBe(0);
    a.close();
    b.close();
  });

  it("ignores malformed values, other keys and other storage areas, without throwing", () => {
    const area = new FakeStorageArea();
    const one = area.tab();
    const channel = storageTabChannel("stint", one.storage, one.target);
    const seen: ChannelMessage[] = [];
    channel.subscribe((m) => seen.push(m));
    expect(() => {
      area.fireRaw("stint:signal", "{nope");
      area.fireRaw("stint:signal", JSON.stringify({ type: "logout" }));
      area.fireRaw("stint:signal", "null");
      area.fireRaw("other", JSON.stringify(message("logout")));
      one.target.dispatchEvent(
        Object.assign(new Event("storage"), {
          key: "stint:signal",
          newValue: JSON.stringify(message("logout")),
          storageArea: {},
        }),
      );
    }).not.toThrow();
    expect(seen).toEqual([]);
    area.fireRaw("stint:signal", JSON.stringify(message("logout")));
    expect(seen).toEqual([message("logout")]);
    channel.close();
  });

  it("keeps delivering when one listener throws", () => {
    const area = new FakeStorageArea();
    const one = area.tab();
    const two = area.tab();
    const sender = storageTabChannel("stint", one.storage, one.target);
    const receiver = storageTabChannel("stint", two.storage, two.target);
    const seen: ChannelMessage[] = [];
    const original = console.error;
    console.error = () => {};
    try {
      receiver.subscribe(() => {
        throw new Error("listener bug");
      });
      receiver.subscribe((m) => seen.push(m));
      sender.post(message("expired"));
    } finally {
      console.error = original;
    }
    expect(seen).toEqual([message("expired")]);
  });
});
