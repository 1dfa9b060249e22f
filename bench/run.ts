/**
 * `npm run bench` (`-- --quick` for a short run, `-- --report` to render the last run's report
 * again): every scenario against its baselines in the same run. Writes bench/results/latest.json, latest.md and read-ratios.svg, and copies the
 * chart to docs/bench-read-ratios.svg for the README.
 */
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { readRatioChart } from "./lib/chart.js";
import { ServerPool } from "./lib/children.js";
import { PROFILES, type RunContext } from "./lib/context.js";
import { renderMarkdown } from "./lib/report.js";
import type { Results } from "./lib/results.js";
import { Services } from "./lib/services.js";
import { checkTargets } from "./lib/targets.js";
import { runBrowserTabs } from "./scenarios/browser-tabs.js";
import { runCacheLag } from "./scenarios/cache-lag.js";
import { runClusterSpread } from "./scenarios/cluster-spread.js";
import { runHttpLogin } from "./scenarios/http-login.js";
import { readGroups, runHttpRead } from "./scenarios/http-read.js";
import { changingGroups, runHttpWrite } from "./scenarios/http-write.js";
import { runMemoryStore } from "./scenarios/memory-store.js";
import { runScale } from "./scenarios/scale.js";
import { runStoreOps, type StoreOpsRow } from "./scenarios/store-ops.js";
import { runValidation } from "./scenarios/validation.js";
import type { MemoryResult } from "./workers/memory-store.js";

const quick = process.argv.includes("--quick");
const began = performance.now();
const elapsed = () => `${((performance.now() - began) / 1000).toFixed(0).padStart(3)} s`;

async function main() {
  const startedAt = new Date().toISOString();
  const loadAverageAtStart = loadavg();
  console.log(`Stint benchmarks (${quick ? "quick" : "full"}) — Node ${process.version}`);
  const services = new Services({ redis: true, cluster: true, postgres: true });
  const pool = new ServerPool(services);
  const run: RunContext = {
    quick,
    profile: PROFILES[quick ? "quick" : "full"],
    pool,
    services,
    commandStats: () => services.commandStats(),
    log: (message) => console.log(`[${elapsed()}] ${message}`),
  };
  const step = async <T>(name: string, scenario: () => Promise<T>): Promise<T> => {
    run.log(name);
    return scenario();
  };
  try {
    await step("starting servers", () => pool.available([...readGroups(quick), ...changingGroups(quick)].flat()));
    // The in-process validation loop is context, not a target: only the full run has time for it.
    const validation = quick
      ? []
      : await step("session validation (in process)", () => runValidation({ rounds: 5, durationMs: 1500 }));
    const read = await step("read requests", () => runHttpRead(run));
    const write = await step("write requests", () => runHttpWrite(run));
    const login = await step("login requests", () => runHttpLogin(run));
    const cacheLag = await step("cache invalidation lag", () => runCacheLag(run));
    // Store operations and the memory store's heap are counts, not timings: they run while the
    // browser tabs sit idle (see scenarios/browser-tabs.ts).
    let storeOps: StoreOpsRow[] = [];
    let memoryStore: MemoryResult | undefined;
    const browserTabs = await step("browser tabs", () =>
      runBrowserTabs(run, async () => {
        storeOps = (await step("store operations per request", () => runStoreOps(run))).rows;
        memoryStore = await step("memory store footprint", () => runMemoryStore(run));
      }),
    );
    await pool.stop();
    const clusterSpread = await step("sessions spread over a Redis Cluster", () => runClusterSpread(run));
    const scale = await step("scale", () => runScale(run));
    if (!memoryStore) throw new Error("the memory store scenario did not run");
    const measured = {
      startedAt,
      finishedAt: new Date().toISOString(),
      seconds: (performance.now() - began) / 1000,
      node: process.version,
      quick,
      machine: {
        cpus: cpus().length,
        model: cpus()[0]?.model ?? "unknown",
        loadAverageAtStart,
        loadAverageAtEnd: loadavg(),
      },
      profile: run.profile,
      validation,
      read,
      write,
      login,
      cacheLag,
      storeOps,
      clusterSpread,
      scale,
      memoryStore,
      browserTabs,
    };
    const results: Results = { ...measured, targets: checkTargets(measured) };
    save(results);
    run.log("done");
  } finally {
    await pool.stop();
    await services.dispose();
  }
}

function save(results: Results): void {
  const dir = new URL("./results/", import.meta.url).pathname;
  mkdirSync(dir, { recursive: true });
  const markdown = renderMarkdown(results);
  const chart = readRatioChart(
    results.read.rows,
    `${results.quick ? "Quick" : "Full"} run, ${results.startedAt.slice(0, 10)}, Node ${results.node}, ${results.machine.cpus} cores; autocannon on loopback, 10 connections, variants alternated round by round.`,
  );
  writeFileSync(`${dir}latest.json`, `${JSON.stringify(results, null, 2)}\n`);
  writeFileSync(`${dir}latest.md`, markdown);
  writeFileSync(`${dir}read-ratios.svg`, chart);
  const docs = new URL("../docs/", import.meta.url).pathname;
  mkdirSync(docs, { recursive: true });
  copyFileSync(`${dir}read-ratios.svg`, `${docs}bench-read-ratios.svg`);
  console.log(`\n${markdown}`);
}

/** `-- --report`: the report again from the stored measurements (targets judged anew), without measuring. */
function report(): void {
  const { targets: _, ...measured } = JSON.parse(
    readFileSync(new URL("./results/latest.json", import.meta.url), "utf8"),
  ) as Results;
  save({ ...measured, targets: checkTargets(measured) });
}

if (process.argv.includes("--report")) report();
else {
  main().catch((error) => {
    console.error(error);
    process.exit(1);
  });
}
