import { describe, expect, it } from "vitest";
import { parseTabMessage, toWire } from "../../../src/client/messages.js";

const valid = { v: 1, type: "state", version: 7, at: 1_900_000_000_000, from: "tab-1" };

describe("parseTabMessage", () => {
  it("accepts a version-1 signal, as an object or as JSON", () => {
    expect(parseTabMessage(valid)).toEqual(valid);
    expect(parseTabMessage(JSON.stringify(valid))).toEqual(valid);
    expect(parseTabMessage({ v: 1, type: "logout", at: 1, from: "a" })).toEqual({
      v: 1,
      type: "logout",
      at: 1,
      from: "a",
    });
  });

  it("drops fields it does not know, so nothing smuggled in reaches a listener", () => {
    const parsed = parseTabMessage({ ...valid, user: "mallory", csrfToken: "t0k3n", state: { a: 1 } });
    expect(parsed).toEqual(valid);
    expect(Object.keys(parsed ?? {}).sort()).toEqual(["at", "from", "type", "v", "version"]);
  });

  it.each([
    ["null", null],
    ["undefined", undefined],
    ["a number", 42],
    ["an array", [valid]],
    ["JSON that does not parse", "{not json"],
    ["an empty object", {}],
    ["version 2", { ...valid, v: 2 }],
    ['v as the string "1"', { ...valid, v: "1" }],
    ["an unknown type", { ...valid, type: "session" }],
    ["a type from Object.prototype", { ...valid, type: "toString" }],
    ["a missing sender", { v: 1, type: "login", at: 1 }],
    ["a sender with odd characters", { ...valid, from: "<script>" }],
    ["a sender too long", { ...valid, from: "x".repeat(65) }],
    ["a timestamp that is not finite", { ...valid, at: Number.POSITIVE_INFINITY }],
    ["a timestamp as a string", { ...valid, at: "1" }],
    ["a negative version", { ...valid, version: -1 }],
    ["a fractional version", { ...valid, version: 1.5 }],
    ["a version as a string", { ...valid, version: "7" }],
    ["the postMessage forgery of SR-83", { type: "session", user: "mallory" }],
    ["a bare logout without envelope", { type: "logout" }],
  ])("ignores %s", (_name, raw) => {
    expect(parseTabMessage(raw)).toBeNull();
  });

  it("never throws, even on getters that throw or __proto__ keys", () => {
    const hostile = Object.defineProperty({}, "v", {
      get() {
        throw new Error("boom");
      },
      enumerable: true,
    });
    expect(() => parseTabMessage(hostile)).not.toThrow();
    expect(parseTabMessage(hostile)).toBeNull();
    const revoked = Proxy.revocable({}, {});
    revoked.revoke();
    expect(parseTabMessage(revoked.proxy)).toBeNull();
    expect(parseTabMessage('{"__proto__":{"v":1},"type":"login","at":1,"from":"a"}')).toBeNull();
  });
});

describe("toWire", () => {
  it("keeps only the envelope's fields", () => {
    const rich = { ...valid, session: { id: "s" }, csrfToken: "secret" } as typeof valid;
    expect(JSON.stringify(toWire(rich as never))).toBe(
      JSON.stringify({ v: 1, type: "state", at: valid.at, from: "tab-1", version: 7 }),
    );
  });
});

describe("parseTabMessage: the app's own messages", () => {
  const message = { v: 1, type: "message", name: "session_selected", data: { id: "s1" }, at: 1, from: "tab-1" };

  it("accepts a version-1 app message with plain JSON data, and drops unknown fields", () => {
    expect(parseTabMessage({ ...message, csrfToken: "t0k3n" })).toEqual(message);
    expect(parseTabMessage(JSON.stringify(message))).toEqual(message);
    expect(parseTabMessage({ ...message, data: null })).toEqual({ ...message, data: null });
  });

  it.each([
    ["no data", { v: 1, type: "message", name: "x", at: 1, from: "a" }],
    ["a name with odd characters", { ...message, name: "<img>" }],
    ["an empty name", { ...message, name: "" }],
    ["a name too long", { ...message, name: "n".repeat(65) }],
    ["data over 16 KiB", { ...message, data: "x".repeat(16 * 1024) }],
    ["data that is not JSON", { ...message, data: 10n }],
  ])("drops %s", (_, raw) => {
    expect(parseTabMessage(raw)).toBeNull();
  });

  it("gives a fresh copy of the data, never the sender's object", () => {
    const data = { nested: { n: 1 } };
    const parsed = parseTabMessage({ ...message, data });
    expect(parsed?.type === "message" && parsed.data).toEqual(data);
    expect(parsed?.type === "message" && (parsed.data as typeof data).nested).not.toBe(data.nested);
  });
});
