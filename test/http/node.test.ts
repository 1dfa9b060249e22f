import { serve } from "stint/adapters/node";
import type { Host } from "../support/api-target.js";
import { describeApi } from "./api.suite.js";

const nodeHost: Host = async (stint) => {
  const server = await serve(stint, { port: 0, host: "127.0.0.1" });
  return { baseUrl: server.url, fetch: (request) => fetch(request), close: () => server.close() };
};

describeApi("node:http", nodeHost);
