/**
 * express-session on Express 5 with its MemoryStore, connect-redis (ioredis) or
 * better-sqlite3-session-store. Loaded untyped through createRequire: their type
 * declarations give `req.session` a type that clashes with Stint's Express adapter.
 */
import { createRequire } from "node:module";
import { join } from "node:path";
import Database from "better-sqlite3";
import express, { type Request, type Response } from "express";
import { Redis } from "ioredis";
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
  type VariantContext,
} from "./common.js";

const require = createRequire(import.meta.url);

/** What the routes use of express-session's `req.session`. */
interface IncumbentSession {
  userId?: string;
  counter?: number;
  regenerate(callback: (error?: unknown) => void): void;
}

const sessionOf = (req: Request) => (req as unknown as { session: IncumbentSession }).session;

export async function startExpressSession(context: VariantContext): Promise<RunningVariant> {
  const session = require("express-session");
  const counter = new MethodCounter(new Set(["set", "touch", "destroy"]));
  let closeStore = async () => {};
  let store: object;
  if (context.spec.store === "redis") {
    const { RedisStore } = require("connect-redis");
    const client = new Redis(context.redisUrl ?? "");
    store = new RedisStore({ client, prefix: "express_session:" });
    closeStore = async () => void (await client.quit());
  } else if (context.spec.store === "sqlite") {
    const SqliteStore = require("better-sqlite3-session-store")(session);
    const db = new Database(join(context.dir, "express-session.db"));
    db.pragma("journal_mode = WAL");
    store = new SqliteStore({ client: db, expired: { clear: true, intervalMs: 900_000 } });
    closeStore = async () => void db.close();
  } else {
    store = new session.MemoryStore();
  }
  countMethods(store, ["get", "set", "touch", "destroy"], counter);

  const app = express();
  app.use(
    session({
      secret: SECRET,
      store,
      resave: false,
      saveUninitialized: false,
      cookie: { maxAge: 86_400_000, httpOnly: true, sameSite: "lax" },
    }),
  );
  const signedIn = (req: Request, res: Response): boolean => {
    if (sessionOf(req).userId) return true;
    res.sendStatus(401);
    return false;
  };
  app.get(ROUTES.read, (req, res) => {
    if (signedIn(req, res)) res.json(OK);
  });
  app.post(ROUTES.write, (req, res) => {
    if (!signedIn(req, res)) return;
    sessionOf(req).counter = nextCounter();
    res.json(OK);
  });
  // A new session id at login, as express-session's documentation recommends.
  app.post(ROUTES.login, (req, res, next) => {
    sessionOf(req).regenerate((error) => {
      if (error) return next(error);
      sessionOf(req).userId = USER_ID;
      res.json(OK);
    });
  });
  const running = await listen(app);
  const close = async () => {
    await running.close();
    await closeStore();
  };
  return { port: running.port, counters: counter, close };
}
