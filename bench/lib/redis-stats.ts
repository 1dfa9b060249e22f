/** Commands a Redis server has executed, by name, from `INFO commandstats`. */
import { Redis } from "ioredis";

export type CommandCounts = Record<string, number>;

export class RedisCommandStats {
  readonly #client: Redis;
  constructor(url: string) {
    this.#client = new Redis(url, { lazyConnect: false, maxRetriesPerRequest: 1 });
  }

  async snapshot(): Promise<CommandCounts> {
    const text = await this.#client.info("commandstats");
    const counts: CommandCounts = {};
    for (const line of text.split("\n")) {
      const match = /^cmdstat_([^:]+):calls=(\d+)/.exec(line.trim());
      if (match?.[1]) counts[match[1]] = Number(match[2]);
    }
    return counts;
  }

  async close(): Promise<void> {
    await this.#client.quit().catch(() => this.#client.disconnect());
  }
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
