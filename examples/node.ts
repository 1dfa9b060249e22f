/**
 * Stint on node:http, no framework. Run: `node --import tsx examples/node.ts` (PORT, STINT_DB, STINT_SECRET).
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { assertSession, createStint, StintError, toErrorBody } from "stint";
import { nodeSessions, serve } from "stint/adapters/node";
import { sqliteStore } from "stint/sqlite";

const store = sqliteStore({ path: process.env.STINT_DB ?? "./data/example.db" });
const stint = createStint({ store, secret: process.env.STINT_SECRET ?? "dev-only-secret-never-in-production-0123" });
const sessions = nodeSessions(stint);

async function app(req: IncomingMessage, res: ServerResponse): Promise<void> {
  // Given `res`, the session is committed before the response head goes out.
  const session = await sessions.load(req, res);
  const answer = (status: number, body: unknown) => {
    res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));
  };
  try {
    const header = (name: string) => req.headers[name]?.toString() ?? null;
    stint.assertCsrf(session, { method: req.method ?? "GET", origin: `http://${req.headers.host}`, header });
    if (req.method === "POST" && req.url === "/login") {
      // A demo sign-in that trusts any name: a real app checks a password first.
      session.login(String((await readJson(req)).name ?? "guest"));
      return answer(200, { user: session.userId });
    }
    if (req.method === "GET" && req.url === "/me") {
      assertSession(session, { authenticated: true });
      return answer(200, { user: session.userId, state: session.state() });
    }
    if (req.method === "POST" && req.url === "/theme") {
      assertSession(session);
      session.setState("theme", String((await readJson(req)).theme ?? "light"));
      return answer(200, { state: session.state() });
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
