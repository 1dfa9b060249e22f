/**
 * Stint on Fastify 5. Run: `node --import tsx examples/fastify.ts` (PORT, STINT_DB, STINT_SECRET).
 */
import Fastify from "fastify";
import { createStint } from "stint";
import { requireCsrf, requireSession, stintFastify } from "stint/adapters/fastify";
import { sqliteStore } from "stint/sqlite";

const store = sqliteStore({ path: process.env.STINT_DB ?? "./data/example.db" });
const stint = createStint({ store, secret: process.env.STINT_SECRET ?? "dev-only-secret-never-in-production-0123" });

const app = Fastify();
// API.md's routes (/api/session, /api/sessions, …) and `request.session` everywhere else,
// committed in onSend before the head is written.
await app.register(stintFastify, { stint });

type Body = { name?: string; theme?: string } | undefined;

// A demo sign-in that trusts any name: a real app checks a password first.
app.post<{ Body: Body }>("/login", { preHandler: requireCsrf() }, async (request) => {
  request.session.login(request.body?.name ?? "guest");
  return { user: request.session.userId };
});

app.get("/me", { preHandler: requireSession({ authenticated: true }) }, async (request) => ({
  user: request.session.userId,
  state: request.session.state(),
}));

app.post<{ Body: Body }>("/theme", { preHandler: [requireSession(), requireCsrf()] }, async (request) => {
  request.session.setState("theme", request.body?.theme ?? "light");
  return { state: request.session.state() };
});

const url = await app.listen({ port: Number(process.env.PORT ?? 3000), host: "127.0.0.1" });
console.log(`listening on ${url}`);
