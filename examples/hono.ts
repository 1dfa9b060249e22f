/**
 * Stint on Hono 4 (here on Node). Run: `node --import tsx examples/hono.ts` (PORT, STINT_DB, STINT_SECRET).
 */
import { serve } from "@hono/node-server";
import { getConnInfo } from "@hono/node-server/conninfo";
import { Hono } from "hono";
import { createStint } from "stint";
import { requireCsrf, requireSession, type StintEnv, stintHono } from "stint/adapters/hono";
import { sqliteStore } from "stint/sqlite";

const store = sqliteStore({ path: process.env.STINT_DB ?? "./data/example.db" });
const stint = createStint({ store, secret: process.env.STINT_SECRET ?? "dev-only-secret-never-in-production-0123" });

const app = new Hono<StintEnv>();
// API.md's routes (/api/session, /api/sessions, …) and c.get("session") everywhere else,
// committed after the handler.
app.use(stintHono(stint, { getConnInfo }));

type Body = { name?: string; theme?: string };

// A demo sign-in that trusts any name: a real app checks a password first.
app.post("/login", requireCsrf(), async (c) => {
  const body: Body = await c.req.json().catch(() => ({}));
  c.get("session").login(body.name ?? "guest");
  return c.json({ user: c.get("session").userId });
});

app.get("/me", requireSession({ authenticated: true }), (c) =>
  c.json({ user: c.get("session").userId, state: c.get("session").state() }),
);

app.post("/theme", requireSession(), requireCsrf(), async (c) => {
  const body: Body = await c.req.json().catch(() => ({}));
  c.get("session").setState("theme", body.theme ?? "light");
  return c.json({ state: c.get("session").state() });
});

serve({ fetch: app.fetch, port: Number(process.env.PORT ?? 3000), hostname: "127.0.0.1" }, (info) => {
  console.log(`listening on http://127.0.0.1:${info.port}`);
});
