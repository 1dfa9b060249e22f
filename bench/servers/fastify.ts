/** Fastify 5 without sessions, and Stint as a Fastify plugin (examples/fastify.ts). */
import Fastify, { type FastifyInstance } from "fastify";
import { requireSession, stintFastify } from "stint/adapters/fastify";
import {
  type Listening,
  NO_COUNTERS,
  nextCounter,
  OK,
  ROUTES,
  type RunningVariant,
  USER_ID,
  type VariantContext,
} from "./common.js";
import { benchStint } from "./stint.js";

/** Fastify's own listen, on a free loopback port. */
export async function listenFastify(app: FastifyInstance): Promise<Listening> {
  await app.listen({ port: 0, host: "127.0.0.1" });
  const address = app.server.address();
  return { port: typeof address === "object" && address ? address.port : 0, close: () => app.close() };
}

const fastify = () => Fastify({ logger: false, keepAliveTimeout: 60_000 });

export async function startNone(): Promise<RunningVariant> {
  const app = fastify();
  app.get(ROUTES.read, async () => OK);
  app.post(ROUTES.write, async () => OK);
  app.post(ROUTES.login, async () => OK);
  return { ...(await listenFastify(app)), counters: NO_COUNTERS };
}

export async function startStint(context: VariantContext): Promise<RunningVariant> {
  const { stint, counters } = await benchStint(context);
  const app = fastify();
  await app.register(stintFastify, { stint });
  app.get(ROUTES.read, { preHandler: requireSession({ authenticated: true }) }, async () => OK);
  app.post(ROUTES.write, { preHandler: requireSession() }, async (request) => {
    request.session.set("counter", nextCounter());
    return OK;
  });
  app.post(ROUTES.login, async (request) => {
    request.session.login(USER_ID);
    return OK;
  });
  const running = await listenFastify(app);
  const close = async () => {
    await running.close();
    await stint.close();
  };
  return { port: running.port, counters, close };
}
