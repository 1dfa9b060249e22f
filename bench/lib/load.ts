/** autocannon against one benchmark server and route. */
import type { EventEmitter } from "node:events";
import autocannon from "autocannon";
import { ROUTES, type Route, USER_AGENT } from "../servers/common.js";
import type { ServerChild } from "./children.js";

export interface LoadOptions {
  /** Run for this long… */
  seconds?: number;
  /** …or send exactly this many requests. */
  amount?: number;
  connections?: number;
}

export interface LoadResult {
  requests: number;
  seconds: number;
}

/**
 * Loads `route` of `server`. Read and write requests carry the server's signed-in cookie.
 * Login requests start without one and each connection sends back whatever cookie the last
 * answer set, as a browser would: every login after a connection's first replaces a live
 * session, so the rotation (a new session, the old one deleted) is what is measured.
 */
export async function load(server: ServerChild, route: Route, options: LoadOptions): Promise<LoadResult> {
  const headers = { "user-agent": USER_AGENT, ...(route === "login" ? {} : { cookie: server.cookie }) };
  const started = performance.now();
  const result = await autocannon({
    url: `${server.url}${ROUTES[route]}`,
    method: route === "read" ? "GET" : "POST",
    headers,
    connections: options.connections ?? 10,
    pipelining: 1,
    // autocannon stops (duration or amount reached) at its next sample: sample often.
    sampleInt: 50,
    ...(options.amount ? { amount: options.amount } : { duration: options.seconds ?? 1 }),
    ...(route === "login" ? { setupClient: (client: autocannon.Client) => keepCookies(client, headers) } : {}),
  });
  const seconds = (performance.now() - started) / 1000;
  if (result.non2xx > 0 || result.errors > 0) {
    throw new Error(`${server.key} ${route}: ${result.non2xx} non-2xx answers, ${result.errors} errors`);
  }
  return { requests: result.requests.total, seconds: Math.max(seconds, result.duration) };
}

/**
 * A per-connection cookie jar. autocannon's request context is reset on every pass over its
 * request list, so the jar lives with the connection: the cookies of an answer's head are
 * set on the connection before it builds its next request (both happen synchronously).
 */
function keepCookies(client: autocannon.Client, base: Record<string, string>): void {
  let cookie: string | undefined;
  // The "headers" event carries the parser's head (raw header list), not what its types say.
  (client as unknown as EventEmitter).on("headers", (head: { headers?: string[] }) => {
    cookie = setCookies(head.headers ?? []) ?? cookie;
  });
  client.on("response", () => {
    if (cookie) client.setHeaders({ ...base, cookie });
  });
}

/** The cookies an answer sets (raw header list), the last of each name winning, as a Cookie header. */
export function setCookies(raw: readonly string[]): string | undefined {
  const jar = new Map<string, string>();
  for (let i = 0; i + 1 < raw.length; i += 2) {
    if (raw[i]?.toLowerCase() !== "set-cookie") continue;
    const pair = (raw[i + 1] ?? "").split(";", 1)[0] ?? "";
    jar.set(pair.slice(0, pair.indexOf("=")), pair);
  }
  return jar.size > 0 ? [...jar.values()].join("; ") : undefined;
}
