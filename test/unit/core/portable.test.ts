import { createHash, createHmac } from "node:crypto";
import { afterEach, describe, expect, it, vi } from "vitest";
import { utf8Bytes } from "../../../src/core/utf8.js";

/**
 * The core without Node's own modules (workerd without `nodejs_compat`): the byte counts and
 * the token's hashes must be exactly what Node's Buffer and crypto give, or a session written
 * on one runtime would not be read on another.
 */
const SAMPLES = [
  "",
  "plain ascii",
  "café crème",
  "日本語のテキスト",
  "emoji 🎉 and 👩‍👩‍👧",
  "lone high \ud800 surrogate",
  "lone low \udc00 surrogate",
  "high at the end \ud83d",
  "\u0000 nul and \u007f del",
  "x".repeat(10_000),
];

describe("utf8Bytes", () => {
  it("counts as Buffer.byteLength does, lone surrogates included", () => {
    for (const text of SAMPLES) expect(utf8Bytes(text), JSON.stringify(text)).toBe(Buffer.byteLength(text));
  });
});

describe("the token's crypto without node:crypto", () => {
  afterEach(() => {
    vi.unstubAllGlobals();
    vi.resetModules();
  });

  /** token.ts as it loads where `process.getBuiltinModule` gives nothing. */
  async function portableToken() {
    vi.resetModules();
    vi.stubGlobal("process", { ...process, getBuiltinModule: undefined });
    const token = await import("../../../src/core/token.js");
    vi.unstubAllGlobals();
    return token;
  }

  it("hashes secrets and computes HMACs exactly as node:crypto does", async () => {
    const token = await portableToken();
    for (const text of SAMPLES) {
      expect(token.hashSecret(text)).toBe(createHash("sha256").update(text).digest("base64url"));
      expect(token.hmac("a secret key ✓", text)).toBe(
        createHmac("sha256", "a secret key ✓").update(text).digest("base64url"),
      );
    }
  });

  it("makes tokens of the issued shape from Web Crypto's random numbers, never the same twice", async () => {
    const token = await portableToken();
    const seen = new Set<string>();
    for (let i = 0; i < 200; i++) {
      const made = token.formatToken(token.generateToken());
      expect(token.parseToken(made)).not.toBeNull();
      seen.add(made);
    }
    expect(seen.size).toBe(200);
  });
});
