/** `stint/adapters/fastify`: a Fastify 5 plugin, `request.session`, guards as `preHandler` hooks. */
export {
  requireCsrf,
  requireSession,
  type StintFastifyOptions,
  type StintSessionData,
  stintFastify,
} from "../http/adapters/fastify.js";
