import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import { Redis } from "ioredis";
import {
  findOnPath,
  freePort,
  type RedisServer,
  removeTemporaryDir,
  ServiceMissingError,
  startRedis,
  temporaryDir,
  waitFor,
} from "./services.js";

/**
 * A throwaway Redis Cluster for tests: six `redis-server --cluster-enabled yes` on loopback,
 * joined by `redis-cli --cluster create` into three masters with one replica each.
 */

const run = promisify(execFile);
const HOST = "127.0.0.1";
const SLOTS = 16_384;

export interface RedisClusterOptions {
  /** How long a node may be silent before it is failed over (default 1500 ms, as a crash is meant to be quick). */
  nodeTimeoutMs?: number;
  appendonly?: boolean;
  /** More redis-server arguments for every node, e.g. ["--cluster-require-full-coverage", "no"]. */
  args?: string[];
  /** For cluster create and for the cluster to settle (default 60 s: the machine may be loaded). */
  timeoutMs?: number;
}

export interface ClusterNode {
  id: string;
  port: number;
  role: "master" | "replica";
  /** The id of the master a replica follows. */
  masterId: string | undefined;
  /** Inclusive slot ranges served by a master. */
  slots: Array<[number, number]>;
  /** Other CLUSTER NODES flags: "fail", "fail?", "handshake", "noaddr", "nofailover". */
  flags: string[];
  /** The redis-server's pid, 0 while this harness has it down. */
  pid: number;
}

export interface RedisCluster {
  /** "127.0.0.1:port" of every node. */
  seeds: string[];
  /** `redis+cluster://127.0.0.1:p1,127.0.0.1:p2,…` (API.md's store URL). */
  url: string;
  /** Holds a directory per node; deleted by dispose. */
  dir: string;
  /** Every node as the first running node sees it (views differ while a failover is under way). */
  nodes(): Promise<ClusterNode[]>;
  masterForSlot(slot: number): Promise<ClusterNode>;
  /** The master serving `key`'s slot (asked of the cluster: CLUSTER KEYSLOT). */
  masterFor(key: string): Promise<ClusterNode>;
  /** SIGKILLs a master, as a crash: the one serving `key`, the one on `port`, or masters[index] by slot order (default 0). */
  killMaster(target?: { key: string } | { port: number } | { index: number }): Promise<ClusterNode>;
  /** SIGKILL of any node (a replica too), as a crash; the harness then knows it is down. */
  killNode(port: number): Promise<void>;
  /**
   * Until a replica of the last killed master serves its slots and every running node says
   * cluster_state:ok; returns the promoted node.
   */
  waitForFailover(timeoutMs?: number): Promise<ClusterNode>;
  /** Starts a stopped node again on its port and directory; it rejoins (a failed-over master as a replica). */
  restartNode(port: number): Promise<void>;
  /** Until every running node says the cluster is whole and every running replica is in sync. */
  waitUntilHealthy(timeoutMs?: number): Promise<void>;
  /** Stops every node and deletes their directories. */
  dispose(): Promise<void>;
}

/** The seeds of a `redis+cluster://` URL, as ioredis' Cluster takes them. */
export function clusterSeeds(url: string): Array<{ host: string; port: number }> {
  const list = url.replace(/^redis\+cluster:\/\//, "").split("/")[0] ?? "";
  return list.split(",").map((seed) => {
    const at = seed.lastIndexOf(":");
    return { host: seed.slice(0, at), port: Number(seed.slice(at + 1)) };
  });
}

export async function startRedisCluster(options: RedisClusterOptions = {}): Promise<RedisCluster> {
  const cli = findOnPath("redis-cli");
  if (!cli) throw new ServiceMissingError("redis-cli is not installed (apt-get install redis-tools).");
  const timeoutMs = options.timeoutMs ?? 60_000;
  const root = temporaryDir("stint-cluster-");
  const servers = new Map<number, RedisServer>();
  let seeds: string[] = [];
  let lastKilled: ClusterNode | undefined;

  const clusterArgs = [
    "--cluster-enabled",
    "yes",
    "--cluster-config-file",
    "nodes.conf",
    "--cluster-node-timeout",
    String(options.nodeTimeoutMs ?? 1_500),
    // A master otherwise waits 5 s for more replicas before the first full sync.
    "--repl-diskless-sync-delay",
    "0",
    ...(options.args ?? []),
  ];
  const dispose = async () => {
    // SIGKILL: a SIGTERMed master may wait for its replicas (shutdown-timeout), and the data goes anyway.
    await Promise.allSettled([...servers.values()].map((server) => server.kill()));
    removeTemporaryDir(root);
  };

  const running = () => [...servers.values()].filter((server) => server.pid !== 0);
  const withPids = (nodes: ClusterNode[]) => nodes.map((node) => ({ ...node, pid: servers.get(node.port)?.pid ?? 0 }));
  const nodes = async (): Promise<ClusterNode[]> => {
    let lastError: unknown;
    for (const server of running()) {
      try {
        return withPids(parseClusterNodes(String(await ask(server.port, "CLUSTER", "NODES"))));
      } catch (error) {
        lastError = error;
      }
    }
    throw new Error(`no node answered CLUSTER NODES: ${(lastError as Error | undefined)?.message}`);
  };
  const masterForSlot = async (slot: number) => {
    const master = (await nodes()).find((node) => node.role === "master" && serves(node, slot));
    if (!master) throw new Error(`no master serves slot ${slot}`);
    return master;
  };
  const masterFor = async (key: string) =>
    masterForSlot(Number(await ask(running()[0]?.port ?? 0, "CLUSTER", "KEYSLOT", key)));

  /** Is the cluster whole as every running node sees it? Failing that, why not. */
  const health = async (): Promise<string | undefined> => {
    const live = new Set(running().map((server) => server.port));
    let agreed: string | undefined;
    for (const port of live) {
      const [info, view, replication] = await Promise.all([
        ask(port, "CLUSTER", "INFO"),
        ask(port, "CLUSTER", "NODES"),
        ask(port, "INFO", "replication"),
      ]).catch((error: Error) => [error.message, "", ""]);
      if (!String(info).includes("cluster_state:ok")) return `${port}: ${String(info).split("\r\n")[0]}`;
      const seen = parseClusterNodes(String(view));
      const owners = seen.filter((node) => node.slots.length > 0);
      const covered = owners.reduce((sum, node) => sum + slotCount(node), 0);
      if (covered !== SLOTS) return `${port}: ${covered} slots covered`;
      const stale = owners.find((node) => !live.has(node.port));
      if (stale) return `${port}: the stopped ${stale.port} still serves slots`;
      // A restarted master that lost its slots is a master of none for a moment, then a replica.
      const idle = seen.find((node) => node.role === "master" && node.slots.length === 0 && live.has(node.port));
      if (idle) return `${port}: ${idle.port} is a master without slots`;
      // Roles spread by gossip, and a restarted node believes its old slots are its own
      // until it hears otherwise: every node must see the same masters, replicas and slots.
      const map = seen
        .map((node) => `${node.id} ${node.role} ${node.masterId} ${node.slots.join(" ")}`)
        .sort()
        .join("\n");
      if ((agreed ??= map) !== map) return `${port}: sees other roles or slot owners than the rest`;
      const text = String(replication);
      if (text.includes("role:slave") && !text.includes("master_link_status:up")) return `${port}: replica not in sync`;
    }
    return undefined;
  };
  const waitUntilHealthy = async (within = timeoutMs) => {
    let why: string | undefined = "not asked yet";
    await waitFor(async () => (why = await health()) === undefined, within, { intervalMs: 200 }).catch(() => {
      throw new Error(`the cluster did not settle within ${within} ms: ${why}`);
    });
  };

  try {
    const started = await Promise.allSettled(
      Array.from({ length: 6 }, (_, index) =>
        startRedis({
          dir: join(root, `node-${index}`),
          appendonly: options.appendonly,
          // The bus port is named, not data port + 10000, which may be past 65535 or taken.
          args: async () => [...clusterArgs, "--cluster-port", String(await freePort())],
        }),
      ),
    );
    for (const result of started) if (result.status === "fulfilled") servers.set(result.value.port, result.value);
    const failure = started.find((result) => result.status === "rejected");
    if (failure) throw failure.reason;
    seeds = [...servers.keys()].map((port) => `${HOST}:${port}`);
    await run(cli, ["--cluster", "create", ...seeds, "--cluster-replicas", "1", "--cluster-yes"], {
      timeout: timeoutMs,
    }).catch((error: { stdout?: string; stderr?: string; message: string }) => {
      const output = (error.stderr || error.stdout || error.message).replace(/\x1b\[[0-9;]*m/g, "");
      throw new Error(`redis-cli --cluster create failed: ${output.trim()}`);
    });
    await waitUntilHealthy();
  } catch (error) {
    await dispose();
    throw error;
  }

  return {
    seeds,
    url: `redis+cluster://${seeds.join(",")}`,
    dir: root,
    nodes,
    masterForSlot,
    masterFor,
    async killMaster(target = { index: 0 }) {
      const masters = (await nodes())
        .filter((node) => node.role === "master" && node.slots.length > 0)
        .sort((a, b) => (a.slots[0]?.[0] ?? 0) - (b.slots[0]?.[0] ?? 0));
      const victim =
        "key" in target
          ? await masterFor(target.key)
          : "port" in target
            ? masters.find((node) => node.port === target.port)
            : masters[target.index];
      const server = victim && servers.get(victim.port);
      if (!victim || !server || victim.role !== "master")
        throw new Error(`no running master for ${JSON.stringify(target)}`);
      await server.kill();
      lastKilled = victim;
      return { ...victim, pid: 0 };
    },
    async killNode(port) {
      const server = servers.get(port);
      if (!server) throw new Error(`no node on port ${port}`);
      await server.kill();
    },
    async waitForFailover(within = timeoutMs) {
      const killed = lastKilled;
      if (!killed) throw new Error("no master was killed");
      await waitUntilHealthy(within);
      const promoted = await masterForSlot(killed.slots[0]?.[0] ?? 0);
      if (promoted.port === killed.port) throw new Error(`${killed.port} serves its slots again: it was restarted`);
      return promoted;
    },
    async restartNode(port) {
      const server = servers.get(port);
      if (!server) throw new Error(`no node on ${port}`);
      await server.restart();
      await waitUntilHealthy();
    },
    waitUntilHealthy,
    dispose,
  };
}

/** One command to one node, on a connection of its own that never retries. */
async function ask(port: number, ...args: string[]): Promise<unknown> {
  const client = new Redis({
    host: HOST,
    port,
    lazyConnect: true,
    connectTimeout: 2_000,
    commandTimeout: 5_000,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  client.on("error", () => {});
  try {
    await client.connect();
    return await client.call(args[0] as string, ...args.slice(1));
  } finally {
    client.disconnect();
  }
}

/** CLUSTER NODES: `id ip:port@cport[,hostname] flags master ping pong epoch link slot…` a line. */
function parseClusterNodes(text: string): ClusterNode[] {
  return text
    .split("\n")
    .filter((line) => line.trim() !== "")
    .map((line) => {
      const [id = "", address = "", flags = "", master = "-", , , , , ...slots] = line.trim().split(" ");
      const flagList = flags.split(",");
      return {
        id,
        port: Number(address.split("@")[0]?.split(":").pop()),
        role: flagList.includes("master") ? "master" : "replica",
        masterId: master === "-" ? undefined : master,
        // "[slot->-id]" / "[slot-<-id]" mark a migration under way, not a range served.
        slots: slots
          .filter((slot) => !slot.startsWith("["))
          .map((slot) => {
            const [from, to = from] = slot.split("-").map(Number) as [number, number?];
            return [from, to] as [number, number];
          }),
        flags: flagList.filter((flag) => !["myself", "master", "slave"].includes(flag)),
        pid: 0,
      };
    });
}

function serves(node: ClusterNode, slot: number): boolean {
  return node.slots.some(([from, to]) => slot >= from && slot <= to);
}

function slotCount(node: ClusterNode): number {
  return node.slots.reduce((sum, [from, to]) => sum + to - from + 1, 0);
}
