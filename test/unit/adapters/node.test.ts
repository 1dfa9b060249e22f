import type { IncomingMessage, ServerResponse } from "node:http";
import { assertSession, StintError, toErrorBody } from "stint";
import { nodeSessions, serve } from "stint/adapters/node";
import { type AppHost, describeAppRoutes } from "./app-routes.suite.js";

/**
 * A plain node:http app: `sessions.load(req, res)` commits the session before the head goes
 * out, so no route commits by hand.
 */
const nodeApp: AppHost = async (stint) => {
  const sessions = nodeSessions(stint);
  const app = async (req: IncomingMessage, res: ServerResponse) => {
    const session = await sessions.load(req, res);
    try {
      if (req.method === "GET" && req.url === "/me") {
        assertSession(session);
        return json(res, 200, { userId: session.userId, visits: session.get("visits") ?? 0 });
      }
      const body = await readJson(req);
      const csrfToken = typeof body.csrf_token === "string" ? body.csrf_token : null;
      const header = (name: string) => req.headers[name]?.toString() ?? null;
      stint.assertCsrf(session, {
        method: req.method ?? "GET",
        origin: `http://${req.headers.host}`,
        header,
        bodyToken: csrfToken,
      });
      if (req.url === "/visit") {
        const visits = Number(session.get("visits") ?? 0) + 1;
        session.set("visits", visits);
        res.setHeader("set-cookie", "app=1; Path=/");
        return json(res, 200, { visits });
      }
      if (req.url === "/login") {
        session.login(String(body.user));
        return json(res, 200, { userId: session.userId });
      }
      if (req.url === "/logout") {
        session.destroy();
        return void res.writeHead(204).end();
      }
      if (req.url === "/clear") {
        session.clear();
        return void res.writeHead(204).end();
      }
      if (req.url === "/fail") session.set("visits", 999);
      res.writeHead(req.url === "/fail" ? 500 : 404).end();
    } catch (error) {
      if (!(error instanceof StintError)) throw error;
      json(res, error.status, toErrorBody(error));
    }
  };
  const running = await serve(stint, {
    port: 0,
    fallback: (req, res) => void app(req, res).catch(() => res.destroy()),
  });
  return { baseUrl: running.url, close: () => running.close() };
};

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { "content-type": "application/json", "cache-control": "no-store" }).end(JSON.stringify(body));
}

async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  let text = "";
  for await (const chunk of req) text += chunk;
  try {
    return JSON.parse(text || "{}");
  } catch {
    return {};
  }
}

describeAppRoutes("node:http", nodeApp);
