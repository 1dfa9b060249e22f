import { describe, expect, it } from "vitest";
import { MAX_VALUE_DEPTH, Session } from "../../../src/core/session.js";
import type { JsonObject, SessionRecord } from "../../../src/stores/store.js";
import { makeRecord } from "../../../src/testing.js";

type Cart = { count: number; items: string[]; note: string | null };

const anonymous = () => new Session<Cart>(null, {}, {}, false);
const stored = (overrides: Partial<SessionRecord> = {}, data: JsonObject = {}) =>
  new Session<Cart>(makeRecord({ userId: "alice", version: 4, ...overrides }), data, { userAgent: "UA" }, false);

const keysOf = (session: Session<Cart>) => {
  const { dataSet, dataUnset, stateSet, stateUnset } = session.changes;
  return {
    dataSet: [...dataSet.keys()].sort(),
    dataUnset: [...dataUnset].sort(),
    stateSet: [...stateSet.keys()].sort(),
    stateUnset: [...stateUnset].sort(),
  };
};

describe("a new session", () => {
  it("has no id, user, record or version, and no data or state", () => {
    const session = anonymous();
    expect(session.id).toBeNull();
    expect(session.userId).toBeNull();
    expect(session.isNew).toBe(true);
    expect(session.record).toBeNull();
    expect(session.version).toBe(0);
    expect(session.data()).toEqual({});
    expect(session.state()).toEqual({});
    expect(session.hasContentChanges).toBe(false);
    expect(session.isDestroyed).toBe(false);
    expect(session.presentedInvalidToken).toBe(false);
  });

  it("remembers the client and whether an invalid token was presented", () => {
    const session = new Session(null, {}, { userAgent: "UA", ip: "203.0.113.9" }, true);
    expect(session.client).toEqual({ userAgent: "UA", ip: "203.0.113.9" });
    expect(session.presentedInvalidToken).toBe(true);
  });
});

describe("a loaded session", () => {
  it("exposes the record's id, user, version and state, and the data it was given", () => {
    const session = stored({ state: { theme: "dark" } }, { count: 2 });
    expect(session.id).toBe(session.record?.id);
    expect(session.userId).toBe("alice");
    expect(session.isNew).toBe(false);
    expect(session.version).toBe(4);
    expect(session.get("count")).toBe(2);
    expect(session.getState("theme")).toBe("dark");
  });

  it("uses the data it was given, not the record's (the checked data replaces the stored one)", () => {
    const session = stored({ data: { count: "invalid" } }, { count: 0 });
    expect(session.get("count")).toBe(0);
  });

  it("hands out copies: changing them changes nothing", () => {
    const record = makeRecord({ state: { a: 1 } });
    const session = new Session(record, { b: 2 }, {}, false);
    const data = session.data();
    const state = session.state();
    data.b = 99;
    state.a = 99;
    record.state.a = 42;
    expect(session.get("b")).toBe(2);
    expect(session.getState("a")).toBe(1);
    expect(session.hasContentChanges).toBe(false);
  });

  it("reads only own keys, never inherited ones", () => {
    const session = stored();
    expect(session.get("toString" as "note")).toBeUndefined();
    expect(session.get("__proto__" as "note")).toBeUndefined();
    expect(session.getState("constructor")).toBeUndefined();
    expect(session.getState("hasOwnProperty")).toBeUndefined();
  });

  it("reading nothing but get and getState leaves it clean", () => {
    const session = stored({ state: { theme: "dark" } }, { count: 1 });
    session.get("count");
    session.getState("theme");
    session.data();
    session.state();
    expect(session.hasContentChanges).toBe(false);
    expect(keysOf(session)).toEqual({ dataSet: [], dataUnset: [], stateSet: [], stateUnset: [] });
  });
});

describe("dirty tracking", () => {
  it("records exactly the keys set and removed, data and state apart", () => {
    const session = stored({ state: { theme: "dark", old: 1 } }, { count: 1, note: "x" });
    session.set("count", 2).set("items", ["a"]).unset("note");
    session.setState("theme", "light").unsetState("old");
    expect(keysOf(session)).toEqual({
      dataSet: ["count", "items"],
      dataUnset: ["note"],
      stateSet: ["theme"],
      stateUnset: ["old"],
    });
    expect(session.changes.dataSet.get("count")).toBe(2);
    expect(session.changes.stateSet.get("theme")).toBe("light");
    expect(session.hasContentChanges).toBe(true);
    expect(session.data()).toEqual({ count: 2, items: ["a"] });
    expect(session.state()).toEqual({ theme: "light" });
  });

  it("turns set then unset of one key into a removal only", () => {
    const session = stored({}, { count: 1 });
    session.set("count", 5).unset("count");
    expect(keysOf(session)).toEqual({ dataSet: [], dataUnset: ["count"], stateSet: [], stateUnset: [] });
    expect(session.get("count")).toBeUndefined();
  });

  it("turns unset then set of one key into a write only, with the last value", () => {
    const session = stored({ state: { theme: "dark" } });
    session.unsetState("theme").setState("theme", "light").setState("theme", "blue");
    expect(keysOf(session)).toEqual({ dataSet: [], dataUnset: [], stateSet: ["theme"], stateUnset: [] });
    expect(session.changes.stateSet.get("theme")).toBe("blue");
    expect(session.getState("theme")).toBe("blue");
  });

  it("counts an unset of a key that was never there as a change", () => {
    const session = stored();
    session.unset("note");
    expect(session.hasContentChanges).toBe(true);
    expect(keysOf(session).dataUnset).toEqual(["note"]);
  });

  it("accepts JSON values: null, numbers, strings, booleans, arrays and nested objects", () => {
    const session = anonymous();
    session.set("note", null).set("count", 0).set("items", []);
    session.setState("deep", { a: [1, { b: true }], c: "d" }).setState("flag", false);
    expect(session.get("note")).toBeNull();
    expect(session.getState("deep")).toEqual({ a: [1, { b: true }], c: "d" });
  });

  it("treats __proto__ as an ordinary key that reaches no prototype", () => {
    const session = anonymous();
    session.setState("__proto__", { admin: true });
    expect(session.getState("__proto__")).toEqual({ admin: true });
    expect(session.getState("admin")).toBeUndefined();
    expect(Object.hasOwn(session.state(), "__proto__")).toBe(true);
    expect(keysOf(session).stateSet).toEqual(["__proto__"]);
    expect(({} as Record<string, unknown>).admin).toBeUndefined();
  });
});

describe("values that do not survive JSON", () => {
  const refused = (value: unknown) => {
    const session = stored({ state: { kept: 1 } }, { count: 1 });
    expect(() => session.set("count", value as number)).toThrow(TypeError);
    expect(() => session.setState("kept", value)).toThrow(TypeError);
    expect(session.get("count")).toBe(1);
    expect(session.getState("kept")).toBe(1);
    expect(session.hasContentChanges).toBe(false);
  };

  it("refuses undefined, pointing to unset()", () => {
    refused(undefined);
    expect(() => anonymous().set("note", undefined as unknown as null)).toThrow(/use unset\(\)/);
  });

  it("refuses functions", () => {
    refused(() => 1);
  });

  it("refuses symbols", () => {
    refused(Symbol("s"));
  });

  it("refuses bigints, also nested", () => {
    refused(10n);
    refused({ nested: [1n] });
  });

  it("refuses cycles", () => {
    const cycle: Record<string, unknown> = {};
    cycle.self = cycle;
    refused(cycle);
    expect(() => anonymous().setState("x", cycle)).toThrow(/cycle/);
  });

  it("refuses what JSON would silently change: nested functions, Dates, NaN, class instances", () => {
    refused({ nested: { f: () => 1 } });
    refused([1, () => 2]);
    refused({ when: new Date(0) });
    refused(Number.NaN);
    refused({ n: Number.POSITIVE_INFINITY });
    refused(new Map());
  });

  it("refuses values nested deeper than 100 levels with a TypeError, never a stack overflow", () => {
    const nest = (levels: number) => {
      let value: unknown = "bottom";
      for (let i = 0; i < levels; i++) value = i % 2 ? [value] : { inner: value };
      return value;
    };
    expect(() => anonymous().setState("ok", nest(MAX_VALUE_DEPTH))).not.toThrow();
    refused(nest(MAX_VALUE_DEPTH + 1));
    // Deep enough that an unbounded recursive check would overflow the stack.
    for (const levels of [20_000, 200_000]) {
      expect(() => anonymous().setState("deep", nest(levels))).toThrow(/nested deeper than 100 levels/);
    }
  });

  it("refuses lone surrogates in keys and strings (no store could keep them), and keeps a NUL", () => {
    refused("\ud800");
    refused({ nested: ["ok", "x\udfff"] });
    refused({ "\udc00": 1 });
    expect(() => anonymous().setState("\ud83d", 1)).toThrow(TypeError);
    expect(() => anonymous().set("\udbff" as "note", null)).toThrow(TypeError);
    const session = anonymous();
    session.setState("a\u0000b", "c\u0000d").setState("😀", "\ud83d\ude00");
    expect(session.state()).toEqual({ "a\u0000b": "c\u0000d", "😀": "😀" });
  });

  it("accepts plain nested JSON, the same object twice, and null-prototype objects", () => {
    const shared = { a: 1 };
    const session = anonymous();
    session.setState("x", { left: shared, right: shared, list: [null, true, "s", 1.5, { deep: [[]] }] });
    session.setState("y", Object.assign(Object.create(null), { plain: true }));
    expect(session.getState("x")).toEqual({
      left: shared,
      right: shared,
      list: [null, true, "s", 1.5, { deep: [[]] }],
    });
  });
});

describe("login", () => {
  it("sets the pending user, drops data and its pending changes, and keeps state", () => {
    const session = stored({ userId: null, state: { theme: "dark" } }, { count: 1, note: "anon" });
    session.set("items", ["x"]).unset("note").setState("lang", "fr");
    session.login("bob");
    expect(session.userId).toBe("bob");
    expect(session.data()).toEqual({});
    expect(session.get("count")).toBeUndefined();
    expect(session.state()).toEqual({ theme: "dark", lang: "fr" });
    expect(keysOf(session)).toEqual({ dataSet: [], dataUnset: [], stateSet: ["lang"], stateUnset: [] });
    expect(session.pendingIdentity).toEqual({ kind: "login", userId: "bob", persistent: false });
  });

  it("takes a persistent option", () => {
    expect(anonymous().login("bob", { persistent: true }).pendingIdentity).toEqual({
      kind: "login",
      userId: "bob",
      persistent: true,
    });
  });

  it("lets data written after login be tracked", () => {
    const session = anonymous().login("bob").set("count", 1);
    expect(keysOf(session).dataSet).toEqual(["count"]);
  });

  it("refuses an empty or missing user id", () => {
    expect(() => anonymous().login("")).toThrow(TypeError);
    expect(() => anonymous().login(undefined as unknown as string)).toThrow(/needs a user id/);
  });
});

describe("rotate, destroy and persist", () => {
  it("rotate asks for a new id and keeps data, state and user", () => {
    const session = stored({ state: { theme: "dark" } }, { count: 3 });
    session.rotate();
    expect(session.pendingIdentity).toEqual({ kind: "rotate" });
    expect(session.get("count")).toBe(3);
    expect(session.getState("theme")).toBe("dark");
    expect(session.userId).toBe("alice");
  });

  it("rotate after login keeps the login", () => {
    const session = anonymous().login("bob").rotate();
    expect(session.pendingIdentity).toEqual({ kind: "login", userId: "bob", persistent: false });
  });

  it("destroy marks the session for deletion", () => {
    const session = stored();
    expect(session.destroy().isDestroyed).toBe(true);
  });

  it("persist asks for storage without any content change", () => {
    const session = anonymous();
    expect(session.persistRequested).toBe(false);
    session.persist();
    expect(session.persistRequested).toBe(true);
    expect(session.hasContentChanges).toBe(false);
  });

  it("starts from a clean baseline once committed", () => {
    const session = anonymous().set("count", 1).setState("theme", "dark").persist().rotate();
    const record = makeRecord({ userId: "alice", state: { theme: "dark" }, version: 1 });
    session.committed(record);
    expect(session.id).toBe(record.id);
    expect(session.isNew).toBe(false);
    expect(session.hasContentChanges).toBe(false);
    expect(session.persistRequested).toBe(false);
    expect(session.pendingIdentity).toEqual({ kind: "none" });
    expect(session.get("count")).toBe(1);
    expect(session.state()).toEqual({ theme: "dark" });
  });
});
