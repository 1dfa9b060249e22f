import type { IncomingMessage, RequestListener, Server, ServerResponse } from "node:http";
import { createServer } from "node:http";
import type { Socket } from "node:net";
import { Readable } from "node:stream";
import type { ReadableStream as NodeReadableStream } from "node:stream/web";
import type { CommitOptions } from "../../core/manager.js";
import type { ClientContext, Session } from "../../core/session.js";
import type { JsonObject } from "../../stores/store.js";
import { isStintPath } from "../handler.js";
import type { StintHost } from "../host.js";
import { appendSetCookie, commitBeforeEnd } from "./shared.js";

export interface NodeAdapterOptions {
  /** Take the client address from the first `X-Forwarded-For` entry (only behind a proxy you run). */
  trustProxy?: boolean;
  /** Answers requests outside Stint's routes (the app); 404 when absent. */
  fallback?: RequestListener;
}

/** The client of a node:http request. */
export function clientOf(request: IncomingMessage, trustProxy = false): ClientContext {
  const forwarded = trustProxy ? request.headers["x-forwarded-for"] : undefined;
  const first = typeof forwarded === "string" ? forwarded.split(",")[0]?.trim() : undefined;
  return { ip: first || request.socket.remoteAddress || null, userAgent: request.headers["user-agent"] ?? null };
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
  options: { trustProxy?: boolean; secure?: boolean } = {},
): string {
  const header = (name: string) => {
    const value = request.headers[name];
    return typeof value === "string" ? value.split(",")[0]?.trim() : undefined;
  };
  const forwardedProto = options.trustProxy ? header("x-forwarded-proto") : undefined;
  const encrypted = (request.socket as { encrypted?: boolean }).encrypted === true;
  const scheme = encrypted || options.secure || forwardedProto === "https" ? "https" : "http";
  const host = (options.trustProxy ? header("x-forwarded-host") : undefined) ?? request.headers.host ?? "localhost";
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
  const listener = (request: IncomingMessage, response: ServerResponse) => {
    const pathname = (request.url ?? "/").split("?", 1)[0] ?? "/";
    if (!isStintPath(pathname)) {
      if (options.fallback) return options.fallback(request, response);
      response.writeHead(404, { "content-type": "text/plain; charset=utf-8" }).end("Not found");
      return;
    }
    const abort = new AbortController();
    streams.add(abort);
    // A client that goes away aborts the request: open event streams end and clean up.
    response.on("close", () => {
      abort.abort();
      streams.delete(abort);
    });
    const client = clientOf(request, options.trustProxy);
    stint
      .handler(
        toWebRequest(request, abort.signal, requestOrigin(request, { ...options, secure: stint.cookie.secure })),
        {
          ip: client.ip,
        },
      )
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
export function nodeSessions<Data extends JsonObject>(stint: StintHost<Data>, options: { trustProxy?: boolean } = {}) {
  return {
    async load(request: IncomingMessage, response?: ServerResponse): Promise<Session<Data>> {
      const session = await stint.load(
        { cookie: request.headers.cookie, authorization: request.headers.authorization },
        clientOf(request, options.trustProxy),
      );
      if (response) {
        commitBeforeEnd(stint as StintHost<JsonObject>, session as Session<JsonObject>, response, sendWebResponse);
      }
      return session;
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
  const closeUnused = () => {
    server.closeIdleConnections();
    for (const socket of unused) if (socket.bytesRead === 0) socket.destroy();
  };
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
