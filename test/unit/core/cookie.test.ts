import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseCookies, readCookie, serializeCookie } from "../../../src/core/cookie.js";

const MAX_HEADER = 16 * 1024;
/** A name that must stay an ordinary key (a variable, so the linter does not read it as the accessor). */
const PROTO = "__proto__";
const FOUR_HUNDRED_DAYS = 400 * 24 * 60 * 60;

const TOKEN_CHARS = "!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
/** RFC 6265 cookie-octets: %x21 / %x23-2B / %x2D-3A / %x3C-5B / %x5D-7E. */
const COOKIE_OCTETS = Array.from({ length: 0x7e - 0x21 + 1 }, (_, i) => String.fromCharCode(0x21 + i)).filter(
  (char) => !'",;\\'.includes(char),
);

const cookieName = fc.string({ unit: fc.constantFrom(...TOKEN_CHARS), minLength: 1, maxLength: 20 });
/** Octets without `%`: the parser decodes escapes, so a literal `%` is not a plain octet there. */
const plainValue = fc.string({ unit: fc.constantFrom(...COOKIE_OCTETS.filter((char) => char !== "%")), maxLength: 40 });

/** Headers assembled from the characters and names that parsers get wrong. */
const headerLike = fc
  .array(
    fc.oneof(
      fc.constantFrom(";", "=", "%", '"', " ", "\t", ",", "; ", "=="),
      fc.constantFrom("__proto__", "constructor", "toString", "prototype", "a", "b", "sid"),
      fc.constantFrom("%41", "%zz", "%E0%A4%A", "%F0%9F%98%80", "%00", "%0d%0a", '""', '"x"'),
      fc.string({ maxLength: 6 }),
      fc.string({ unit: "binary", maxLength: 4 }),
    ),
    { maxLength: 40 },
  )
  .map((parts) => parts.join(""));

const anyHeader = fc.oneof(fc.string(), fc.string({ unit: "binary" }), fc.string({ unit: "grapheme" }), headerLike);

describe("parseCookies and readCookie never throw", () => {
  it("for any string, including lone surrogates and header-like noise", () => {
    fc.assert(
      fc.property(anyHeader, fc.oneof(fc.string(), fc.constantFrom("__proto__", "a", "sid")), (header, name) => {
        const cookies = parseCookies(header);
        expect(Object.getPrototypeOf(cookies)).toBeNull();
        for (const value of Object.values(cookies)) expect(typeof value).toBe("string");
        const one = readCookie(header, name);
        expect(one === undefined || typeof one === "string").toBe(true);
      }),
      { numRuns: 2_000 },
    );
  });

  it("for values that are not strings at all", () => {
    for (const header of [undefined, null, 42, {}, ["a=1"]] as unknown as string[]) {
      expect(parseCookies(header)).toEqual({});
      expect(readCookie(header, "a")).toBeUndefined();
    }
  });
});

describe("readCookie agrees with parseCookies", () => {
  it("for every name present in a generated header and a few that are not", () => {
    fc.assert(
      fc.property(anyHeader, (header) => {
        const cookies = parseCookies(header);
        const names = new Set([...Object.keys(cookies), "__proto__", "constructor", "toString", "a", "b", "sid"]);
        for (const name of names) expect(readCookie(header, name)).toBe(cookies[name]);
      }),
      { numRuns: 2_000 },
    );
  });

  it("for headers built from well-formed pairs with duplicate names", () => {
    const pair = fc.tuple(fc.constantFrom("a", "b", "__proto__", "sid"), plainValue);
    fc.assert(
      fc.property(fc.array(pair, { maxLength: 12 }), fc.constantFrom(";", "; ", " ;  "), (pairs, separator) => {
        const header = pairs.map(([name, value]) => `${name}=${value}`).join(separator);
        const cookies = parseCookies(header);
        for (const name of ["a", "b", "__proto__", "sid"]) {
          const first = pairs.find(([candidate]) => candidate === name)?.[1];
          expect(readCookie(header, name)).toBe(cookies[name]);
          // No escapes in these values, so the first occurrence always wins.
          expect(cookies[name]).toBe(first);
        }
      }),
    );
  });
});

describe("parseCookies", () => {
  it("reads pairs with or without spaces around the separators", () => {
    expect(parseCookies("a=1; b=2;c=3 ;  d = 4 ")).toEqual({ a: "1", b: "2", c: "3", d: "4" });
  });

  it("keeps the first of duplicate names", () => {
    expect(parseCookies("sid=first; sid=second")).toEqual({ sid: "first" });
    expect(readCookie("sid=first; sid=second", "sid")).toBe("first");
  });

  it("skips a value with a bad escape, and then takes the next cookie of that name", () => {
    expect(parseCookies("a=%E0%A4%A; b=ok")).toEqual({ b: "ok" });
    expect(readCookie("a=%E0%A4%A; b=ok", "a")).toBeUndefined();
    expect(parseCookies("a=%zz; a=2")).toEqual({ a: "2" });
    expect(readCookie("a=%zz; a=2", "a")).toBe("2");
  });

  it("decodes percent escapes", () => {
    expect(parseCookies("a=%20x%3B; b=%F0%9F%98%80")).toEqual({ a: " x;", b: "😀" });
  });

  it("keeps everything after the first = in the value", () => {
    expect(parseCookies("a=b=c; d==")).toEqual({ a: "b=c", d: "=" });
    expect(readCookie("a=b=c", "a")).toBe("b=c");
  });

  it("unquotes a quoted value and leaves an unbalanced quote as it is", () => {
    expect(parseCookies('a="hello"; b=""; c="; d="x')).toEqual({ a: "hello", b: "", c: '"', d: '"x' });
    expect(readCookie('a="hello"', "a")).toBe("hello");
    expect(readCookie('b=""', "b")).toBe("");
  });

  it("skips parts without = and parts with an empty name", () => {
    expect(parseCookies("flag; =x;  = y; a=1;;")).toEqual({ a: "1" });
  });

  it("treats __proto__ and other Object.prototype names as ordinary keys, polluting nothing", () => {
    const cookies = parseCookies("__proto__=polluted; constructor=c; toString=t; hasOwnProperty=h");
    expect(Object.getPrototypeOf(cookies)).toBeNull();
    expect(Object.hasOwn(cookies, "__proto__")).toBe(true);
    expect(cookies[PROTO]).toBe("polluted");
    expect(cookies.constructor).toBe("c");
    expect(cookies.toString).toBe("t");
    expect(readCookie("__proto__=polluted", "__proto__")).toBe("polluted");
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(({} as Record<string, unknown>).x).toBeUndefined();
    expect(typeof ({} as object).toString).toBe("function");
  });

  it("reports no own keys for names the header does not have", () => {
    const cookies = parseCookies("a=1");
    expect(cookies[PROTO]).toBeUndefined();
    expect(cookies.constructor).toBeUndefined();
    expect(readCookie("a=1", "constructor")).toBeUndefined();
  });

  it("parses a header of exactly 16 KiB and ignores a longer one entirely", () => {
    const fits = `a=1; b=${"x".repeat(MAX_HEADER - "a=1; b=".length)}`;
    expect(fits.length).toBe(MAX_HEADER);
    expect(parseCookies(fits).a).toBe("1");
    expect(readCookie(fits, "a")).toBe("1");
    const tooLong = `${fits}y`;
    expect(parseCookies(tooLong)).toEqual({});
    expect(readCookie(tooLong, "a")).toBeUndefined();
  });

  it("gives an empty map for an empty or missing header", () => {
    expect(parseCookies("")).toEqual({});
    expect(parseCookies(null)).toEqual({});
    expect(parseCookies(undefined)).toEqual({});
    expect(readCookie("", "a")).toBeUndefined();
  });

  it("reads cookie names case-sensitively", () => {
    expect(readCookie("__host-sid=M", "__Host-sid")).toBeUndefined();
    expect(readCookie("SID=M; sid=C", "sid")).toBe("C");
  });
});

describe("serializeCookie round trip", () => {
  it("re-parses to the same value for any name and cookie-octet value", () => {
    fc.assert(
      fc.property(cookieName, plainValue, (name, value) => {
        const cookie = serializeCookie(name, value, { path: "/", secure: true, httpOnly: true, sameSite: "Lax" });
        // What the browser sends back is the name=value part.
        const sentBack = cookie.split("; ")[0] as string;
        expect(sentBack).toBe(`${name}=${value}`);
        expect(parseCookies(sentBack)[name]).toBe(value);
        expect(readCookie(sentBack, name)).toBe(value);
      }),
      { numRuns: 1_000 },
    );
  });

  it("re-parses a percent-encoded value to the original text", () => {
    fc.assert(
      fc.property(cookieName, fc.string({ unit: "grapheme" }), (name, text) => {
        const cookie = serializeCookie(name, encodeURIComponent(text), { path: "/", secure: true });
        expect(readCookie(cookie.split("; ")[0], name)).toBe(text);
      }),
    );
  });
});

describe("serializeCookie", () => {
  it("writes the attributes in a fixed order and format", () => {
    expect(
      serializeCookie("n", "v", {
        maxAge: 60,
        domain: "example.com",
        path: "/",
        httpOnly: true,
        secure: true,
        sameSite: "Strict",
        partitioned: true,
      }),
    ).toBe("n=v; Max-Age=60; Domain=example.com; Path=/; HttpOnly; Secure; SameSite=Strict; Partitioned");
  });

  it("writes only name=value without options, and an empty value for clearing", () => {
    expect(serializeCookie("n", "v")).toBe("n=v");
    expect(serializeCookie("n", "", { maxAge: 0, path: "/" })).toBe("n=; Max-Age=0; Path=/");
  });

  it("omits false flags", () => {
    expect(serializeCookie("n", "v", { httpOnly: false, secure: false, partitioned: false })).toBe("n=v");
  });

  it("refuses names that are not RFC 7230 tokens", () => {
    for (const name of ["", "a b", "a;b", "a=b", "a,b", "a\r\nb", "a\nb", "(a)", '"a"', "a/b", "é", "a\tb", "a:b"]) {
      expect(() => serializeCookie(name, "v")).toThrow(/Invalid cookie name/);
    }
  });

  it("refuses values outside cookie-octets, so no attribute can be injected", () => {
    for (const value of [
      "a;b",
      "a; Domain=evil.test",
      "a,b",
      "a b",
      "a\r\nSet-Cookie: x=y",
      "a\nb",
      '"a"',
      "a\\b",
      "é",
      "\u007f",
      "\u0000",
    ]) {
      expect(() => serializeCookie("n", value)).toThrow(/cookie-octets/);
    }
  });

  it("refuses a __Host- cookie without Secure, without Path=/ or with a Domain", () => {
    expect(() => serializeCookie("__Host-sid", "v", { path: "/" })).toThrow(/requires Secure/);
    expect(() => serializeCookie("__Host-sid", "v", { secure: true })).toThrow(/requires Path=\//);
    expect(() => serializeCookie("__Host-sid", "v", { secure: true, path: "/app" })).toThrow(/requires Path=\//);
    expect(() => serializeCookie("__Host-sid", "v", { secure: true, path: "/", domain: "example.com" })).toThrow(
      /must not have a Domain/,
    );
    expect(serializeCookie("__Host-sid", "v", { secure: true, path: "/" })).toBe("__Host-sid=v; Path=/; Secure");
  });

  it("refuses a __Secure- cookie without Secure", () => {
    expect(() => serializeCookie("__Secure-sid", "v", { path: "/" })).toThrow(/requires Secure/);
    expect(serializeCookie("__Secure-sid", "v", { secure: true, domain: "example.com" })).toBe(
      "__Secure-sid=v; Domain=example.com; Secure",
    );
  });

  it("refuses SameSite=None and Partitioned without Secure", () => {
    expect(() => serializeCookie("n", "v", { sameSite: "None" })).toThrow(/SameSite=None requires Secure/);
    expect(() => serializeCookie("n", "v", { partitioned: true })).toThrow(/Partitioned requires Secure/);
    expect(serializeCookie("n", "v", { sameSite: "None", secure: true })).toBe("n=v; Secure; SameSite=None");
  });

  it("refuses a negative, fractional or non-finite Max-Age", () => {
    for (const maxAge of [-1, 1.5, 0.1, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(() => serializeCookie("n", "v", { maxAge })).toThrow(/Max-Age must be a whole number/);
    }
  });

  it("accepts a Max-Age of up to 400 days and refuses more", () => {
    expect(serializeCookie("n", "v", { maxAge: FOUR_HUNDRED_DAYS })).toBe(`n=v; Max-Age=${FOUR_HUNDRED_DAYS}`);
    expect(() => serializeCookie("n", "v", { maxAge: FOUR_HUNDRED_DAYS + 1 })).toThrow(/400 days/);
  });

  it("refuses a Domain or Path that could smuggle an attribute", () => {
    for (const domain of ["evil.test; Secure", "evil.test\r\nX: y", "a b", ""]) {
      expect(() => serializeCookie("n", "v", { domain })).toThrow(/Invalid cookie domain/);
    }
    for (const path of ["/a;b", "/a\r\nb", "/a\nb", "relative", ""]) {
      expect(() => serializeCookie("n", "v", { path })).toThrow(/Invalid cookie path/);
    }
  });
});
