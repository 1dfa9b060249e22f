import { connect } from "node:net";

/**
 * HTTP/1.1 over a bare socket, for what fetch refuses to send: TRACE and CONNECT, duplicated
 * or malformed headers, odd request targets, lying Content-Length. One request per
 * connection: the request should carry `Connection: close` (rawRequest adds it).
 */

export interface RawAnswer {
  /** 0 when the server closed the connection without an answer. */
  status: number;
  headers: Array<[string, string]>;
  body: string;
  /** Everything received, head and body. */
  raw: string;
}

export function header(answer: RawAnswer, name: string): string | undefined {
  return answer.headers.find(([key]) => key === name.toLowerCase())?.[1];
}

export function headersOf(answer: RawAnswer, name: string): string[] {
  return answer.headers.filter(([key]) => key === name.toLowerCase()).map(([, value]) => value);
}

/** Sends `head` (lines without the final blank line) and `body`, reads until the server closes. */
export function rawRequest(
  baseUrl: string,
  head: string[],
  body: Buffer | string = "",
  options: {
    timeoutMs?: number;
    /**
     * End the sending side after the request (a client that sends less body than it declared
     * and stops). Otherwise the socket stays open both ways until the server closes it: node:http
     * drops an answer still being made when the client half-closes first.
     */
    halfClose?: boolean;
    /**
     * An answer that streams (the event stream) never closes: once its head has arrived, take
     * what came within this many ms and close the connection.
     */
    streamGraceMs?: number;
  } = {},
): Promise<RawAnswer> {
  const { hostname, port } = new URL(baseUrl);
  const lines = head.some((line) => /^connection:/i.test(line)) ? head : [...head, "Connection: close"];
  const payload = Buffer.concat([Buffer.from(`${lines.join("\r\n")}\r\n\r\n`, "latin1"), Buffer.from(body)]);
  return new Promise((resolve, reject) => {
    const socket = connect({ host: hostname, port: Number(port) });
    const chunks: Buffer[] = [];
    let settled = false;
    const timer = setTimeout(() => {
      settled = true;
      socket.destroy();
      reject(new Error(`no complete answer within ${options.timeoutMs ?? 10_000} ms to ${lines[0]}`));
    }, options.timeoutMs ?? 10_000);
    let grace: ReturnType<typeof setTimeout> | undefined;
    socket.on("connect", () => (options.halfClose ? socket.end(payload) : socket.write(payload)));
    socket.on("data", (chunk: Buffer) => {
      chunks.push(chunk);
      if (options.streamGraceMs === undefined || grace || !Buffer.concat(chunks).includes("\r\n\r\n")) return;
      grace = setTimeout(() => socket.destroy(), options.streamGraceMs);
    });
    // A server may reset a connection it refuses (a parse error mid-body): that is an answer.
    socket.on("error", () => undefined);
    socket.on("close", () => {
      clearTimeout(timer);
      clearTimeout(grace);
      if (!settled) resolve(parse(Buffer.concat(chunks)));
    });
  });
}

function parse(bytes: Buffer): RawAnswer {
  const raw = bytes.toString("latin1");
  const end = raw.indexOf("\r\n\r\n");
  if (end < 0) return { status: 0, headers: [], body: "", raw };
  const [statusLine = "", ...headerLines] = raw.slice(0, end).split("\r\n");
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine)?.[1] ?? 0);
  const headers = headerLines.map((line): [string, string] => {
    const colon = line.indexOf(":");
    return [line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim()];
  });
  let rest = bytes.subarray(Buffer.byteLength(raw.slice(0, end + 4), "latin1"));
  if (headers.some(([name, value]) => name === "transfer-encoding" && /chunked/i.test(value))) rest = dechunk(rest);
  return { status, headers, body: rest.toString("utf8"), raw };
}

function dechunk(bytes: Buffer): Buffer {
  const parts: Buffer[] = [];
  let at = 0;
  while (at < bytes.length) {
    const lineEnd = bytes.indexOf("\r\n", at);
    if (lineEnd < 0) break;
    const size = Number.parseInt(bytes.subarray(at, lineEnd).toString("latin1"), 16);
    if (!Number.isFinite(size) || size === 0) break;
    parts.push(bytes.subarray(lineEnd + 2, lineEnd + 2 + size));
    at = lineEnd + 2 + size + 2;
  }
  return Buffer.concat(parts);
}
