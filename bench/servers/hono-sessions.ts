/** hono-sessions with its MemoryStore and an encrypted session-id cookie (its recommended setup). */
import { getRequestListener } from "@hono/node-server";
import { Hono } from "hono";
import { MemoryStore, type Session, sessionMiddleware } from "hono-sessions";
import {
  countMethods,
  listen,
  MethodCounter,
  nextCounter,
  OK,
  ROUTES,
  type RunningVariant,
  SECRET,
  USER_ID,
} from "./common.js";

type Env = { Variables: { session: Session<{ userId: string; counter: number }>; session_key_rotation: boolean } };

export async function startHonoSessions(): Promise<RunningVariant> {
  const store = new MemoryStore();
  const counter = new MethodCounter(new Set(["createSession", "persistSessionData", "deleteSession"]));
  countMethods(store, ["getSessionById", "createSession", "persistSessionData", "deleteSession"], counter);
  const app = new Hono<Env>();
  app.use(
    sessionMiddleware({
      store,
      encryptionKey: SECRET,
      expireAfterSeconds: 24 * 60 * 60,
      cookieOptions: { sameSite: "Lax", path: "/", httpOnly: true },
    }),
  );
  app.get(ROUTES.read, (c) => (c.get("session").get("userId") ? c.json(OK) : c.body(null, 401)));
  app.post(ROUTES.write, (c) => {
    if (!c.get("session").get("userId")) return c.body(null, 401);
    c.get("session").set("counter", nextCounter());
    return c.json(OK);
  });
  app.post(ROUTES.login, (c) => {
    c.set("session_key_rotation", true);
    c.get("session").set("userId", USER_ID);
    return c.json(OK);
  });
  return { ...(await listen(getRequestListener(app.fetch))), counters: counter };
}
