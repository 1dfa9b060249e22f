/** Everything a run measured: written to bench/results/latest.json and rendered from there. */
import type { BrowserTabsResult } from "../scenarios/browser-tabs.js";
import type { LagResult } from "../scenarios/cache-lag.js";
import type { ClusterSpreadResult } from "../scenarios/cluster-spread.js";
import type { StoreOpsRow } from "../scenarios/store-ops.js";
import type { ValidationResult } from "../scenarios/validation.js";
import type { MemoryResult } from "../workers/memory-store.js";
import type { ScaleResult } from "../workers/scale.js";
import type { Profile } from "./context.js";
import type { RouteComparison } from "./requests.js";

export interface Results {
  startedAt: string;
  finishedAt: string;
  seconds: number;
  node: string;
  quick: boolean;
  machine: { cpus: number; model: string; loadAverageAtStart: number[]; loadAverageAtEnd: number[] };
  profile: Profile;
  validation: ValidationResult[];
  read: RouteComparison;
  write: RouteComparison;
  login: RouteComparison;
  cacheLag: LagResult[];
  storeOps: StoreOpsRow[];
  /** Null when no Redis Cluster could be started. */
  clusterSpread: ClusterSpreadResult | null;
  scale: { results: ScaleResult[]; missing: string[] };
  memoryStore: MemoryResult;
  browserTabs: BrowserTabsResult;
  targets: TargetCheck[];
}

export interface TargetCheck {
  target: string;
  measured: string;
  met: boolean;
}
