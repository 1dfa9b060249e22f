import { describe, expect, it } from "vitest";
import { z } from "zod";
import { checkData, type StandardSchemaV1 } from "../../../src/core/schema.js";

const cart = z.object({ count: z.number(), items: z.array(z.string()) });
const defaults = { count: 0, items: [] };

/** A hand-written Standard Schema, for results zod does not produce. */
function schemaOf(validate: StandardSchemaV1["~standard"]["validate"]): StandardSchemaV1 {
  return { "~standard": { version: 1, vendor: "test", validate } };
}

describe("checkData with zod", () => {
  it("keeps valid data", async () => {
    const stored = { count: 2, items: ["a", "b"] };
    expect(await checkData(cart, stored, defaults)).toEqual({ ok: true, data: stored });
  });

  it("keeps keys the schema does not know, so an older app does not erase a newer one's data", async () => {
    const stored = { count: 2, items: [], addedByNewerVersion: { x: 1 } };
    expect(await checkData(cart, stored, defaults)).toEqual({ ok: true, data: stored });
  });

  it("takes the schema's output over the stored value, e.g. filled-in defaults", async () => {
    const withDefault = z.object({ count: z.number().default(0), theme: z.string().default("light") });
    expect(await checkData(withDefault, { theme: "dark", extra: true }, {})).toEqual({
      ok: true,
      data: { count: 0, theme: "dark", extra: true },
    });
  });

  it("replaces invalid data with the defaults and reports each issue with its path", async () => {
    const result = await checkData(cart, { count: "three", items: [1] }, defaults);
    expect(result.ok).toBe(false);
    expect(result.data).toEqual(defaults);
    if (result.ok) return;
    expect(result.issues).toHaveLength(2);
    expect(result.issues[0]).toMatch(/^count: /);
    expect(result.issues[1]).toMatch(/^items\.0: /);
  });

  it("gives a copy of the defaults, never the defaults object itself", async () => {
    const result = await checkData(cart, { count: "x" }, defaults);
    expect(result.data).not.toBe(defaults);
  });

  it("accepts an async validator and reports its failures", async () => {
    const positive = z.object({ count: z.number() }).refine(async (value) => value.count > 0, "must be positive");
    expect(await checkData(positive, { count: 1, other: "kept" }, { count: 1 })).toEqual({
      ok: true,
      data: { count: 1, other: "kept" },
    });
    const result = await checkData(positive, { count: -1 }, { count: 1 });
    expect(result).toEqual({ ok: false, data: { count: 1 }, issues: ["must be positive"] });
  });
});

describe("checkData with any Standard Schema", () => {
  it("passes everything through when there is no schema", async () => {
    const stored = { anything: [1, 2, 3] };
    expect(await checkData(undefined, stored, { other: 1 })).toEqual({ ok: true, data: stored });
  });

  it("turns a throwing validator into the defaults with the error as the issue", async () => {
    const throwing = schemaOf(() => {
      throw new Error("validator crashed");
    });
    expect(await checkData(throwing, { a: 1 }, { a: 0 })).toEqual({
      ok: false,
      data: { a: 0 },
      issues: ["validator crashed"],
    });
  });

  it("turns a rejecting async validator, even with a non-Error, into the defaults", async () => {
    const rejecting = schemaOf(() => Promise.reject("plain string"));
    expect(await checkData(rejecting, { a: 1 }, { a: 0 })).toEqual({
      ok: false,
      data: { a: 0 },
      issues: ["plain string"],
    });
  });

  it("names issue paths given as keys or as { key } segments, and issues without a path", async () => {
    const schema = schemaOf(() => ({
      issues: [
        { message: "bad", path: ["a", { key: "b" }, 0] },
        { message: "no path" },
        { message: "empty path", path: [] },
      ],
    }));
    const result = await checkData(schema, {}, {});
    expect(result).toEqual({ ok: false, data: {}, issues: ["a.b.0: bad", "no path", "empty path"] });
  });

  it("keeps the stored data when the schema's output is not an object", async () => {
    const stored = { a: 1 };
    for (const value of [null, [1, 2], "text", 42]) {
      expect(
        await checkData(
          schemaOf(() => ({ value })),
          stored,
          {},
        ),
      ).toEqual({ ok: true, data: stored });
    }
  });
});
