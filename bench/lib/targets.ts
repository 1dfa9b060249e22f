/** Issue 7's targets (and issue 6's "cheaper than the incumbent"), checked against a run. */
import { FRAMEWORK_NAMES } from "./labels.js";
import type { RequestRow } from "./requests.js";
import type { Results, TargetCheck } from "./results.js";

type Measured = Omit<Results, "targets">;

const find = (rows: readonly RequestRow[], key: string) => rows.find((row) => row.key === key);
const sum = (values: Record<string, number>) => Object.values(values).reduce((a, b) => a + b, 0);

export function checkTargets(results: Measured): TargetCheck[] {
  const checks: TargetCheck[] = [];
  const reads = results.read.rows;
  const ratioTarget = (key: string, minimum: number, what: string, field: "ratioToBare" | "ratioToFramework") => {
    const row = find(reads, key);
    if (!row) return;
    const value = row[field] ?? 0;
    checks.push({ target: `${what} ≥ ${minimum}×`, measured: `${value.toFixed(2)}×`, met: value >= minimum });
  };
  ratioTarget("node:stint:memory", 0.75, "Read, node:http, memory: req/s vs bare node:http", "ratioToBare");
  // Issue 12: with the session cache, Redis and PostgreSQL reads cost no round trip.
  ratioTarget("node:stint:redis", 0.6, "Read, node:http, Redis (cached): req/s vs bare node:http", "ratioToBare");
  ratioTarget(
    "node:stint:postgres",
    0.6,
    "Read, node:http, PostgreSQL (cached): req/s vs bare node:http",
    "ratioToBare",
  );
  const sqlite = find(reads, "node:stint:sqlite");
  const floor = find(reads, "node:floor:sqlite");
  if (sqlite && floor) {
    const value = sqlite.requestsPerSecond / floor.requestsPerSecond;
    checks.push({
      target: "Read, node:http, SQLite: req/s vs the hand-written floor ≥ 1.0×",
      measured: `${value.toFixed(2)}×`,
      met: value >= 1,
    });
  }
  for (const store of ["sqlite", "memory", "redis", "postgres"]) {
    ratioTarget(`express:stint:${store}`, 0.9, `Read, Express, ${store}: req/s vs Express alone`, "ratioToFramework");
  }
  for (const store of ["sqlite", "memory"]) {
    ratioTarget(`fastify:stint:${store}`, 0.65, `Read, Fastify, ${store}: req/s vs Fastify alone`, "ratioToFramework");
  }

  // Counted right after sign-in (store-ops), so no touch (one a minute) falls in the window.
  const stintOps = results.storeOps.filter((row) => row.key.includes(":stint:") && row.route === "read");
  const worst = Math.max(0, ...stintOps.map((row) => row.writes));
  checks.push({
    target: "Zero store writes per read request, on every store",
    measured: `${worst === 0 ? "0" : worst.toPrecision(2)} (${stintOps.map((row) => row.label.split(", ").pop()).join(", ")})`,
    met: stintOps.length > 0 && worst === 0,
  });
  for (const row of stintOps.filter((r) => r.redis !== null)) {
    // The first read after signing in may fill the cache (one HGETALL); every later one is a
    // hit. REPLCONF is a replica acknowledging to its master, no client's command.
    const { replconf: _, ...sent } = row.redis ?? {};
    const total = Math.round(sum(sent) * row.requests);
    checks.push({
      target: `Redis commands per cached read request: 0 (${row.label})`,
      measured: `${total} in ${row.requests} reads, the first one's miss included (INFO commandstats, replicas' REPLCONF left out)`,
      met: total <= 1,
    });
  }
  const redisOps = results.storeOps.filter((row) => row.key === "node:stint:redis");
  for (const [route, most] of [
    ["login", 2],
    ["write", 1],
  ] as const) {
    const row = redisOps.find((candidate) => candidate.route === route);
    if (!row || row.roundTrips === null) continue;
    checks.push({
      target: `Redis round trips per ${route} ≤ ${most}`,
      measured: `${row.roundTrips.toFixed(3)} (${sum(row.redis ?? {}).toFixed(1)} commands, those inside scripts counted)`,
      met: row.roundTrips <= most + 1e-9,
    });
  }
  for (const lag of results.cacheLag) {
    checks.push({
      target: `Invalidation lag across two processes (${lag.store}), p99 < 10 ms`,
      measured: `p99 ${lag.p99Ms.toFixed(2)} ms (p50 ${lag.p50Ms.toFixed(2)} ms, ${lag.samples} revocations)`,
      met: lag.p99Ms < 10,
    });
  }

  // Issue 6, like for like: each incumbent against Stint on the same framework and store.
  for (const incumbent of reads.filter((row) => row.kind === "incumbent" && row.framework !== "node")) {
    const stint = find(reads, `${incumbent.framework}:stint:${incumbent.store}`);
    if (!stint) continue;
    const ours = stint.ratioToFramework ?? 0;
    const theirs = incumbent.ratioToFramework ?? 0;
    checks.push({
      target: `Issue 6: Stint costs less than ${incumbent.label} (${FRAMEWORK_NAMES[incumbent.framework]})`,
      measured: `${ours.toFixed(2)}× vs ${theirs.toFixed(2)}× of ${FRAMEWORK_NAMES[incumbent.framework]} alone`,
      met: ours > theirs,
    });
  }

  for (const result of results.scale.results) {
    if (result.store !== "postgres") {
      checks.push({
        target: `${result.sessions.toLocaleString("en")} sessions in ${result.store}: lookup p99 < 1 ms`,
        measured: `${result.lookupP99Ms.toFixed(3)} ms`,
        met: result.lookupP99Ms < 1,
      });
    }
    checks.push({
      target: `Cleanup of ${result.expired.toLocaleString("en")} expired (${result.store}) never stalls the event loop > 50 ms`,
      measured: `longest stall ${result.cleanupMaxStallMs.toFixed(1)} ms`,
      met: result.cleanupMaxStallMs <= 50 && result.deleted === result.expired,
    });
  }

  const tabs = results.browserTabs.rows;
  const one = tabs.find((row) => row.tabs === 1);
  const ten = tabs.find((row) => row.tabs === 10);
  if (one && ten) {
    checks.push({
      target: "Browser client: 10 idle tabs ask the server as often as 1 tab does",
      measured: `${one.requestsPerMinute.toFixed(1)} (1 tab) vs ${ten.requestsPerMinute.toFixed(1)} (10 tabs) requests/min`,
      // One request of slack: a periodic check may fall inside one window and not the other.
      met: ten.requests <= one.requests + 1,
    });
  }
  return checks;
}
