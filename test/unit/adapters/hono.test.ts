import type { AddressInfo } from "node:net";
import { serve } from "@hono/node-server";
import { getConnInfo } from "@hono/node-server/conninfo";
import { Hono } from "hono";
import { setCookie } from "hono/cookie";
import { requireCsrf, requireSession, type StintEnv, stintHono } from "../../../src/adapters/hono.js";
import { type AppHost, describeAppRoutes } from "./app-routes.suite.js";

const honoApp: AppHost = async (stint) => {
  const app = new Hono<StintEnv>();
  // Reads API bodies before Stint does, as a validator would: Stint must still get them.
  app.use("/api/*", async (c, next) => {
    const type = c.req.header("content-type") ?? "";
    if (type.startsWith("application/json")) await c.req.json().catch(() => null);
    if (type.startsWith("application/x-www-form-urlencoded")) await c.req.parseBody();
    await next();
  });
  app.use(stintHono(stint, { getConnInfo }));
  app.get("/me", requireSession(), (c) =>
    c.json({ userId: c.get("session").userId, visits: c.get("session").get("visits") ?? 0 }),
  );
  app.post("/visit", requireCsrf(), (c) => {
    const visits = Number(c.get("session").get("visits") ?? 0) + 1;
    c.get("session").set("visits", visits);
    setCookie(c, "app", "1");
    return c.json({ visits });
  });
  app.post("/login", requireCsrf(), async (c) => {
    const { user } = await c.req.json<{ user: string }>();
    c.get("session").login(user);
    return c.json({ userId: c.get("session").userId });
  });
  app.post("/logout", requireCsrf(), (c) => {
    c.get("session").destroy();
    return c.body(null, 204);
  });
  app.post("/clear", requireCsrf(), (c) => {
    c.get("session").clear();
    return c.body(null, 204);
  });
  app.post("/fail", requireCsrf(), (c) => {
    c.get("session").set("visits", 999);
    throw new Error("the handler failed");
  });
  app.onError((_error, c) => c.text("failed", 500));
  const { server, port } = await new Promise<{ server: ReturnType<typeof serve>; port: number }>((resolve) => {
    const server = serve({ fetch: app.fetch, port: 0, hostname: "127.0.0.1" }, (info: AddressInfo) =>
      resolve({ server, port: info.port }),
    );
  });
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    close: async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      if ("closeAllConnections" in server) server.closeAllConnections();
      await closed;
    },
  };
};

describeAppRoutes("hono", honoApp);
