import type { AddressInfo } from "node:net";
import express from "express";
import { stintExpress } from "stint/adapters/express";
import type { Host } from "../support/api-target.js";
import { describeApi } from "./api.suite.js";

/** Express 5 with its body parsers mounted first: Stint's routes see an already consumed body. */
const expressHost: Host = async (stint) => {
  const app = express();
  app.use(express.json(), express.urlencoded());
  app.use(stintExpress(stint));
  const server = app.listen(0, "127.0.0.1");
  await new Promise<void>((resolve, reject) => server.once("listening", resolve).once("error", reject));
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    fetch: (request) => fetch(request),
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
      await stint.close();
    },
  };
};

describeApi("express", expressHost);
