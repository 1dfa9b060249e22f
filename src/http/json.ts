import {
  BadRequestError,
  MethodNotAllowedError,
  PayloadTooLargeError,
  RateLimitedError,
  type StintError,
  toErrorBody,
} from "../core/errors.js";
import { isWellFormed } from "../core/session.js";

/** API.md: request bodies are capped at 64 KiB. */
export const MAX_BODY_BYTES = 64 * 1024;
/** API.md: JSON nested deeper than this is 413, refused before anything recursive reads it. */
export const MAX_JSON_DEPTH = 32;

const JSON_TYPE = "application/json; charset=utf-8";

export type Body = Record<string, unknown>;

/** Headers every API answer carries: nothing under /api/ may be cached (API.md). */
export function apiHeaders(extra?: HeadersInit): Headers {
  const headers = new Headers(extra);
  headers.set("cache-control", "no-store");
  headers.set("x-content-type-options", "nosniff");
  return headers;
}

export function json(value: unknown, status = 200, headers?: HeadersInit): Response {
  const all = apiHeaders(headers);
  all.set("content-type", JSON_TYPE);
  return new Response(JSON.stringify(value), { status, headers: all });
}

export function noContent(headers?: HeadersInit): Response {
  return new Response(null, { status: 204, headers: apiHeaders(headers) });
}

export function errorResponse(error: StintError): Response {
  const headers: Record<string, string> = {};
  if (error instanceof RateLimitedError) headers["retry-after"] = String(error.retryAfterSeconds);
  if (error instanceof MethodNotAllowedError) headers.allow = error.allow.join(", ");
  return json(toErrorBody(error), error.status, headers);
}

/**
 * Reads a JSON object or an urlencoded form body, at most MAX_BODY_BYTES, counting the bytes
 * actually received (a lying Content-Length changes nothing). An empty body is `{}`.
 */
export async function readBody(request: Request): Promise<Body> {
  const declared = Number(request.headers.get("content-length") ?? "0");
  if (declared > MAX_BODY_BYTES) throw new PayloadTooLargeError("The request body is over 64 KiB.");
  const text = await readCapped(request);
  if (text.trim() === "") return {};
  const type = (request.headers.get("content-type") ?? "").split(";")[0]?.trim().toLowerCase();
  if (type === "application/x-www-form-urlencoded") {
    const form: Body = Object.create(null);
    for (const [key, value] of new URLSearchParams(text)) if (!(key in form)) form[key] = value;
    return form;
  }
  if (type !== "application/json" && type !== "" && !type?.endsWith("+json")) {
    throw new BadRequestError("Send the body as application/json.");
  }
  if (nestedDeeperThan(text, MAX_JSON_DEPTH)) {
    throw new PayloadTooLargeError(`The JSON is nested deeper than ${MAX_JSON_DEPTH} levels.`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new BadRequestError("The body is not valid JSON.");
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new BadRequestError("The body must be a JSON object.");
  }
  // Only a \u escape can make a lone surrogate: the bytes were decoded as strict UTF-8.
  if (text.includes("\\u") && holdsLoneSurrogate(value)) {
    throw new BadRequestError("The body holds text that is not Unicode (a lone surrogate \\u escape).");
  }
  return value as Body;
}

/** Any key or string inside a parsed JSON value that is not well-formed Unicode? Iterative. */
function holdsLoneSurrogate(value: unknown): boolean {
  const pending: unknown[] = [value];
  while (pending.length > 0) {
    const next = pending.pop();
    if (typeof next === "string") {
      if (!isWellFormed(next)) return true;
    } else if (typeof next === "object" && next !== null) {
      for (const [key, inner] of Object.entries(next)) {
        if (!isWellFormed(key)) return true;
        pending.push(inner);
      }
    }
  }
  return false;
}

/**
 * Does JSON text open more than `limit` arrays or objects inside one another? One pass over the
 * characters, skipping strings; it does not validate (JSON.parse does that next), so a bracket
 * the text never closes still counts.
 */
export function nestedDeeperThan(text: string, limit: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const char = text.charCodeAt(i);
    if (inString) {
      if (char === 0x5c /* \ */) i++;
      else if (char === 0x22 /* " */) inString = false;
    } else if (char === 0x22) {
      inString = true;
    } else if (char === 0x5b /* [ */ || char === 0x7b /* { */) {
      if (++depth > limit) return true;
    } else if (char === 0x5d /* ] */ || char === 0x7d /* } */) {
      depth--;
    }
  }
  return false;
}

async function readCapped(request: Request): Promise<string> {
  if (!request.body) return "";
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > MAX_BODY_BYTES) {
        await reader.cancel().catch(() => undefined);
        throw new PayloadTooLargeError("The request body is over 64 KiB.");
      }
      chunks.push(value);
    }
  } catch (error) {
    if (error instanceof PayloadTooLargeError) throw error;
    throw new BadRequestError("The request body could not be read.");
  }
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(concatBytes(chunks, size));
  } catch {
    throw new BadRequestError("The body is not valid UTF-8.");
  }
}

/** Field readers that turn wrong types into 400 bad_request, naming the field. */
export function stringField(body: Body, name: string): string {
  const value = body[name];
  if (typeof value !== "string") throw new BadRequestError(`"${name}" must be a string.`);
  return value;
}

export function optionalBoolean(body: Body, name: string): boolean {
  const value = body[name];
  if (value === undefined || value === null) return false;
  if (typeof value === "boolean") return value;
  // HTML checkboxes send "on".
  if (value === "on" || value === "true") return true;
  if (value === "false") return false;
  throw new BadRequestError(`"${name}" must be a boolean.`);
}

/** The chunks of a body as one array (Buffer.concat without Buffer, which not every runtime has). */
function concatBytes(chunks: readonly Uint8Array[], size: number): Uint8Array {
  const bytes = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return bytes;
}
