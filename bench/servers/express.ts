/** Express 5 without sessions, and Stint through its Express adapter, as examples/express.ts uses it. */
import express from "express";
import { requireSession, stintExpress } from "stint/adapters/express";
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
  // As the README writes it: the adapter commits the session before the head goes out.
  app.get(ROUTES.read, requireSession({ authenticated: true }), (_req, res) => void res.json(OK));
  app.post(ROUTES.write, requireSession(), (req, res) => {
    req.session.set("counter", nextCounter());
    res.json(OK);
  });
  app.post(ROUTES.login, (req, res) => {
    req.session.login(USER_ID);
    res.json(OK);
  });
  const running = await listen(app);
  const close = async () => {
    await running.close();
    await stint.close();
  };
  return { port: running.port, counters, close };
}
