import Fastify from "fastify";
import { requireCsrf, requireSession, stintFastify } from "../../../src/adapters/fastify.js";
import { type AppHost, describeAppRoutes } from "./app-routes.suite.js";

const fastifyApp: AppHost = async (stint) => {
  // Like the other hosts, close() ends keep-alive sockets too (undici may open one it never uses).
  const app = Fastify({ forceCloseConnections: true });
  await app.register(stintFastify, { stint });
  app.get("/me", { preHandler: requireSession() }, async (request) => ({
    userId: request.session.userId,
    visits: request.session.get("visits") ?? 0,
  }));
  app.post("/visit", { preHandler: requireCsrf() }, async (request, reply) => {
    const visits = Number(request.session.get("visits") ?? 0) + 1;
    request.session.set("visits", visits);
    reply.header("set-cookie", "app=1; Path=/");
    return { visits };
  });
  app.post<{ Body: { user: string } }>("/login", { preHandler: requireCsrf() }, async (request) => {
    request.session.login(request.body.user);
    return { userId: request.session.userId };
  });
  app.post("/logout", { preHandler: requireCsrf() }, async (request, reply) => {
    request.session.destroy();
    return reply.code(204).send();
  });
  app.post("/clear", { preHandler: requireCsrf() }, async (request, reply) => {
    request.session.clear();
    return reply.code(204).send();
  });
  app.post("/fail", { preHandler: requireCsrf() }, async (request) => {
    request.session.set("visits", 999);
    throw new Error("the handler failed");
  });
  const baseUrl = await app.listen({ port: 0, host: "127.0.0.1" });
  return { baseUrl, close: () => app.close() };
};

describeAppRoutes("fastify", fastifyApp);
