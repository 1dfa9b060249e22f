/**
 * Stint on node:http, no framework. Run: `node --import tsx examples/node.ts` (PORT, STINT_STORE, STINT_SECRET).
 * In an app, import from "stint" and "stint/adapters/node".
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { nodeSessions, serve } from "../src/adapters/node.js";
import { createStint, openStoreUrl, requireCsrf, requireSession, StintError, toErrorBody } from "../src/index.js";

const { store } = await openStoreUrl(process.env.STINT_STORE ?? "sqlite:./data/example.db");
const stint = createStint({ store, secret: process.env.STINT_SECRET ?? "dev-only-secret-never-in-production-0123" });
const sessions = nodeSessions(stint);

async function app(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const session = await sessions.load(req);
  const answer = async (status: number, body: unknown) => {
    await sessions.commit(res, session); // before the head is written
    res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));
  };
  try {
    const header = (name: string) => req.headers[name]?.toString() ?? null;
    requireCsrf(stint.manager, session, { method: req.method ?? "GET", origin: `http://${req.headers.host}`, header });
    if (req.method === "POST" && req.url === "/login") {
      // A demo sign-in that trusts any name: a real app checks a password first.
      session.login(String((await readJson(req)).name ?? "guest"));
      return await answer(200, { user: session.userId });
    }
    if (req.method === "GET" && req.url === "/me") {
      requireSession(session, { authenticated: true });
      return await answer(200, { user: session.userId, state: session.state() });
    }
    if (req.method === "POST" && req.url === "/theme") {
      requireSession(session);
      session.setState("theme", String((await readJson(req)).theme ?? "light"));
      return await answer(200, { state: session.state() });
    }
    res.writeHead(404).end();
  } catch (error) {
    if (!(error instanceof StintError)) throw error;
    res.writeHead(error.status, { "content-type": "application/json", "cache-control": "no-store" });
    res.end(JSON.stringify(toErrorBody(error)));
  }
}

async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  let text = "";
  for await (const chunk of req) text += chunk;
  try {
    return JSON.parse(text) ?? {};
  } catch {
    return {};
  }
}

const fallback = (req: IncomingMessage, res: ServerResponse) => void app(req, res).catch(() => res.destroy());
const server = await serve(stint, { port: Number(process.env.PORT ?? 3000), fallback });
console.log(`listening on ${server.url}`);
