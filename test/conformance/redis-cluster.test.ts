import { randomUUID } from "node:crypto";
import { Cluster } from "ioredis";
import { redisStore } from "stint/redis";
import { describeStore } from "stint/testing";
import { afterAll, describe, inject } from "vitest";
import { clusterSeeds } from "../support/redis-cluster.js";

const url = inject("redisClusterUrl");
// One client for the file, given to each store; each test gets its own key prefix, deleted after it.
const client = url ? new Cluster(clusterSeeds(url), { redisOptions: { connectTimeout: 2_000 } }) : undefined;
client?.on("error", () => {});
const run = randomUUID().slice(0, 8);
let stores = 0;

afterAll(async () => {
  await client?.quit();
});

/** Every key of a prefix, on every master (KEYS on a node lists the keys it holds). */
async function deleteKeys(cluster: Cluster, prefix: string): Promise<void> {
  for (const node of cluster.nodes("master")) {
    const keys = await node.keys(`${prefix}*`);
    // One key per command: keys of several slots cannot share one.
    if (keys.length > 0) await Promise.all(keys.map((key) => node.unlink(key)));
  }
}

describe.skipIf(!client)("redis cluster (needs redis-server)", () => {
  describeStore(
    "redis cluster, sharded",
    () => redisStore({ cluster: client as Cluster, prefix: `test:${run}:${++stores}:` }),
    { cleanup: () => deleteKeys(client as Cluster, `test:${run}:${stores}:`) },
  );
});

describe.skipIf(!url)("redis cluster from its URL (needs redis-server)", () => {
  describeStore("redis+cluster:// URL", () => redisStore({ url, prefix: `test:${run}:${++stores}:` }), {
    cleanup: () => deleteKeys(client as Cluster, `test:${run}:${stores}:`),
  });
});
