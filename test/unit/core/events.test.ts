import { afterEach, beforeEach, describe, expect, it, type MockInstance, vi } from "vitest";
import { EventBus, type StintEvent } from "../../../src/core/events.js";

const AT = Date.UTC(2026, 0, 1);

describe("EventBus", () => {
  let consoleError: MockInstance<typeof console.error>;
  beforeEach(() => {
    // A failing listener is reported on stderr; keep the test output clean and observable.
    consoleError = vi.spyOn(console, "error").mockImplementation(() => {});
  });
  afterEach(() => {
    consoleError.mockRestore();
  });

  it("delivers an event to the listeners of its type, with its type, time and payload", () => {
    const bus = new EventBus();
    const seen: unknown[] = [];
    bus.on("created", (event) => seen.push(event));
    bus.emit("created", { sessionId: "s1", userId: null }, AT);
    expect(seen).toEqual([{ type: "created", at: AT, sessionId: "s1", userId: null }]);
  });

  it("does not deliver an event to the listeners of another type", () => {
    const bus = new EventBus();
    const seen: unknown[] = [];
    bus.on("revoked", (event) => seen.push(event));
    bus.emit("created", { sessionId: "s1", userId: null }, AT);
    expect(seen).toEqual([]);
  });

  it("delivers every event to onAny listeners, in emission order", () => {
    const bus = new EventBus();
    const seen: StintEvent[] = [];
    bus.onAny((event) => seen.push(event));
    bus.emit("created", { sessionId: "s1", userId: null }, AT);
    bus.emit("revoked", { sessionId: "s1", userId: "u", reason: "logout" }, AT + 1);
    expect(seen.map((event) => [event.type, event.at])).toEqual([
      ["created", AT],
      ["revoked", AT + 1],
    ]);
  });

  it("calls typed listeners before onAny listeners, each in subscription order", () => {
    const bus = new EventBus();
    const order: string[] = [];
    bus.onAny(() => order.push("any"));
    bus.on("cleanup", () => order.push("first"));
    bus.on("cleanup", () => order.push("second"));
    bus.emit("cleanup", { deleted: 3 }, AT);
    expect(order).toEqual(["first", "second", "any"]);
  });

  it("stops delivering after unsubscribe, for on and onAny", () => {
    const bus = new EventBus();
    const typed = vi.fn();
    const any = vi.fn();
    const offTyped = bus.on("cleanup", typed);
    const offAny = bus.onAny(any);
    bus.emit("cleanup", { deleted: 1 }, AT);
    offTyped();
    offAny();
    bus.emit("cleanup", { deleted: 2 }, AT);
    expect(typed).toHaveBeenCalledTimes(1);
    expect(any).toHaveBeenCalledTimes(1);
  });

  it("unsubscribes only the listener it was returned for, and tolerates a second call", () => {
    const bus = new EventBus();
    const kept = vi.fn();
    const removed = vi.fn();
    bus.on("cleanup", kept);
    const off = bus.on("cleanup", removed);
    off();
    off();
    bus.emit("cleanup", { deleted: 1 }, AT);
    expect(kept).toHaveBeenCalledTimes(1);
    expect(removed).not.toHaveBeenCalled();
  });

  it("keeps delivering to the others when a listener throws, and never throws to the emitter", () => {
    const bus = new EventBus();
    const after = vi.fn();
    const any = vi.fn();
    bus.on("expired", () => {
      throw new Error("log sink down");
    });
    bus.on("expired", after);
    bus.onAny(() => {
      throw new Error("metrics down");
    });
    bus.onAny(any);
    expect(() => bus.emit("expired", { sessionId: "s1", userId: null }, AT)).not.toThrow();
    expect(after).toHaveBeenCalledTimes(1);
    expect(any).toHaveBeenCalledTimes(1);
    expect(consoleError).toHaveBeenCalledTimes(2);
  });

  it("does nothing for an event nobody listens to", () => {
    expect(() => new EventBus().emit("cleanup", { deleted: 0 }, AT)).not.toThrow();
  });

  it("gives typed and onAny listeners the same event object", () => {
    const bus = new EventBus();
    const seen: unknown[] = [];
    bus.on("cleanup", (event) => seen.push(event));
    bus.onAny((event) => seen.push(event));
    bus.emit("cleanup", { deleted: 1 }, AT);
    expect(seen[0]).toBe(seen[1]);
    expect(seen[0]).toMatchObject({ type: "cleanup", at: AT });
  });
});
