import { mkdtempSync, rmSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createStint } from "stint";
import { createAccounts, sqliteUserStore } from "stint/accounts";
import { type RunningServer, serve, type TrustProxy } from "stint/adapters/node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openStoreUrl } from "../../src/stores/from-url.js";
import { TEST_SECRET } from "../support/api-target.js";
import { header, rawRequest } from "../support/raw-http.js";
import { cheapHasher } from "../support/stint-server.js";

/**
 * Issue 10: requests node:http accepts and fetch cannot send, over bare sockets, against the
 * node adapter's `serve()`. Each must be answered, and the server must go on answering.
 */

const PASSWORD = "correct horse battery";

async function startServer(dir: string, trustProxy: TrustProxy = false): Promise<RunningServer> {
  const { store, database } = await openStoreUrl(`sqlite:${join(dir, `stint-${String(trustProxy)}.db`)}`);
  const stint = createStint({
    store,
    secret: TEST_SECRET,
    accounts: createAccounts({
      users: sqliteUserStore({ database: database! }),
      hasher: cheapHasher,
      limits: { addressFailures: { limit: 3, windowMs: 60_000 } },
    }),
  });
  return serve(stint, { port: 0, host: "127.0.0.1", trustProxy, shutdownTimeoutMs: 1_000 });
}

describe("hostile requests to the node adapter (raw sockets)", () => {
  let dir: string;
  let server: RunningServer;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "stint-hostile-"));
    server = await startServer(dir);
  });
  afterAll(async () => {
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const stillServing = async () => {
    const health = await rawRequest(server.url, ["GET /api/health HTTP/1.1", "Host: localhost"]);
    expect(health.status).toBe(200);
  };

  it("answers TRACE with 405 and Allow on a known path, 404 elsewhere, and keeps serving", async () => {
    // TRACK too is refused by fetch, but node:http's parser answers it 400 itself.
    const known = await rawRequest(server.url, ["TRACE /api/session HTTP/1.1", "Host: localhost"]);
    expect(known.status).toBe(405);
    expect(header(known, "allow")).toBe("GET, HEAD, DELETE");
    expect(JSON.parse(known.body).error.code).toBe("method_not_allowed");
    const unknown = await rawRequest(server.url, ["TRACE /api/nowhere HTTP/1.1", "Host: localhost"]);
    expect(unknown.status).toBe(404);
    expect(JSON.parse(unknown.body).error.code).toBe("not_found");
    const app = await rawRequest(server.url, ["TRACE / HTTP/1.1", "Host: localhost"]);
    expect(app.status).toBe(404);
    await stillServing();
  });

  it("answers CONNECT (a bare socket in node:http) with 405 or 404 and keeps serving", async () => {
    const known = await rawRequest(server.url, ["CONNECT /api/session/state HTTP/1.1", "Host: localhost"]);
    expect(known.status).toBe(405);
    expect(header(known, "allow")).toBe("GET, HEAD, PATCH");
    const tunnel = await rawRequest(server.url, ["CONNECT example.com:443 HTTP/1.1", "Host: example.com:443"]);
    expect(tunnel.status).toBe(404);
    await stillServing();
  });

  it("a CONNECT with a large body, whose client then goes away, never holds up shutdown", async () => {
    const own = await startServer(dir, false);
    const { hostname, port } = new URL(own.url);
    const socket = connect({ host: hostname, port: Number(port) });
    socket.on("error", () => undefined);
    const answered = new Promise<string>((resolve) => socket.once("data", (chunk) => resolve(chunk.toString())));
    const body = Buffer.alloc(300 * 1024, "x");
    socket.write(`CONNECT /api/session HTTP/1.1\r\nHost: localhost\r\nContent-Length: ${body.length}\r\n\r\n`);
    socket.write(body);
    expect(await answered).toMatch(/^HTTP\/1\.1 405 /);
    // node:http hands the server's side over paused: it stopped reading the body, never saw
    // the client go, and shutdown waited for that socket for ever.
    socket.destroy();
    const closed = await Promise.race([
      own.close().then(() => "closed"),
      new Promise((resolve) => setTimeout(() => resolve("still waiting"), 15_000)),
    ]);
    expect(closed).toBe("closed");
  });

  it("answers a body on TRACE, many of them at once, without a crash", async () => {
    const answers = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        rawRequest(
          server.url,
          [`TRACE /api/auth/login?i=${i} HTTP/1.1`, "Host: localhost", "Content-Length: 5"],
          "hello",
        ),
      ),
    );
    for (const answer of answers) expect(answer.status).toBe(405);
    await stillServing();
  });
});

describe("--trust-proxy hops (node adapter)", () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "stint-proxy-"));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /** Registers through a raw request with the given X-Forwarded-For; the device list's address. */
  async function addressSeen(server: RunningServer, username: string, forwardedFor: string[]): Promise<string> {
    const body = JSON.stringify({ username, password: PASSWORD });
    const answer = await rawRequest(
      server.url,
      [
        "POST /api/auth/register HTTP/1.1",
        "Host: localhost",
        "Content-Type: application/json",
        `Content-Length: ${Buffer.byteLength(body)}`,
        ...forwardedFor.map((value) => `X-Forwarded-For: ${value}`),
      ],
      body,
    );
    expect(answer.status).toBe(201);
    const cookie = header(answer, "set-cookie")?.split(";")[0] ?? "";
    const devices = await rawRequest(server.url, [
      "GET /api/sessions HTTP/1.1",
      "Host: localhost",
      `Cookie: ${cookie}`,
    ]);
    return JSON.parse(devices.body).sessions[0].ip;
  }

  it("takes the address one hop from the right, never the client-written leftmost entry", async () => {
    const server = await startServer(dir, 1);
    try {
      expect(await addressSeen(server, "hop_one", ["6.6.6.6, 203.0.113.9"])).toBe("203.0.113.9");
      // Several headers are one list, in order.
      expect(await addressSeen(server, "hop_one_b", ["6.6.6.6", "198.51.100.4"])).toBe("198.51.100.4");
      // Something that is not an address is not believed.
      expect(await addressSeen(server, "hop_one_c", ["6.6.6.6, <script>"])).toBe("127.0.0.1");
    } finally {
      await server.close();
    }
  });

  it("takes the address HOPS from the right with trustProxy: 2, and the socket's without trustProxy", async () => {
    const two = await startServer(dir, 2);
    try {
      expect(await addressSeen(two, "hop_two", ["6.6.6.6, 203.0.113.9, 10.0.0.2"])).toBe("203.0.113.9");
      expect(await addressSeen(two, "hop_two_b", ["203.0.113.10"])).toBe("203.0.113.10");
    } finally {
      await two.close();
    }
    const none = await startServer(dir, false);
    try {
      expect(await addressSeen(none, "hop_none", ["203.0.113.9"])).toBe("127.0.0.1");
    } finally {
      await none.close();
    }
  });

  it("a client rotating the leftmost X-Forwarded-For entry does not escape the per-address limit", async () => {
    const server = await startServer(dir, 1);
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 5; i++) {
        const body = JSON.stringify({ username: `nobody${i}`, password: "wrong password" });
        const answer = await rawRequest(
          server.url,
          [
            "POST /api/auth/login HTTP/1.1",
            "Host: localhost",
            "Content-Type: application/json",
            `Content-Length: ${Buffer.byteLength(body)}`,
            `X-Forwarded-For: 192.0.2.${i + 1}, 203.0.113.50`,
          ],
          body,
        );
        statuses.push(answer.status);
      }
      // The limit is 3 failures per address: the proxy's word (203.0.113.50) is what counts.
      expect(statuses).toEqual([401, 401, 401, 429, 429]);
    } finally {
      await server.close();
    }
  });
});
