import Koa from "koa";
import { stintKoa } from "stint/adapters/koa";
import { bodyParser } from "../fixtures/koa/body-parser.js";
import { listen } from "../fixtures/koa/serve.js";
import type { Host } from "../support/api-target.js";
import { describeApi } from "./api.suite.js";

/** Koa 3 behind a body parser: Stint's routes see an already consumed body. */
const koaHost: Host = async (stint) => {
  const app = new Koa();
  app.use(bodyParser());
  app.use(stintKoa(stint));
  const server = await listen(app);
  return {
    baseUrl: server.baseUrl,
    fetch: (request) => fetch(request),
    async close() {
      await server.close();
      await stint.close();
    },
  };
};

describeApi("koa", koaHost);
