/**
 * One benchmark server per process, so its CPU is measured apart from the load generator.
 * argv[2] is the variant (JSON); BENCH_REDIS_URL, BENCH_REDIS_CLUSTER_URL and BENCH_POSTGRES_URL name the throwaway
 * servers. Sends `{ ready: port }`, answers `{ type: "stats", id }` with its CPU time and
 * store calls, and `{ type: "stop" }` by closing and exiting.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { RunningVariant, VariantContext, VariantSpec } from "./common.js";

async function start(context: VariantContext): Promise<RunningVariant> {
  const { framework, session } = context.spec;
  switch (`${framework}:${session}`) {
    case "node:none":
      return (await import("./node.js")).startNone();
    case "node:stint":
      return (await import("./node.js")).startStint(context);
    case "node:floor":
      return (await import("./floor.js")).startFloor(context);
    case "node:iron-session":
      return (await import("./iron-session.js")).startIronSession();
    case "express:none":
      return (await import("./express.js")).startNone();
    case "express:stint":
      return (await import("./express.js")).startStint(context);
    case "express:express-session":
      return (await import("./express-session.js")).startExpressSession(context);
    case "fastify:none":
      return (await import("./fastify.js")).startNone();
    case "fastify:stint":
      return (await import("./fastify.js")).startStint(context);
    case "fastify:fastify-session":
      return (await import("./fastify-session.js")).startFastifySession();
    case "hono:none":
      return (await import("./hono.js")).startNone();
    case "hono:stint":
      return (await import("./hono.js")).startStint(context);
    case "hono:hono-sessions":
      return (await import("./hono-sessions.js")).startHonoSessions();
    default:
      throw new Error(`No benchmark server for ${framework}:${session}`);
  }
}

async function main() {
  const spec = JSON.parse(process.argv[2] ?? "{}") as VariantSpec;
  const running = await start({
    spec,
    redisUrl: process.env.BENCH_REDIS_URL,
    redisClusterUrl: process.env.BENCH_REDIS_CLUSTER_URL,
    postgresUrl: process.env.BENCH_POSTGRES_URL,
    dir: mkdtempSync(join(tmpdir(), "stint-bench-")),
  });
  process.on("message", (message: { type?: string; id?: number }) => {
    if (message.type === "stats") {
      const cpu = process.cpuUsage();
      const counters = running.counters;
      process.send?.({
        type: "stats",
        id: message.id,
        stats: { cpuMicros: cpu.user + cpu.system, calls: counters.calls(), writes: counters.writes() },
      });
    } else if (message.type === "stop") {
      running.close().finally(() => process.exit(0));
    }
  });
  // The parent went away (a failed run, ^C): do not linger.
  process.on("disconnect", () => process.exit(0));
  process.send?.({ ready: running.port });
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
