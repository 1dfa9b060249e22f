/**
 * Stint on Express 5. Run: `node --import tsx examples/express.ts` (PORT, STINT_STORE, STINT_SECRET).
 * In an app, import from "stint" and "stint/adapters/express".
 */
import type { AddressInfo } from "node:net";
import express from "express";
import { commitSession, requireCsrf, requireSession, stintExpress } from "../src/adapters/express.js";
import { createStint, openStoreUrl } from "../src/index.js";

const { store } = await openStoreUrl(process.env.STINT_STORE ?? "sqlite:./data/example.db");
const stint = createStint({ store, secret: process.env.STINT_SECRET ?? "dev-only-secret-never-in-production-0123" });

const app = express();
// API.md's routes (/api/session, /api/sessions, …) and `req.session` everywhere else.
app.use(express.json(), stintExpress(stint));

// A demo sign-in that trusts any name: a real app checks a password first.
app.post("/login", requireCsrf(), async (req, res) => {
  req.session.login(String(req.body?.name ?? "guest"));
  // Express has no hook before the head is written: commit, then answer.
  await commitSession(req, res);
  res.json({ user: req.session.userId });
});

app.get("/me", requireSession({ authenticated: true }), async (req, res) => {
  await commitSession(req, res); // counts as activity
  res.json({ user: req.session.userId, state: req.session.state() });
});

app.post("/theme", requireSession(), requireCsrf(), async (req, res) => {
  req.session.setState("theme", String(req.body?.theme ?? "light"));
  await commitSession(req, res);
  res.json({ state: req.session.state() });
});

const server = app.listen(Number(process.env.PORT ?? 3000), "127.0.0.1", () => {
  console.log(`listening on http://127.0.0.1:${(server.address() as AddressInfo).port}`);
});
