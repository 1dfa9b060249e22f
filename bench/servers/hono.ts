/** Hono 4 on @hono/node-server without sessions, and Stint's Hono middleware (examples/hono.ts). */
import { getRequestListener } from "@hono/node-server";
import { getConnInfo } from "@hono/node-server/conninfo";
import { Hono } from "hono";
import { requireSession, type StintEnv, stintHono } from "stint/adapters/hono";
import {
  listen,
  NO_COUNTERS,
  nextCounter,
  OK,
  ROUTES,
  type RunningVariant,
  USER_ID,
  type VariantContext,
} from "./common.js";
import { benchStint } from "./stint.js";

export async function startNone(): Promise<RunningVariant> {
  const app = new Hono();
  app.get(ROUTES.read, (c) => c.json(OK));
  app.post(ROUTES.write, (c) => c.json(OK));
  app.post(ROUTES.login, (c) => c.json(OK));
  return { ...(await listen(getRequestListener(app.fetch))), counters: NO_COUNTERS };
}

export async function startStint(context: VariantContext): Promise<RunningVariant> {
  const { stint, counters } = await benchStint(context);
  const app = new Hono<StintEnv>();
  app.use(stintHono(stint, { getConnInfo }));
  app.get(ROUTES.read, requireSession({ authenticated: true }), (c) => c.json(OK));
  app.post(ROUTES.write, requireSession(), (c) => {
    c.get("session").set("counter", nextCounter());
    return c.json(OK);
  });
  app.post(ROUTES.login, (c) => {
    c.get("session").login(USER_ID);
    return c.json(OK);
  });
  const running = await listen(getRequestListener(app.fetch));
  const close = async () => {
    await running.close();
    await stint.close();
  };
  return { port: running.port, counters, close };
}
