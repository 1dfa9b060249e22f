/** `stint/adapters/express`: Express 5 middleware, `req.session`, guards. */
export {
  commitSession,
  requireCsrf,
  requireSession,
  type StintSessionData,
  stintExpress,
} from "../http/adapters/express.js";
