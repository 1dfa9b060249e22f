import { createStint } from "stint";
import { stintHandle } from "stint/adapters/sveltekit";
import { sqliteStore } from "stint/sqlite";

const store = sqliteStore({ path: process.env.STINT_DB ?? "./data/example.db" });
const stint = createStint({ store, secret: process.env.STINT_SECRET ?? "dev-only-secret-never-in-production-0123" });

// API.md's routes (/api/session, /api/sessions, …) and event.locals.session everywhere else,
// committed before each answer goes out.
export const handle = stintHandle(stint);
