/** What every scenario of a run shares: the mode, its durations, the servers and the services. */
import type { ServerPool } from "./children.js";
import type { CommandStatsByStore, Services } from "./services.js";

export interface Profile {
  /** Rounds of alternation, and seconds per load, of the HTTP scenarios. */
  rounds: number;
  seconds: number;
  /** Seconds of shared warm-up before an HTTP scenario's rounds. */
  warmSeconds: number;
  /** Requests per variant and route when counting store operations. */
  opsRequests: number;
  /** Sessions in each store for the scale scenario, how many of them expire, and lookups. */
  sessions: number;
  expired: number;
  lookups: number;
  /** Seconds of idle tabs counted by the browser scenario. */
  tabSeconds: number;
}

export const PROFILES: Record<"quick" | "full", Profile> = {
  quick: {
    rounds: 4,
    seconds: 0.5,
    warmSeconds: 1,
    opsRequests: 200,
    sessions: 100_000,
    expired: 20_000,
    lookups: 10_000,
    tabSeconds: 15,
  },
  full: {
    rounds: 5,
    seconds: 2,
    warmSeconds: 3,
    opsRequests: 2_000,
    sessions: 1_000_000,
    expired: 100_000,
    lookups: 20_000,
    tabSeconds: 90,
  },
};

export interface RunContext {
  quick: boolean;
  profile: Profile;
  pool: ServerPool;
  services: Services;
  /** INFO commandstats of each Redis-backed store kind (a cluster's summed over its masters). */
  commandStats(): Promise<CommandStatsByStore>;
  log(message: string): void;
}
