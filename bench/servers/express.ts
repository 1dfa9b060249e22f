/** Express 5 without sessions, and Stint through its Express adapter (examples/express.ts). */
import express from "express";
import { commitSession, requireSession, stintExpress } from "stint/adapters/express";
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
  const app = express();
  app.get(ROUTES.read, (_req, res) => void res.json(OK));
  app.post(ROUTES.write, (_req, res) => void res.json(OK));
  app.post(ROUTES.login, (_req, res) => void res.json(OK));
  return { ...(await listen(app)), counters: NO_COUNTERS };
}

export async function startStint(context: VariantContext): Promise<RunningVariant> {
  const { stint, counters } = await benchStint(context);
  const app = express();
  app.use(stintExpress(stint));
  app.get(ROUTES.read, requireSession({ authenticated: true }), async (req, res) => {
    await commitSession(req, res);
    res.json(OK);
  });
  app.post(ROUTES.write, requireSession(), async (req, res) => {
    req.session.set("counter", nextCounter());
    await commitSession(req, res);
    res.json(OK);
  });
  app.post(ROUTES.login, async (req, res) => {
    req.session.login(USER_ID);
    await commitSession(req, res);
    res.json(OK);
  });
  const running = await listen(app);
  const close = async () => {
    await running.close();
    await stint.close();
  };
  return { port: running.port, counters, close };
}
