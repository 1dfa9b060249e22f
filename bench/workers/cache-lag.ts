/**
 * The other process of the cache-lag scenario: Stint on the shared store (its cache on, as
 * by default), serving API.md over node:http. Sends `{ ready: url }`; stops on "stop".
 */
import { createStint, type Store } from "stint";
import { serve } from "stint/adapters/node";
import { postgresStore } from "stint/postgres";
import { redisStore } from "stint/redis";
import { workerInput } from "../lib/worker.js";
import { SECRET } from "../servers/common.js";

export interface LagInput {
  store: "redis" | "postgres";
  url: string;
  /** Key prefix (Redis) or table (PostgreSQL) the parent uses too. */
  name: string;
}

const input = workerInput<LagInput>();
const store: Store =
  input.store === "redis"
    ? redisStore({ url: input.url, prefix: `${input.name}:` })
    : postgresStore({ url: input.url, table: input.name });
const stint = createStint({ store, secret: SECRET, cleanupInterval: 0 });
const running = await serve(stint, { port: 0 });
process.on("message", (message) => {
  if (message === "stop") running.close().finally(() => process.exit(0));
});
process.on("disconnect", () => process.exit(0));
process.send?.({ ready: running.url });
