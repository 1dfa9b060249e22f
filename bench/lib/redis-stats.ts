/** Commands a Redis server (or every master of a cluster) has executed, by name, from `INFO commandstats`. */
import { Redis } from "ioredis";

export type CommandCounts = Record<string, number>;

export class RedisCommandStats {
  readonly #clients: Redis[];
  /** One URL per server counted: a single Redis, or each master of a cluster. */
  constructor(urls: string | readonly string[]) {
    this.#clients = (typeof urls === "string" ? [urls] : urls).map(
      (url) => new Redis(url, { lazyConnect: false, maxRetriesPerRequest: 1 }),
    );
  }

  /** The counts summed over every server. */
  async snapshot(): Promise<CommandCounts> {
    const total: CommandCounts = {};
    for (const counts of await this.snapshotEach()) {
      for (const [name, calls] of Object.entries(counts)) total[name] = (total[name] ?? 0) + calls;
    }
    return total;
  }

  /** The counts of each server, in the order of the URLs. */
  snapshotEach(): Promise<CommandCounts[]> {
    return Promise.all(this.#clients.map(async (client) => parse(await client.info("commandstats"))));
  }

  async close(): Promise<void> {
    await Promise.all(this.#clients.map((client) => client.quit().catch(() => client.disconnect())));
  }
}

function parse(text: string): CommandCounts {
  const counts: CommandCounts = {};
  for (const line of text.split("\n")) {
    const match = /^cmdstat_([^:]+):calls=(\d+)/.exec(line.trim());
    if (match?.[1]) counts[match[1]] = Number(match[2]);
  }
  return counts;
}

/** What ran between two snapshots, without the INFO calls of the measurement itself. */
export function commandDelta(before: CommandCounts, after: CommandCounts): CommandCounts {
  const delta: CommandCounts = {};
  for (const [name, calls] of Object.entries(after)) {
    if (name === "info") continue;
    const ran = calls - (before[name] ?? 0);
    if (ran > 0) delta[name] = ran;
  }
  return delta;
}

export const totalCommands = (counts: CommandCounts): number => Object.values(counts).reduce((a, b) => a + b, 0);
