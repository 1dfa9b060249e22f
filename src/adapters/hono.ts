/** `stint/adapters/hono`: Hono 4 middleware (any runtime), `c.get("session")`, guards. */
export {
  requireCsrf,
  requireSession,
  type StintEnv,
  type StintHonoOptions,
  type StintSessionData,
  stintHono,
} from "../http/adapters/hono.js";
