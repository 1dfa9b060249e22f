/**
 * Stint on Express 5. Run: `node --import tsx examples/express.ts` (PORT, STINT_DB, STINT_SECRET).
 */
import type { AddressInfo } from "node:net";
import express from "express";
import { createStint } from "stint";
import { requireCsrf, requireSession, stintExpress } from "stint/adapters/express";
import { sqliteStore } from "stint/sqlite";

const store = sqliteStore({ path: process.env.STINT_DB ?? "./data/example.db" });
const stint = createStint({ store, secret: process.env.STINT_SECRET ?? "dev-only-secret-never-in-production-0123" });

const app = express();
// API.md's routes (/api/session, /api/sessions, …) and `req.session` everywhere else,
// committed before each answer's head goes out.
app.use(express.json(), stintExpress(stint));

// A demo sign-in that trusts any name: a real app checks a password first.
app.post("/login", requireCsrf(), (req, res) => {
  req.session.login(String(req.body?.name ?? "guest"));
  res.json({ user: req.session.userId });
});

app.get("/me", requireSession({ authenticated: true }), (req, res) => {
  res.json({ user: req.session.userId, state: req.session.state() });
});

app.post("/theme", requireSession(), requireCsrf(), (req, res) => {
  req.session.setState("theme", String(req.body?.theme ?? "light"));
  res.json({ state: req.session.state() });
});

const server = app.listen(Number(process.env.PORT ?? 3000), "127.0.0.1", () => {
  console.log(`listening on http://127.0.0.1:${(server.address() as AddressInfo).port}`);
});
