import type { Route } from "../context.js";
import { json } from "../json.js";

export const health: Route = {
  method: "GET",
  path: "/api/health",
  session: "none",
  run: async ({ services }) => {
    const report = await services.health();
    return json(report, report.status === "unavailable" ? 503 : 200);
  },
};

export const metrics: Route = {
  method: "GET",
  path: "/metrics",
  session: "none",
  run: async ({ services }) => {
    const { contentType, body } = await services.metricsText();
    return new Response(body, { headers: { "content-type": contentType, "cache-control": "no-store" } });
  },
};
