import Fastify from "fastify";
import { stintFastify } from "stint/adapters/fastify";
import type { Host } from "../support/api-target.js";
import { describeApi } from "./api.suite.js";

/** Fastify 5 with its default parsers and body limit: the plugin keeps Stint's bodies for Stint. */
const fastifyHost: Host = async (stint) => {
  // Like the other hosts, close() ends keep-alive sockets too (undici may open one it never uses).
  const app = Fastify({ forceCloseConnections: true });
  await app.register(stintFastify, { stint });
  const baseUrl = await app.listen({ port: 0, host: "127.0.0.1" });
  return {
    baseUrl,
    fetch: (request) => fetch(request),
    async close() {
      await app.close();
      await stint.close();
    },
  };
};

describeApi("fastify", fastifyHost);
