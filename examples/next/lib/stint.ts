import { createStint } from "stint";
import { stintNext } from "stint/adapters/next";
import { sqliteStore } from "stint/sqlite";

const store = sqliteStore({ path: process.env.STINT_DB ?? "./data/example.db" });
const stint = createStint({ store, secret: process.env.STINT_SECRET ?? "dev-only-secret-never-in-production-0123" });

export const { api, route, getSession, commitSession } = stintNext(stint);
