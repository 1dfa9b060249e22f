import type { JsonObject } from "./store.js";

/*
 * jsonb cannot hold U+0000 (PostgreSQL text cannot), yet JSON strings may. Inside the JSON
 * text sent and read back, `\u0000` is written as U+E000 "0" and a literal U+E000 as two of
 * them; nothing else changes, so data stays plain, queryable jsonb.
 */
const ESCAPE = "\uE000";

export function escapeJson(json: string): string {
  if (!json.includes("\\u0000") && !json.includes(ESCAPE)) return json;
  // Backslash pairs are consumed first, so an escaped backslash before "u0000" is kept.
  return json
    .replaceAll(ESCAPE, ESCAPE + ESCAPE)
    .replace(/\\(\\|u0000)/g, (match, escaped: string) => (escaped === "\\" ? match : `${ESCAPE}0`));
}

export function unescapeJson(json: string): string {
  return unescapeWith(json, "\\u0000");
}

/** A key as stored in jsonb, for `-`: the same escape as escapeJson applies inside JSON. */
export function escapeKey(key: string): string {
  if (!key.includes("\u0000") && !key.includes(ESCAPE)) return key;
  return key.replaceAll(ESCAPE, ESCAPE + ESCAPE).replaceAll("\u0000", `${ESCAPE}0`);
}

/** A key read back from a text column written with escapeKey. */
export function unescapeKey(key: string): string {
  return unescapeWith(key, "\u0000");
}

/** Undoes the escape, writing U+0000 as `nul` (JSON's `\u0000` in JSON text, the character in a key). */
function unescapeWith(text: string, nul: string): string {
  if (!text.includes(ESCAPE)) return text;
  return text.replace(/\uE000(\uE000|0)/g, (_, next: string) => (next === ESCAPE ? ESCAPE : nul));
}

/** Bytes each member adds to JSON.stringify of its object: `"key":value` plus one separator. */
export function memberSizes(object: JsonObject): Record<string, number> {
  const sizes: Record<string, number> = {};
  for (const [key, value] of Object.entries(object)) {
    const json = JSON.stringify(value);
    if (json === undefined) continue;
    const bytes = Buffer.byteLength(JSON.stringify(key)) + Buffer.byteLength(json) + 2;
    Object.defineProperty(sizes, key, { value: bytes, enumerable: true, configurable: true, writable: true });
  }
  return sizes;
}
