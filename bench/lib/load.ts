/** autocannon against one benchmark server and route. */
import type { IncomingHttpHeaders } from "node:http";
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

interface CookieContext {
  cookie?: string;
}

/**
 * Loads `route` of `server`. Read and write requests carry the server's signed-in cookie.
 * Login requests start without one and each connection sends back whatever cookie the last
 * answer set, as a browser would: every login after the first replaces a live session, so
 * the rotation (a new session, the old one deleted) is what is measured.
 */
export async function load(server: ServerChild, route: Route, options: LoadOptions): Promise<LoadResult> {
  const rotating = route === "login";
  const started = performance.now();
  const result = await autocannon({
    url: server.url,
    connections: options.connections ?? 10,
    pipelining: 1,
    ...(options.amount ? { amount: options.amount } : { duration: options.seconds ?? 1 }),
    requests: [
      {
        method: route === "read" ? "GET" : "POST",
        path: ROUTES[route],
        headers: { "user-agent": USER_AGENT, ...(rotating ? {} : { cookie: server.cookie }) },
        ...(rotating
          ? {
              setupRequest: (request: autocannon.Request, context: CookieContext) =>
                context.cookie ? { ...request, headers: { ...request.headers, cookie: context.cookie } } : request,
              onResponse: (_status: number, _body: string, context: CookieContext, headers?: IncomingHttpHeaders) => {
                const cookie = setCookies(headers ?? {});
                if (cookie) context.cookie = cookie;
              },
            }
          : {}),
      },
    ],
  });
  const seconds = (performance.now() - started) / 1000;
  if (result.non2xx > 0 || result.errors > 0) {
    throw new Error(`${server.key} ${route}: ${result.non2xx} non-2xx answers, ${result.errors} errors`);
  }
  return { requests: result.requests.total, seconds: options.amount ? seconds : result.duration };
}

/** The `name=value` pairs of an answer's Set-Cookie headers (names in any case), joined for a Cookie header. */
function setCookies(headers: IncomingHttpHeaders): string | undefined {
  const lines: string[] = [];
  for (const [name, value] of Object.entries(headers)) {
    if (name.toLowerCase() !== "set-cookie") continue;
    for (const line of [value].flat()) lines.push(String(line).split(";", 1)[0] ?? "");
  }
  return lines.length > 0 ? lines.join("; ") : undefined;
}
