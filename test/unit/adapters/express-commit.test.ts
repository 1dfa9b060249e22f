import type { AddressInfo } from "node:net";
import express from "express";
import { createStint, memoryStore, type Stint } from "stint";
import { commitSession, stintExpress } from "stint/adapters/express";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { TestBrowser } from "../../support/browser.js";

/** When Express commits: before the head, and what a streamed answer can still carry. */
describe("Express: no change is lost without a word", () => {
  let stint: Stint;
  let target: { baseUrl: string; fetch: (request: Request) => Promise<Response> };
  let close: () => Promise<void>;

  beforeEach(async () => {
    stint = createStint({ store: memoryStore(), secret: "express-commit-secret-0123456789abcdef" });
    const app = express();
    app.use(express.json(), stintExpress(stint));
    app.post("/streamed-login", (req, res) => {
      res.write("started");
      req.session.login("mallory");
      res.end();
    });
    app.post("/committed-then-streamed", async (req, res) => {
      req.session.login("alice");
      await commitSession(req, res);
      res.write("started");
      res.end();
    });
    app.post("/streamed-data", (req, res) => {
      res.write("started");
      req.session.set("seen", true);
      res.end();
    });
    app.get("/seen", (req, res) => res.json({ user: req.session.userId, seen: req.session.get("seen") ?? false }));
    const server = app.listen(0, "127.0.0.1");
    await new Promise<void>((resolve) => server.once("listening", resolve));
    target = {
      baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
      fetch: (request) => fetch(request),
    };
    close = async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
      await stint.close();
    };
  });
  afterEach(() => close());

  it("refuses, loudly, a sign-in made after the head was streamed: no cookie, no session", async () => {
    const errors = vi.spyOn(console, "error").mockImplementation(() => undefined);
    try {
      const client = new TestBrowser(target);
      await client.get("/api/session/csrf-token");
      const before = client.token();
      const answer = await client.post("/streamed-login", {});
      expect(answer.status).toBe(200);
      expect(answer.setCookies).toEqual([]);
      expect(errors).toHaveBeenCalledWith(expect.stringContaining("the change was not saved"));
      expect(client.token()).toBe(before);
      expect((await client.get("/seen")).body).toEqual({ user: null, seen: false });
    } finally {
      errors.mockRestore();
    }
  });

  it("delivers the cookie of a sign-in committed before the stream", async () => {
    const client = new TestBrowser(target);
    await client.get("/api/session/csrf-token");
    const answer = await client.post("/committed-then-streamed", {});
    expect(answer.setCookies.some((line) => line.startsWith("stint_session="))).toBe(true);
    expect((await client.get("/seen")).body).toEqual({ user: "alice", seen: false });
  });

  it("still writes data changed after the stream began, when it needs no cookie", async () => {
    const client = new TestBrowser(target);
    await client.get("/api/session/csrf-token");
    expect((await client.post("/streamed-data", {})).status).toBe(200);
    expect((await client.get("/seen")).body).toEqual({ user: null, seen: true });
  });
});
