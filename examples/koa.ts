/**
 * Stint on Koa 3. Run: `node --import tsx examples/koa.ts` (PORT, STINT_DB, STINT_SECRET).
 */
import type { AddressInfo } from "node:net";
import { json } from "node:stream/consumers";
import Koa, { type Context, type Middleware } from "koa";
import { createStint } from "stint";
import { requireCsrf, requireSession, stintKoa } from "stint/adapters/koa";
import { sqliteStore } from "stint/sqlite";

const store = sqliteStore({ path: process.env.STINT_DB ?? "./data/example.db" });
const stint = createStint({ store, secret: process.env.STINT_SECRET ?? "dev-only-secret-never-in-production-0123" });

type Body = { name?: string; theme?: string };
// A body parser (@koa/bodyparser) does this in a real app.
const body = (ctx: Context) => json(ctx.req).catch(() => ({})) as Promise<Body>;

/** The smallest router: a method, a path and middleware (koa-router in a real app). */
const route =
  (method: string, path: string, ...stack: Middleware[]): Middleware =>
  (ctx, next) => {
    if (ctx.method !== method || ctx.path !== path) return next();
    const run = (i: number): Promise<void> => Promise.resolve(stack[i]?.(ctx, () => run(i + 1)));
    return run(0);
  };

const app = new Koa();
// API.md's routes (/api/session, /api/sessions, …) and ctx.session everywhere else,
// committed after the downstream middleware.
app.use(stintKoa(stint));

// A demo sign-in that trusts any name: a real app checks a password first.
app.use(
  route("POST", "/login", requireCsrf(), async (ctx) => {
    ctx.session.login((await body(ctx)).name ?? "guest");
    ctx.body = { user: ctx.session.userId };
  }),
);

app.use(
  route("GET", "/me", requireSession({ authenticated: true }), (ctx) => {
    ctx.body = { user: ctx.session.userId, state: ctx.session.state() };
  }),
);

app.use(
  route("POST", "/theme", requireSession(), requireCsrf(), async (ctx) => {
    ctx.session.setState("theme", (await body(ctx)).theme ?? "light");
    ctx.body = { state: ctx.session.state() };
  }),
);

const server = app.listen(Number(process.env.PORT ?? 3000), "127.0.0.1", () => {
  console.log(`listening on http://127.0.0.1:${(server.address() as AddressInfo).port}`);
});
