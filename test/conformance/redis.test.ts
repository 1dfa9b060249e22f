import { randomUUID } from "node:crypto";
import { Redis } from "ioredis";
import { redisStore } from "stint/redis";
import { describeStore } from "stint/testing";
import { afterAll, describe, inject } from "vitest";

const url = inject("redisUrl");
// One client for the file; each test gets its own key prefix, deleted after the test.
const client = url ? new Redis(url, { maxRetriesPerRequest: 1 }) : undefined;
client?.on("error", () => {});
const run = randomUUID().slice(0, 8);
let stores = 0;

afterAll(async () => {
  await client?.quit();
});

describe.skipIf(!client)("redis (needs redis-server)", () => {
  describeStore("redis", () => redisStore({ client: client as Redis, prefix: `test:${run}:${++stores}:` }), {
    cleanup: async () => {
      const keys = await (client as Redis).keys(`{test:${run}:${stores}:}*`);
      if (keys.length > 0) await (client as Redis).unlink(...keys);
    },
  });
});
