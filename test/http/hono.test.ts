import type { AddressInfo } from "node:net";
import { serve } from "@hono/node-server";
import { getConnInfo } from "@hono/node-server/conninfo";
import { Hono } from "hono";
import { type StintEnv, stintHono } from "stint/adapters/hono";
import type { Host } from "../support/api-target.js";
import { describeApi } from "./api.suite.js";

/** Hono 4 on Node through @hono/node-server, the client address from its ConnInfo helper. */
const honoHost: Host = async (stint) => {
  const app = new Hono<StintEnv>();
  app.use(stintHono(stint, { getConnInfo }));
  const { server, port } = await new Promise<{ server: ReturnType<typeof serve>; port: number }>((resolve) => {
    const server = serve({ fetch: app.fetch, port: 0, hostname: "127.0.0.1" }, (info: AddressInfo) =>
      resolve({ server, port: info.port }),
    );
  });
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    fetch: (request) => fetch(request),
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      if ("closeAllConnections" in server) server.closeAllConnections();
      await closed;
      await stint.close();
    },
  };
};

describeApi("hono", honoHost);
