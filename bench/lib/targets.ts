/** Issue 7's targets (and issue 6's "cheaper than the incumbent"), checked against a run. */
import type { Framework } from "../servers/common.js";
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
  ratioTarget("node:stint:sqlite", 0.6, "Read, node:http, SQLite: req/s vs bare node:http", "ratioToBare");
  ratioTarget("node:stint:memory", 0.75, "Read, node:http, memory: req/s vs bare node:http", "ratioToBare");
  for (const row of reads.filter((r) => r.session === "stint" && r.framework === "fastify")) {
    ratioTarget(row.key, 0.65, `Read, Fastify, ${row.store}: req/s vs Fastify without sessions`, "ratioToFramework");
  }
  for (const row of reads.filter((r) => r.session === "stint" && r.framework === "express")) {
    ratioTarget(row.key, 0.9, `Read, Express, ${row.store}: req/s vs Express without sessions`, "ratioToFramework");
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
    const commands = sum(row.redis ?? {});
    checks.push({
      target: "One Redis command per read request",
      measured: `${commands.toFixed(3)} (${Object.keys(row.redis ?? {}).join(", ")}, INFO commandstats)`,
      met: Math.abs(commands - 1) < 1e-9,
    });
  }

  const frameworks: Framework[] = ["express", "fastify", "hono"];
  for (const framework of frameworks) {
    const incumbents = reads.filter((row) => row.framework === framework && row.kind === "incumbent");
    const best = Math.max(...incumbents.map((row) => row.ratioToFramework ?? 0));
    for (const row of reads.filter((r) => r.framework === framework && r.session === "stint")) {
      const value = row.ratioToFramework ?? 0;
      checks.push({
        target: `Issue 6: Stint on ${FRAMEWORK_NAMES[framework]} (${row.store}) costs less than the incumbent`,
        measured: `${value.toFixed(2)}× vs best incumbent ${best.toFixed(2)}× (of ${FRAMEWORK_NAMES[framework]} alone)`,
        met: value > best,
      });
    }
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
