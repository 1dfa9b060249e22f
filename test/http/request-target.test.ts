import { request as httpRequest } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { requestOrigin, requestUrl, serve } from "../../src/http/adapters/node.js";
import { type ApiTarget, startTarget } from "../support/api-target.js";

/** Sends a raw request line, which fetch would normalise away. */
function raw(base: string, method: string, target: string, headers: Record<string, string>) {
  const { hostname, port } = new URL(base);
  return new Promise<{ status: number; body: string }>((resolve, reject) => {
    const outgoing = httpRequest({ hostname, port, method, path: target, headers }, (incoming) => {
      let body = "";
      incoming.on("data", (chunk) => (body += chunk));
      incoming.on("end", () => resolve({ status: incoming.statusCode ?? 0, body }));
    });
    outgoing.on("error", reject);
    outgoing.end(
      headers["content-type"] ? JSON.stringify({ username: "nobody_here", password: "x".repeat(12) }) : undefined,
    );
  });
}

describe("request targets and Host headers (node adapter)", () => {
  let target: ApiTarget;
  beforeAll(async () => {
    target = await startTarget(async (stint) => {
      const server = await serve(stint, { port: 0 });
      return { baseUrl: server.url, fetch: (request) => fetch(request), close: () => server.close() };
    });
  });
  afterAll(() => target.close());

  it("never takes a `//host/…` target's host for the server's own origin", async () => {
    const answer = await raw(target.baseUrl, "POST", "//evil.example/api/auth/login", {
      origin: "http://evil.example",
      "content-type": "application/json",
    });
    // Not the API at all (the path is not /api/…), and in no case a login across origins.
    expect(answer.status).not.toBe(200);
    expect(answer.status).not.toBe(401);
  });

  it("answers a malformed Host header without a 5xx", async () => {
    const answer = await raw(target.baseUrl, "GET", "/api/session", { host: "bad host[" });
    expect(answer.status).toBe(401);
    const unsafe = await raw(target.baseUrl, "POST", "/api/auth/login", {
      host: "bad host[",
      origin: "http://bad",
      "content-type": "application/json",
    });
    expect(unsafe.status).toBe(403);
  });

  it("builds URLs by concatenation and origins from trusted proxy headers only", () => {
    expect(requestUrl("http://app.test", "//evil.example/x").host).toBe("app.test");
    expect(requestUrl("http://app.test", "/api/session?x=1").pathname).toBe("/api/session");
    const request = {
      headers: { host: "app.test", "x-forwarded-proto": "https", "x-forwarded-host": "public.test" },
      socket: {},
    } as never;
    expect(requestOrigin(request)).toBe("http://app.test");
    expect(requestOrigin(request, { trustProxy: true })).toBe("https://public.test");
    expect(requestOrigin(request, { secure: true })).toBe("https://app.test");
  });
});
