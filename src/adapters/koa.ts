/** `stint/adapters/koa`: Koa 3 middleware, `ctx.session`, guards. */
export { requireCsrf, requireSession, type StintSessionData, stintKoa } from "../http/adapters/koa.js";
