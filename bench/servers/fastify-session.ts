/**
 * @fastify/session (its MemoryStore) with @fastify/cookie, loaded untyped through
 * createRequire: its declarations give `request.session` a type that clashes with Stint's.
 */
import { createRequire } from "node:module";
import Fastify, { type FastifyRequest } from "fastify";
import {
  countMethods,
  MethodCounter,
  nextCounter,
  OK,
  ROUTES,
  type RunningVariant,
  SECRET,
  USER_ID,
} from "./common.js";
import { listenFastify } from "./fastify.js";

const require = createRequire(import.meta.url);

/** What the routes use of @fastify/session's `request.session`. */
interface IncumbentSession {
  get(key: string): unknown;
  set(key: string, value: unknown): void;
  regenerate(): Promise<void>;
}

const sessionOf = (request: FastifyRequest) => (request as unknown as { session: IncumbentSession }).session;

export async function startFastifySession(): Promise<RunningVariant> {
  const fastifyCookie = require("@fastify/cookie");
  const fastifySession = require("@fastify/session");
  const counter = new MethodCounter(new Set(["set", "destroy"]));
  const store = new fastifySession.MemoryStore();
  countMethods(store, ["get", "set", "destroy"], counter);
  const app = Fastify({ logger: false, keepAliveTimeout: 60_000 });
  await app.register(fastifyCookie);
  await app.register(fastifySession, {
    secret: SECRET,
    store,
    saveUninitialized: false,
    cookie: { secure: false, httpOnly: true, sameSite: "lax", maxAge: 86_400_000 },
  });
  app.get(ROUTES.read, async (request, reply) => (sessionOf(request).get("userId") ? OK : reply.code(401).send()));
  app.post(ROUTES.write, async (request, reply) => {
    if (!sessionOf(request).get("userId")) return reply.code(401).send();
    sessionOf(request).set("counter", nextCounter());
    return OK;
  });
  app.post(ROUTES.login, async (request) => {
    await sessionOf(request).regenerate();
    sessionOf(request).set("userId", USER_ID);
    return OK;
  });
  return { ...(await listenFastify(app)), counters: counter };
}
