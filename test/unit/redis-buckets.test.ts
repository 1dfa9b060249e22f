import { randomBytes } from "node:crypto";
import { Cluster } from "ioredis";
import { describe, expect, inject, it } from "vitest";
import { redact } from "../../src/stores/from-url.js";
import { BUCKETS, bucketOfId, bucketOfUser, bucketTag, idInBucket, slotOfTag } from "../../src/stores/redis-buckets.js";
import { parseClusterUrl, promotableReplicas } from "../../src/stores/redis-cluster.js";
import { clusterSeeds } from "../support/redis-cluster.js";

/** Characters an id may hold, and some it may not (the store takes any string as an id). */
const ALPHABET = "-_0123456789AZaz!~{}. é\u0000\uffff";
const randomString = () =>
  Array.from(
    { length: Math.floor(Math.random() * 6) },
    () => ALPHABET[Math.floor(Math.random() * ALPHABET.length)],
  ).join("");
/** Byte order, as Redis sorts members of equal score (ZRANGEBYLEX). */
const byteOrder = (a: string, b: string) => Buffer.compare(Buffer.from(a), Buffer.from(b));

describe("buckets of the sharded Redis layout", () => {
  it("give every bucket a hash tag in its own 16 slots, as Redis Cluster computes slots", async (context) => {
    const tags = Array.from({ length: BUCKETS }, (_, bucket) => bucketTag(bucket));
    expect(new Set(tags).size).toBe(BUCKETS);
    for (const [bucket, tag] of tags.entries()) expect(slotOfTag(tag) >> 4).toBe(bucket);
    const url = inject("redisClusterUrl");
    if (!url) return context.skip();
    const cluster = new Cluster(clusterSeeds(url));
    try {
      for (const tag of tags.slice(0, 64)) {
        expect(await cluster.call("CLUSTER", "KEYSLOT", `stint:{${tag}}s:x`)).toBe(slotOfTag(tag));
      }
    } finally {
      await cluster.quit();
    }
  });

  it("never put a later id (byte order) in an earlier bucket, whatever the characters", () => {
    for (let i = 0; i < 50_000; i++) {
      const [a, b] = [randomString(), randomString()].sort(byteOrder) as [string, string];
      expect(bucketOfId(a), `${JSON.stringify(a)} ≤ ${JSON.stringify(b)}`).toBeLessThanOrEqual(bucketOfId(b));
    }
    expect(bucketOfId("")).toBe(0);
    expect(bucketOfId("~")).toBe(BUCKETS - 1);
  });

  it("mint 22-character ids in the bucket asked, keeping 118 random bits", () => {
    const seen = new Set<string>();
    for (let i = 0; i < 5_000; i++) {
      const bucket = i % BUCKETS;
      const id = idInBucket(randomBytes(16).toString("base64url"), bucket);
      expect(id).toMatch(/^[A-Za-z0-9_-]{22}$/);
      expect(bucketOfId(id)).toBe(bucket);
      seen.add(id.slice(1));
    }
    expect(seen.size).toBe(5_000);
  });

  it("place users by a keyed hash: the same user always together, the users spread", () => {
    expect(bucketOfUser("k", "alice")).toBe(bucketOfUser("k", "alice"));
    const buckets = new Set(Array.from({ length: 2_000 }, (_, i) => bucketOfUser("k", `user${i}`)));
    expect(buckets.size).toBeGreaterThan(800);
    const moved = Array.from({ length: 100 }, (_, i) => `user${i}`).filter(
      (user) => bucketOfUser("k", user) !== bucketOfUser("another key", user),
    );
    expect(moved.length).toBeGreaterThan(90);
  });
});

describe("redis+cluster:// URLs", () => {
  it("name seed nodes and AUTH, and refuse a database or options", () => {
    expect(parseClusterUrl("redis+cluster://10.0.0.1:7000,10.0.0.2:7001")).toEqual({
      seeds: [
        { host: "10.0.0.1", port: 7000 },
        { host: "10.0.0.2", port: 7001 },
      ],
      username: undefined,
      password: undefined,
    });
    expect(parseClusterUrl("redis+cluster://app:p%40ss@[::1]:7000/")).toEqual({
      seeds: [{ host: "::1", port: 7000 }],
      username: "app",
      password: "p@ss",
    });
    expect(parseClusterUrl("redis+cluster://:secret@h:1").password).toBe("secret");
    for (const bad of ["redis+cluster://h:1/0", "redis+cluster://h:1?tls=1", "redis+cluster://h", "redis+cluster://"]) {
      expect(() => parseClusterUrl(bad), bad).toThrow(TypeError);
    }
  });

  it("never print a password, with or without a user name", () => {
    expect(redact("redis+cluster://app:secret@h:1,h:2")).toBe("redis+cluster://app:***@h:1,h:2");
    expect(redact("redis+cluster://:secret@h:1,h:2")).toBe("redis+cluster://:***@h:1,h:2");
    expect(redact("redis://:secret@h:1/0")).toBe("redis://:***@h:1/0");
    expect(redact("redis+cluster://h:1,h:2")).toBe("redis+cluster://h:1,h:2");
  });
});

describe("replicas a failover could promote (CLUSTER NODES)", () => {
  const view = (replicaFlags: string) =>
    [
      "aaa 127.0.0.1:7000@17000 myself,master - 0 0 1 connected 0-5460",
      "bbb 127.0.0.1:7001@17001 master - 0 0 2 connected 5461-10922",
      "ccc 127.0.0.1:7002@17002 master,fail - 0 0 3 disconnected",
      "ddd 127.0.0.1:7003@17003 master - 0 0 7 connected 10923-16383",
      `eee 127.0.0.1:7004@17004 ${replicaFlags} aaa 0 0 1 connected`,
      "fff 127.0.0.1:7005@17005 slave bbb 0 0 2 connected",
    ].join("\n");

  it("count the slot owner's replicas that are not failed", () => {
    expect(promotableReplicas(view("slave"), 0)).toBe(1);
    expect(promotableReplicas(view("slave,fail?"), 100)).toBe(1);
    expect(promotableReplicas(view("slave,fail"), 5460)).toBe(0);
    expect(promotableReplicas(view("slave"), 6000)).toBe(1);
    // The promoted master of a failed one: no replica until the old master rejoins.
    expect(promotableReplicas(view("slave"), 16383)).toBe(0);
  });
});
