import { describe, expect, it } from "vitest";
import type { JsonObject } from "../../stores/store.js";
import { makeRecord } from "../make-record.js";
import type { CurrentStore } from "./support.js";

/**
 * Keys that break stores which build JSON paths by concatenation or assign into plain
 * objects, and values that break stores which decode JSON into SQL types (true → 1).
 * Object.fromEntries defines `__proto__` as an own key, as JSON.parse does.
 *
 * Every string a store is given is well-formed Unicode, and a store keeps every one exactly,
 * a NUL anywhere (keys included) too. Lone surrogates never reach a store: a Session refuses
 * them (TypeError) and the HTTP API answers 400 `bad_request`, because not every store could
 * keep them (PostgreSQL's jsonb rejects them, a UTF-8 driver turns them into U+FFFD).
 */
function strangeObject(): JsonObject {
  const entries: [string, unknown][] = [
    ["__proto__", { polluted: true }],
    ["constructor", { prototype: { polluted: true } }],
    ["a.b", "dot"],
    ["$", "dollar"],
    ['"quoted"', `'single' "double"`],
    ["[0]", [0]],
    ["", "empty key"],
    ["back\\slash", "C:\\path\\"],
    ["emoji 😀", "🎉👩‍👩‍👧"],
    ["مفتاح", "مرحبا بالعالم"],
    ["nul", "a\u0000b"],
    ["key\u0000with nul", "kept whole"],
    ["\u0000", "a key that is only a NUL"],
    ["controls", "\n\t\r\u0001\u001f\u2028\u2029"],
    ["true", true],
    ["false", false],
    ["null", null],
    ["zero", 0],
    ["negative", -1.5],
    ["fraction", 0.1 + 0.2],
    ["max safe", Number.MAX_SAFE_INTEGER],
    ["tiny", 5e-324],
    ["numeric string", "12"],
    ["boolean string", "true"],
    ["empty string", ""],
    ["nested", { a: [1, { b: null, c: [true, false] }], "d.e": {}, "": [] }],
    ["array", [null, "x", 0, false, [], {}]],
    ["large", `${"x".repeat(200_000)}é`],
  ];
  return Object.fromEntries(entries);
}

// toStrictEqual compares `.constructor`, which the own "constructor" key shadows.
function expectSame(actual: JsonObject | undefined, expected: JsonObject): void {
  expect(actual).toEqual(expected);
  expect(Object.keys(actual ?? {}).sort()).toEqual(Object.keys(expected).sort());
  expect(Object.hasOwn(actual ?? {}, "__proto__")).toBe(true);
  expect(Object.getPrototypeOf(actual)).toBe(Object.prototype);
  expect((Object.prototype as Record<string, unknown>).polluted).toBeUndefined();
}

export function describeValues(store: CurrentStore): void {
  describe("strange keys and values", () => {
    it("round-trip exactly through create", async () => {
      const now = Date.now();
      const record = makeRecord({ data: strangeObject(), state: strangeObject() });
      await store().create(record, { now });
      const stored = await store().get(record.id, now);
      expectSame(stored?.data, strangeObject());
      expectSame(stored?.state, strangeObject());
    });

    it("round-trip exactly through patch", async () => {
      const now = Date.now();
      const record = makeRecord({ data: { before: 1 } });
      await store().create(record, { now });
      const result = await store().patch(record.id, { dataSet: strangeObject(), stateSet: strangeObject(), now });
      expectSame(result.ok ? result.record.state : undefined, strangeObject());
      const stored = await store().get(record.id, now);
      expectSame(stored?.data, { before: 1, ...strangeObject() });
      expectSame(stored?.state, strangeObject());
    });

    it("survive a patch of other keys", async () => {
      const now = Date.now();
      const record = makeRecord({ data: strangeObject(), state: strangeObject() });
      await store().create(record, { now });
      await store().patch(record.id, { dataSet: { other: 1 }, stateUnset: ["other"], now });
      const stored = await store().get(record.id, now);
      expectSame(stored?.data, { ...strangeObject(), other: 1 });
      expectSame(stored?.state, strangeObject());
    });

    it("are replaced and unset one by one", async () => {
      const now = Date.now();
      const record = makeRecord({ state: strangeObject() });
      await store().create(record, { now });
      const unset = ["constructor", "a.b", "$", '"quoted"', "[0]", "", "nul", "key\u0000with nul", "large"];
      const replaced: JsonObject = Object.fromEntries([
        ["__proto__", [false]],
        ["emoji 😀", { "a.b": null }],
        ["\u0000", "replaced"],
      ]);
      await store().patch(record.id, { stateUnset: unset, stateSet: replaced, now });
      const expected = Object.fromEntries(
        Object.entries(strangeObject())
          .filter(([key]) => !unset.includes(key))
          .map(([key, value]) => [key, Object.hasOwn(replaced, key) ? replaced[key] : value]),
      );
      expectSame((await store().get(record.id, now))?.state, expected);
    });
  });
}
