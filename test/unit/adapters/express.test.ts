import type { AddressInfo } from "node:net";
import express from "express";
import { requireCsrf, requireSession, stintExpress } from "stint/adapters/express";
import { type AppHost, describeAppRoutes } from "./app-routes.suite.js";

const expressApp: AppHost = async (stint) => {
  const app = express();
  app.use(express.json(), express.urlencoded(), stintExpress(stint));
  // No route commits: the adapter commits before each answer's head goes out.
  app.get("/me", requireSession(), (req, res) => {
    res.json({ userId: req.session.userId, visits: req.session.get("visits") ?? 0 });
  });
  app.post("/visit", requireCsrf(), (req, res) => {
    const visits = Number(req.session.get("visits") ?? 0) + 1;
    req.session.set("visits", visits);
    res.cookie("app", "1");
    res.json({ visits });
  });
  app.post("/login", requireCsrf(), (req, res) => {
    req.session.login(String(req.body.user));
    res.json({ userId: req.session.userId });
  });
  app.post("/logout", requireCsrf(), (req, res) => {
    req.session.destroy();
    res.sendStatus(204);
  });
  app.post("/clear", requireCsrf(), (req, res) => {
    req.session.clear();
    res.sendStatus(204);
  });
  app.post("/fail", requireCsrf(), async (req) => {
    req.session.set("visits", 999);
    throw new Error("the handler failed");
  });
  // Silence Express's default error logging of the deliberate failure.
  app.use((_error: unknown, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
    res.sendStatus(500);
  });
  const server = app.listen(0, "127.0.0.1");
  await new Promise<void>((resolve, reject) => server.once("listening", resolve).once("error", reject));
  return {
    baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
    },
  };
};

describeAppRoutes("express", expressApp);
