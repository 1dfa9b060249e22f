import type { IncomingMessage, RequestListener, Server, ServerResponse } from "node:http";
import { createServer, STATUS_CODES } from "node:http";
import { isIP, type Socket } from "node:net";
import { Readable } from "node:stream";
import type { ReadableStream as NodeReadableStream } from "node:stream/web";
import type { CommitOptions } from "../../core/manager.js";
import type { ClientContext, Session } from "../../core/session.js";
import type { JsonObject } from "../../stores/store.js";
import type { SessionCredentials } from "../credentials.js";
import { isStintPath, unroutableAnswer } from "../handler.js";
import type { MaybePromise, StintHost } from "../host.js";
import { MAX_JSON_DEPTH } from "../json.js";
import { commitBeforeEnd } from "./commit-before-end.js";
import { appendSetCookie } from "./shared.js";

/**
 * How many proxies you run in front of the server: their `X-Forwarded-*` headers are believed
 * that many hops from the right. `true` is one proxy; `false` (default) believes none. Never
 * set it without such a proxy: clients could then write their own address.
 */
export type TrustProxy = boolean | number;

export interface NodeAdapterOptions {
  /** Believe `X-Forwarded-For` (and -Proto, -Host) from this many proxies you run. */
  trustProxy?: TrustProxy;
  /** Answers requests outside Stint's routes (the app); 404 when absent. */
  fallback?: RequestListener;
}

/** The number of trusted proxy hops of a `trustProxy` option (a bad number is an error). */
export function proxyHops(trustProxy: TrustProxy | undefined): number {
  if (trustProxy === undefined || trustProxy === false) return 0;
  if (trustProxy === true) return 1;
  if (!Number.isSafeInteger(trustProxy) || trustProxy < 0) {
    throw new TypeError(`trustProxy must be a boolean or a whole number of proxies, got ${trustProxy}.`);
  }
  return trustProxy;
}

/**
 * The entry of a comma-separated `X-Forwarded-*` header written `hops` proxies from the right.
 * Each proxy appends what it saw, so only the rightmost entries come from proxies you run;
 * the leftmost is whatever the client wrote. With fewer entries than hops, the leftmost there is.
 */
function forwarded(request: IncomingMessage, name: string, hops: number): string | undefined {
  if (hops === 0) return undefined;
  const value = request.headers[name];
  const joined = Array.isArray(value) ? value.join(",") : value;
  if (!joined) return undefined;
  const entries = joined.split(",");
  return entries[Math.max(0, entries.length - hops)]?.trim() || undefined;
}

/** The client of a node:http request: its socket's address, or a trusted proxy's word for it. */
export function clientOf(request: IncomingMessage, trustProxy: TrustProxy = false): ClientContext {
  return { ip: addressOf(request, proxyHops(trustProxy)), userAgent: request.headers["user-agent"] ?? null };
}

function addressOf(request: IncomingMessage, hops: number): string | null {
  const claimed = forwarded(request, "x-forwarded-for", hops);
  // Only an address is kept: it is shown in the device list and counted by the limits.
  return claimed && isIP(claimed) ? claimed : request.socket.remoteAddress || null;
}

/**
 * The client of an app route's request, its address worked out only when Stint needs it (a
 * new session, the network fingerprint), not on every read. A class, not an object literal
 * with a getter: cheaper than what it saves.
 */
class NodeClient implements ClientContext {
  readonly userAgent: string | null;
  readonly #request: IncomingMessage;
  readonly #hops: number;
  constructor(request: IncomingMessage, hops: number) {
    this.#request = request;
    this.#hops = hops;
    this.userAgent = request.headers["user-agent"] ?? null;
  }
  get ip(): string | null {
    return addressOf(this.#request, this.#hops);
  }
}

/** The request's credentials: the Cookie header alone unless a bearer token may come too. */
export function credentialsOf(request: IncomingMessage): string | undefined | SessionCredentials {
  const { cookie, authorization } = request.headers;
  return authorization === undefined ? cookie : { cookie, authorization };
}

/**
 * The origin the browser used to reach this server: the scheme is https on a TLS socket, with
 * secure cookies (they only travel over HTTPS), or behind a trusted proxy that says so; the
 * host is the Host header (or a trusted proxy's X-Forwarded-Host). A Host header that is not a
 * host gives "http://localhost", which no browser sends as Origin, so unsafe requests fail
 * the origin check instead of the server failing with 500.
 */
export function requestOrigin(
  request: IncomingMessage,
  options: { trustProxy?: TrustProxy; secure?: boolean } = {},
): string {
  const hops = proxyHops(options.trustProxy);
  const forwardedProto = forwarded(request, "x-forwarded-proto", hops);
  const encrypted = (request.socket as { encrypted?: boolean }).encrypted === true;
  const scheme = encrypted || options.secure || forwardedProto === "https" ? "https" : "http";
  const host = forwarded(request, "x-forwarded-host", hops) ?? request.headers.host ?? "localhost";
  try {
    return new URL(`${scheme}://${host}`).origin;
  } catch {
    return "http://localhost";
  }
}

/**
 * The URL of a request target at `origin`. Never `new URL(target, origin)`: a target like
 * `//evil.example/api/…` would then name another host, whose origin the Origin check would
 * take for the server's own.
 */
export function requestUrl(origin: string, target: string | undefined): URL {
  const path = target?.startsWith("/") ? target : `/${target ?? ""}`;
  try {
    return new URL(`${origin}${path}`);
  } catch {
    return new URL(`${origin}/`);
  }
}

/** The methods of the Fetch standard's "forbidden methods": `new Request` throws on them. */
const REFUSED_BY_FETCH: ReadonlySet<string> = new Set(["CONNECT", "TRACE", "TRACK"]);

/**
 * node:http takes methods a Web Request refuses to carry (TRACE, TRACK, CONNECT): building
 * one would throw, inside a listener that is a crash. No route takes them, so their answer
 * (405 with `Allow` on a known path, else 404) is made without one. Null for other methods.
 */
export function refusedMethodAnswer(request: IncomingMessage): Response | null {
  const method = (request.method ?? "").toUpperCase();
  if (!REFUSED_BY_FETCH.has(method)) return null;
  return unroutableAnswer(method, requestUrl("http://localhost", request.url).pathname);
}

/** Answers a CONNECT request (which node:http hands over as a bare socket) and closes it. */
async function refuseTunnel(request: IncomingMessage, socket: Socket): Promise<void> {
  const pathname = requestUrl("http://localhost", request.url).pathname;
  const answer = isStintPath(pathname)
    ? (unroutableAnswer("CONNECT", pathname) as Response)
    : new Response("Not found", { status: 404, headers: { "content-type": "text/plain; charset=utf-8" } });
  const body = Buffer.from(await answer.arrayBuffer());
  const head = [`HTTP/1.1 ${answer.status} ${STATUS_CODES[answer.status] ?? ""}`];
  for (const [name, value] of answer.headers) head.push(`${name}: ${value}`);
  head.push(`content-length: ${body.length}`, "connection: close", "", "");
  socket.end(Buffer.concat([Buffer.from(head.join("\r\n")), body]));
}

/** A Web Request for node:http's request, at `origin`; aborting when the client goes away. */
export function toWebRequest(request: IncomingMessage, signal: AbortSignal, origin = requestOrigin(request)): Request {
  const url = requestUrl(origin, request.url);
  const headers = new Headers();
  for (const [name, value] of Object.entries(request.headers)) {
    if (value === undefined || name.startsWith(":")) continue;
    if (Array.isArray(value)) for (const item of value) headers.append(name, item);
    else headers.set(name, value);
  }
  const method = request.method ?? "GET";
  const hasBody = method !== "GET" && method !== "HEAD";
  return new Request(url, {
    method,
    headers,
    signal,
    body: hasBody ? (Readable.toWeb(request) as unknown as ReadableStream<Uint8Array>) : undefined,
    // Required by undici for a streamed body.
    ...(hasBody ? { duplex: "half" } : {}),
  } as RequestInit);
}

/**
 * A Web Request for a node:http request whose body a framework's parser may already have read
 * (Express's `express.json()`, Koa's body parsers): the raw text it kept, or its result turned
 * back into a body of the same type (JSON re-serialised, a form re-encoded).
 */
export function toWebRequestAfterParser(
  request: IncomingMessage,
  signal: AbortSignal,
  parsed: { origin: string; target: string | undefined; body: unknown; form: boolean },
): Request {
  const body = encodeParsedBody(parsed.body, parsed.form);
  if (body === undefined && !request.readableDidRead) return toWebRequest(request, signal, parsed.origin);
  const headers = new Headers();
  for (const [name, value] of Object.entries(request.headers)) {
    if (typeof value === "string" && name !== "content-length" && name !== "transfer-encoding") {
      headers.set(name, value);
    }
  }
  const method = request.method ?? "GET";
  const bodyless = method === "GET" || method === "HEAD";
  const url = requestUrl(parsed.origin, parsed.target);
  return new Request(url, { method, headers, signal, body: bodyless ? undefined : body });
}

function encodeParsedBody(body: unknown, form: boolean): string | Uint8Array<ArrayBuffer> | undefined {
  if (body === undefined || body === null) return undefined;
  if (typeof body === "string") return body;
  if (body instanceof Uint8Array) return new Uint8Array(body);
  if (!form) {
    try {
      return JSON.stringify(body);
    } catch (error) {
      // A parser read something too deeply nested to write back out: Stint refuses such JSON
      // anyway (413), so send it text it refuses the same way.
      if (error instanceof RangeError) return "[".repeat(MAX_JSON_DEPTH + 1);
      throw error;
    }
  }
  const fields = new URLSearchParams();
  for (const [name, value] of Object.entries(body)) {
    for (const item of [value].flat()) if (typeof item === "string") fields.append(name, item);
  }
  return fields.toString();
}

/** The answer with the `Set-Cookie` headers set earlier in the chain (writeHead would replace them). */
export function keepEarlierCookies(answer: Response, response: ServerResponse): Response {
  const earlier = response.getHeader("set-cookie");
  if (earlier !== undefined) for (const line of [earlier].flat()) answer.headers.append("set-cookie", String(line));
  return answer;
}

/** Writes a Web Response to node:http, keeping every `Set-Cookie` header separate. */
export async function sendWebResponse(response: Response, target: ServerResponse): Promise<void> {
  const headers: Record<string, string | string[]> = {};
  response.headers.forEach((value, name) => {
    if (name !== "set-cookie") headers[name] = value;
  });
  const cookies = response.headers.getSetCookie();
  if (cookies.length > 0) headers["set-cookie"] = cookies;
  target.writeHead(response.status, headers);
  if (!response.body) {
    target.end();
    return;
  }
  const body = Readable.fromWeb(response.body as unknown as NodeReadableStream<Uint8Array>);
  await new Promise<void>((resolve) => {
    body.on("error", () => {
      target.destroy();
      resolve();
    });
    target.on("close", () => {
      body.destroy();
      resolve();
    });
    body.pipe(target);
  });
}

/**
 * A node:http listener serving API.md under /api/ (and /metrics), and the app's `fallback`
 * for everything else.
 */
export function nodeListener<Data extends JsonObject>(
  stint: StintHost<Data>,
  options: NodeAdapterOptions = {},
): RequestListener & { shutdown(): void } {
  const streams = new Set<AbortController>();
  const hops = proxyHops(options.trustProxy);
  const listener = (request: IncomingMessage, response: ServerResponse) => {
    const pathname = (request.url ?? "/").split("?", 1)[0] ?? "/";
    if (!isStintPath(pathname)) {
      if (options.fallback) return options.fallback(request, response);
      response.writeHead(404, { "content-type": "text/plain; charset=utf-8" }).end("Not found");
      return;
    }
    const refused = refusedMethodAnswer(request);
    if (refused) return void sendWebResponse(refused, response);
    const abort = new AbortController();
    streams.add(abort);
    // A client that goes away aborts the request: open event streams end and clean up.
    response.on("close", () => {
      abort.abort();
      streams.delete(abort);
    });
    const client = clientOf(request, hops);
    const origin = requestOrigin(request, { trustProxy: hops, secure: stint.cookie.secure });
    stint
      .handler(toWebRequest(request, abort.signal, origin), { ip: client.ip })
      .then((answer) => sendWebResponse(answer, response))
      .catch((error: unknown) => {
        console.error("stint: node adapter failed", error);
        if (!response.headersSent) response.writeHead(500).end();
        else response.destroy();
      });
  };
  return Object.assign(listener, {
    /** Ends open event streams (used on graceful shutdown). */
    shutdown: () => {
      for (const abort of streams) abort.abort();
    },
  });
}

/**
 * The per-request session for an app's own node:http routes: the cheap path (reads the
 * `Cookie` header, builds no Web Request).
 *
 * Given the response too, `load(request, response)` commits the session before the response
 * head goes out, whatever the route forgets (as express-session saves); without it, call
 * `commit(response, session)` before writing the head.
 */
export function nodeSessions<Data extends JsonObject>(
  stint: StintHost<Data>,
  options: { trustProxy?: TrustProxy } = {},
) {
  const host = stint as unknown as StintHost<JsonObject>;
  const hops = proxyHops(options.trustProxy);
  return {
    /** Await it: the session comes at once when the store answers from memory. */
    load(request: IncomingMessage, response?: ServerResponse): MaybePromise<Session<Data>> {
      const loaded = stint.load(credentialsOf(request), new NodeClient(request, hops));
      if (!response) return loaded;
      const watch = (session: Session<Data>) => {
        commitBeforeEnd(host, session as Session<JsonObject>, response, sendWebResponse);
        return session;
      };
      return loaded instanceof Promise ? loaded.then(watch) : watch(loaded);
    },
    async commit(response: ServerResponse, session: Session<Data>, commitOptions?: CommitOptions): Promise<void> {
      const cookies = await stint.commit(session, commitOptions);
      if (cookies.length > 0) appendSetCookie(response, cookies);
    },
  };
}

export interface ServeOptions extends NodeAdapterOptions {
  port?: number;
  host?: string;
  /** How long shutdown waits for requests in flight before closing their connections. */
  shutdownTimeoutMs?: number;
}

export interface RunningServer {
  server: Server;
  url: string;
  /** Stops accepting, ends event streams, finishes requests in flight, closes Stint. */
  close(): Promise<void>;
}

/** Starts node:http on `host:port` (port 0 picks a free one). */
export async function serve<Data extends JsonObject>(
  stint: StintHost<Data>,
  options: ServeOptions = {},
): Promise<RunningServer> {
  const { port = 3000, host = "127.0.0.1", shutdownTimeoutMs = 10_000 } = options;
  const listener = nodeListener(stint, options);
  const server = createServer(listener);
  // Keep-alive sockets outliving a shutdown are closed by closeIdleConnections below.
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const address = server.address();
  const actualPort = typeof address === "object" && address ? address.port : port;
  const shownHost = host.includes(":") ? `[${host}]` : host;
  let closing: Promise<void> | undefined;
  // node:http does not count a connection that has sent nothing yet (a browser's preconnect, a
  // client pool's spare) as idle, so closeIdleConnections leaves it open and shutdown waits
  // for shutdownTimeoutMs. Such connections are closed too.
  const unused = new Set<Socket>();
  /** Sockets of CONNECT requests: node:http no longer counts them, but close() waits for them. */
  const tunnels = new Set<Socket>();
  const closeUnused = () => {
    server.closeIdleConnections();
    for (const socket of unused) if (socket.bytesRead === 0) socket.destroy();
    for (const socket of tunnels) socket.destroy();
  };
  server.on("connect", (request: IncomingMessage, socket: Socket) => {
    socket.on("error", () => socket.destroy());
    // node:http hands the socket over paused and half-open: read (and drop) what the client
    // still sends, so its close is seen; and never let it outlive a few seconds, or shutdown.
    socket.resume();
    socket.setTimeout(5_000, () => socket.destroy());
    tunnels.add(socket);
    socket.once("close", () => tunnels.delete(socket));
    refuseTunnel(request, socket).catch(() => socket.destroy());
  });
  server.on("connection", (socket: Socket) => {
    unused.add(socket);
    socket.once("close", () => unused.delete(socket));
  });
  server.on("request", (request: IncomingMessage, response: ServerResponse) => {
    unused.delete(request.socket);
    // Once shutting down, a keep-alive connection closes as soon as its response is done (an
    // ended event stream, a request that was in flight), not keepAliveTimeout later.
    response.once("finish", () => {
      if (closing) setImmediate(closeUnused);
    });
  });
  return {
    server,
    url: `http://${shownHost}:${actualPort}`,
    close: () =>
      (closing ??= (async () => {
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        listener.shutdown();
        closeUnused();
        const timer = setTimeout(() => server.closeAllConnections(), shutdownTimeoutMs);
        await closed;
        clearTimeout(timer);
        await stint.close();
      })()),
  };
}
