import Koa, { type Middleware } from "koa";
import { requireCsrf, requireSession, stintKoa } from "stint/adapters/koa";
import { bodyParser } from "../../fixtures/koa/body-parser.js";
import { listen } from "../../fixtures/koa/serve.js";
import { type AppHost, describeAppRoutes } from "./app-routes.suite.js";

/** One route: its method and path, a guard, then the handler (what a router would do). */
function route(method: string, path: string, guard: Middleware, handler: Middleware): Middleware {
  return (ctx, next) => (ctx.method === method && ctx.path === path ? guard(ctx, () => handler(ctx, next)) : next());
}

const koaApp: AppHost = async (stint) => {
  const app = new Koa();
  // Koa logs every error it answers with 500; the deliberate failure below is one.
  app.silent = true;
  app.use(bodyParser());
  app.use(stintKoa(stint));
  app.use(
    route("GET", "/me", requireSession(), (ctx) => {
      ctx.body = { userId: ctx.session.userId, visits: ctx.session.get("visits") ?? 0 };
    }),
  );
  app.use(
    route("POST", "/visit", requireCsrf(), (ctx) => {
      const visits = Number(ctx.session.get("visits") ?? 0) + 1;
      ctx.session.set("visits", visits);
      ctx.cookies.set("app", "1", { httpOnly: false });
      ctx.body = { visits };
    }),
  );
  app.use(
    route("POST", "/login", requireCsrf(), (ctx) => {
      ctx.session.login(String((ctx.request as unknown as { body: { user: string } }).body.user));
      ctx.body = { userId: ctx.session.userId };
    }),
  );
  app.use(
    route("POST", "/logout", requireCsrf(), (ctx) => {
      ctx.session.destroy();
      ctx.status = 204;
    }),
  );
  app.use(
    route("POST", "/clear", requireCsrf(), (ctx) => {
      ctx.session.clear();
      ctx.status = 204;
    }),
  );
  app.use(
    route("POST", "/fail", requireCsrf(), (ctx) => {
      ctx.session.set("visits", 999);
      throw new Error("the handler failed");
    }),
  );
  return listen(app);
};

describeAppRoutes("koa", koaApp);
