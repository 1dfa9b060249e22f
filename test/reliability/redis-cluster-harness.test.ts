import { existsSync } from "node:fs";
import { Cluster } from "ioredis";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { isRunning } from "../support/processes.js";
import { clusterSeeds, type RedisCluster, startRedisCluster } from "../support/redis-cluster.js";

/**
 * The Redis Cluster harness itself (issue 13): the tests of a clustered store stand on it, so
 * it must hand over a whole cluster, fail a master over like a crash would, and leave nothing
 * running behind.
 */

const clusterUrl = inject("redisClusterUrl");
const FAILOVER_MS = 60_000;

/** A client that never waits long for one command, as a test needs it. */
function connect(seeds: Array<{ host: string; port: number }>): Cluster {
  const client = new Cluster(seeds, { redisOptions: { connectTimeout: 2_000 } });
  client.on("error", () => {});
  return client;
}

/** Keys spread over all 16384 slots (no hash tags). */
const keys = (prefix: string, count: number) => Array.from({ length: count }, (_, i) => `${prefix}:${i}`);

describe.skipIf(!clusterUrl)("Redis Cluster test harness", () => {
  describe("the run's cluster (global setup)", () => {
    let client: Cluster;
    beforeAll(() => {
      client = connect(clusterSeeds(clusterUrl));
    });
    afterAll(() => client?.quit());

    it("holds keys on every master through ioredis' Cluster client", async () => {
      const prefix = `harness:${process.pid}:${Date.now()}`;
      const mine = keys(prefix, 60);
      for (const key of mine) await client.set(key, `value of ${key}`, "EX", 60);
      for (const key of mine) expect(await client.get(key)).toBe(`value of ${key}`);
      // KEYS on one node lists only the keys that node holds.
      const masters = client.nodes("master");
      const held = await Promise.all(masters.map(async (node) => (await node.keys(`${prefix}:*`)).length));
      expect(masters.length).toBeGreaterThanOrEqual(3);
      for (const count of held) expect(count).toBeGreaterThan(0);
      expect(held.reduce((sum, count) => sum + count, 0)).toBe(mine.length);
    });
  });

  describe("a cluster of its own, failed over", () => {
    let cluster: RedisCluster;
    let client: Cluster;
    let pids: number[] = [];

    beforeAll(async () => {
      cluster = await startRedisCluster();
      pids = (await cluster.nodes()).map((node) => node.pid);
      client = connect(clusterSeeds(cluster.url));
    });
    afterAll(async () => {
      client?.disconnect();
      await cluster?.dispose();
    });

    it("is three masters with one replica each over all 16384 slots", async () => {
      expect(cluster.url).toBe(`redis+cluster://${cluster.seeds.join(",")}`);
      const nodes = await cluster.nodes();
      const masters = nodes.filter((node) => node.role === "master");
      const replicas = nodes.filter((node) => node.role === "replica");
      expect(masters).toHaveLength(3);
      expect(replicas).toHaveLength(3);
      expect(new Set(replicas.map((node) => node.masterId))).toEqual(new Set(masters.map((node) => node.id)));
      const slots = masters.flatMap((node) => node.slots).reduce((sum, [from, to]) => sum + to - from + 1, 0);
      expect(slots).toBe(16_384);
      for (const node of nodes) expect(isRunning(node.pid)).toBe(true);
    });

    it(
      "promotes the replica of a SIGKILLed master, and keeps every write a replica acknowledged",
      async () => {
        const written = keys("acknowledged", 60);
        for (const key of written) {
          // The pipeline goes to the key's master, so WAIT counts that master's replicas.
          const [, wait] = (await client.pipeline().set(key, key).call("WAIT", 1, 5_000).exec()) ?? [];
          expect(wait?.[1]).toBe(1);
        }
        const victim = await cluster.masterFor(written[0] as string);
        const replica = (await cluster.nodes()).find((node) => node.masterId === victim.id);

        const killed = await cluster.killMaster({ key: written[0] as string });
        expect(killed.port).toBe(victim.port);
        expect(isRunning(victim.pid)).toBe(false);
        const promoted = await cluster.waitForFailover(FAILOVER_MS);

        expect(promoted.id).toBe(replica?.id);
        expect(promoted.role).toBe("master");
        expect(await cluster.masterFor(written[0] as string)).toMatchObject({ id: replica?.id });
        for (const key of written) expect(await client.get(key)).toBe(key);
      },
      FAILOVER_MS * 2,
    );

    it(
      "brings a killed master back as a replica of the one that took over",
      async () => {
        const old = (await cluster.nodes()).find((node) => node.pid === 0);
        expect(old).toBeDefined();
        await cluster.restartNode(old?.port as number);
        const nodes = await cluster.nodes();
        const back = nodes.find((node) => node.port === old?.port);
        expect(back?.role).toBe("replica");
        expect(isRunning(back?.pid as number)).toBe(true);
        expect(nodes.find((node) => node.id === back?.masterId)?.role).toBe("master");
      },
      FAILOVER_MS,
    );

    it("stops every node and deletes their directories on dispose", async () => {
      pids.push(...(await cluster.nodes()).map((node) => node.pid));
      client.disconnect();
      await cluster.dispose();
      for (const pid of pids) expect(isRunning(pid)).toBe(false);
      expect(existsSync(cluster.dir)).toBe(false);
    });
  });
});
