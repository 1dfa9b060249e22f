/**
 * Measuring servers under load: each slot (a server and a route) is loaded in turn, round
 * after round, so every variant and its baselines see the same machine over the run.
 */
import type { Route } from "../servers/common.js";
import type { ServerChild } from "./children.js";
import { type LoadOptions, load } from "./load.js";
import { type CommandCounts, commandDelta } from "./redis-stats.js";
import type { CommandStatsByStore } from "./services.js";

export interface Slot {
  /** Unique within one alternation: the same server may appear in several slots. */
  id: string;
  server: ServerChild;
  route: Route;
}

/** What one slot did over all its runs. */
export interface Tally {
  requests: number;
  seconds: number;
  /** Server CPU time spent meanwhile. */
  cpuMicros: number;
  /** Store calls that changed the store. */
  writes: number;
  calls: Record<string, number>;
  /** Redis commands executed meanwhile (Redis-backed variants only; a cluster's summed over its masters). */
  redis: CommandCounts;
}

const emptyTally = (): Tally => ({ requests: 0, seconds: 0, cpuMicros: 0, writes: 0, calls: {}, redis: {} });

function add(into: Record<string, number>, from: Record<string, number>, sign = 1): void {
  for (const [name, value] of Object.entries(from)) into[name] = (into[name] ?? 0) + sign * value;
}

/** One load of one slot, with the server's counters and its Redis's command counts around it. */
export async function measureOnce(slot: Slot, options: LoadOptions, commands: CommandStatsByStore): Promise<Tally> {
  const redis = slot.server.spec.store ? commands[slot.server.spec.store] : undefined;
  const redisBefore = redis ? await redis.snapshot() : {};
  const before = await slot.server.stats();
  const result = await load(slot.server, slot.route, options);
  const after = await slot.server.stats();
  const redisAfter = redis ? await redis.snapshot() : {};
  const calls: Record<string, number> = {};
  add(calls, after.calls);
  add(calls, before.calls, -1);
  return {
    requests: result.requests,
    seconds: result.seconds,
    cpuMicros: after.cpuMicros - before.cpuMicros,
    writes: after.writes - before.writes,
    calls,
    redis: commandDelta(redisBefore, redisAfter),
  };
}

/** Every slot in turn, `rounds` times; each slot's tallies, one per round. */
export async function alternate(
  slots: readonly Slot[],
  options: { rounds: number; seconds: number; commands: CommandStatsByStore },
): Promise<Map<string, Tally[]>> {
  const tallies = new Map(slots.map((slot) => [slot.id, [] as Tally[]]));
  for (let round = 0; round < options.rounds; round++) {
    for (const slot of slots) {
      tallies.get(slot.id)?.push(await measureOnce(slot, { seconds: options.seconds }, options.commands));
    }
  }
  return tallies;
}

/** Several tallies as one. */
export function combine(tallies: readonly Tally[]): Tally {
  const total = emptyTally();
  for (const tally of tallies) {
    total.requests += tally.requests;
    total.seconds += tally.seconds;
    total.cpuMicros += tally.cpuMicros;
    total.writes += tally.writes;
    add(total.calls, tally.calls);
    add(total.redis, tally.redis);
  }
  return total;
}

/** The median: one disturbed round (another process's burst) does not move it. */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[middle] ?? 0) : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2;
}

/**
 * Warms every server up at once (the JIT, the stores' caches) with light load, so the
 * measured rounds do not pay for it: all of them share the machine for a short while.
 */
export async function warmUp(servers: readonly ServerChild[], route: Route, seconds: number): Promise<void> {
  await Promise.all(servers.map((server) => load(server, route, { seconds, connections: 2 })));
}

/** Requests per second, CPU per request and the like, of a tally. */
export const rate = (tally: Tally) => tally.requests / Math.max(tally.seconds, 1e-9);
export const cpuPerRequest = (tally: Tally) => tally.cpuMicros / Math.max(tally.requests, 1);
export const perRequest = (count: number, tally: Tally) => count / Math.max(tally.requests, 1);
