/**
 * One route compared across variants: groups of variants, each measured next to bare
 * node:http (and its framework without sessions), alternating round by round.
 */
import type { Framework, Route, SessionKind, StoreKind, VariantSpec } from "../servers/common.js";
import { REDIS_STORES, variantKey } from "../servers/common.js";
import type { ServerChild } from "./children.js";
import type { RunContext } from "./context.js";
import { type Kind, kindOf, labelOf } from "./labels.js";
import {
  alternate,
  combine,
  cpuPerRequest,
  median,
  perRequest,
  rate,
  type Slot,
  type Tally,
  warmUp,
} from "./measure.js";

export interface RequestRow {
  key: string;
  label: string;
  kind: Kind;
  framework: Framework;
  session: SessionKind;
  store: StoreKind | null;
  requestsPerSecond: number;
  ratioToBare: number;
  /** To the same framework without sessions, measured in the same rounds (node:http: bare). */
  ratioToFramework: number | null;
  cpuMicrosPerRequest: number;
  cpuRatioToBare: number;
  /** Store calls that changed the store, per request (counted at the store). */
  writesPerRequest: number;
  storeCallsPerRequest: Record<string, number>;
  /** Redis commands per request, by command (INFO commandstats); null off Redis. */
  redisCommandsPerRequest: Record<string, number> | null;
}

export const BARE: VariantSpec = { framework: "node", session: "none" };
const frameworkBaseline = (framework: Framework): VariantSpec => ({ framework, session: "none" });

export interface RouteComparison {
  rows: RequestRow[];
  /** Variants left out (their store server is not installed). */
  missing: string[];
}

export async function compareRoute(
  run: RunContext,
  route: Route,
  groups: readonly (readonly VariantSpec[])[],
): Promise<RouteComparison> {
  const specs = [BARE, ...groups.flat()];
  const servers = new Map((await run.pool.available(specs)).map((server) => [server.key, server]));
  const missing = specs.filter((spec) => !servers.has(variantKey(spec))).map(labelOf);
  const slots: Slot[] = [];
  const bareSlots: string[] = [];
  groups.forEach((group, index) => {
    const bare = servers.get(variantKey(BARE)) as ServerChild;
    slots.push({ id: `${index}/${bare.key}`, server: bare, route });
    bareSlots.push(`${index}/${bare.key}`);
    for (const spec of group) {
      const server = servers.get(variantKey(spec));
      if (server && server.key !== bare.key) slots.push({ id: `${index}/${server.key}`, server, route });
    }
  });
  const { profile } = run;
  await warmUp([...servers.values()], route, profile.warmSeconds);
  run.log(`  ${route}: ${slots.length} loads × ${profile.rounds} rounds × ${profile.seconds} s`);
  const tallies = await alternate(slots, { ...profile, commands: await run.commandStats() });

  const bareRounds = bareSlots.map((id) => tallies.get(id)!);
  const bareAll = bareRounds.flat();
  const rows: RequestRow[] = [row(BARE, bareAll, bareAll, null)];
  groups.forEach((group, index) => {
    const bare = tallies.get(`${index}/${variantKey(BARE)}`)!;
    for (const spec of group) {
      const rounds = tallies.get(`${index}/${variantKey(spec)}`);
      if (!rounds || variantKey(spec) === variantKey(BARE)) continue;
      const own = spec.session === "none";
      const framework =
        spec.framework === "node" ? bare : tallies.get(`${index}/${variantKey(frameworkBaseline(spec.framework))}`);
      rows.push(row(spec, rounds, bare, own || !framework ? null : framework));
    }
  });
  return { rows, missing };
}

/**
 * A variant's row. Ratios are medians over rounds of the variant against its baselines of the
 * same round (measured seconds apart); rates and CPU are over all rounds.
 */
function row(spec: VariantSpec, rounds: Tally[], bare: Tally[], framework: Tally[] | null): RequestRow {
  const tally = combine(rounds);
  const ratioTo = (baseline: Tally[], measure: (t: Tally) => number) =>
    median(rounds.map((round, i) => measure(round) / measure(baseline[i] ?? round)));
  const perCall: Record<string, number> = {};
  for (const [method, calls] of Object.entries(tally.calls)) perCall[method] = perRequest(calls, tally);
  const redis: Record<string, number> = {};
  for (const [command, calls] of Object.entries(tally.redis)) redis[command] = perRequest(calls, tally);
  return {
    key: variantKey(spec),
    label: labelOf(spec),
    kind: kindOf(spec),
    framework: spec.framework,
    session: spec.session,
    store: spec.store ?? null,
    requestsPerSecond: rate(tally),
    ratioToBare: ratioTo(bare, rate),
    ratioToFramework: framework ? ratioTo(framework, rate) : null,
    cpuMicrosPerRequest: cpuPerRequest(tally),
    cpuRatioToBare: ratioTo(bare, cpuPerRequest),
    writesPerRequest: perRequest(tally.writes, tally),
    storeCallsPerRequest: perCall,
    redisCommandsPerRequest: REDIS_STORES.has(spec.store) ? redis : null,
  };
}

/** Variants of `framework` with Stint on each of `stores`. */
export const stintOn = (framework: Framework, stores: readonly StoreKind[]): VariantSpec[] =>
  stores.map((store) => ({ framework, session: "stint", store }));
