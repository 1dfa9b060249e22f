/**
 * `npm run bench` (`-- --quick` for a short run): every scenario against its baseline in the
 * same run, written to bench/results/latest.json and bench/results/latest.md.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { runHttpRead } from "./scenarios/http-read.js";
import { runValidation } from "./scenarios/validation.js";

const quick = process.argv.includes("--quick");
const fixed = (value: number, digits = 2) => value.toFixed(digits);

async function main() {
  const startedAt = new Date().toISOString();
  console.log(`Stint benchmarks (${quick ? "quick" : "full"}) — Node ${process.version}`);
  const validation = await runValidation({ rounds: quick ? 3 : 5, durationMs: quick ? 500 : 1500 });
  const httpRead = await runHttpRead({ rounds: quick ? 2 : 3, durationSeconds: quick ? 3 : 8 });

  const lines = [
    `# Stint benchmark results`,
    "",
    `${startedAt}, Node ${process.version}, ${quick ? "quick" : "full"} run. Ratios are against a baseline measured in the same run, alternating.`,
    "",
    "## Session validation (load + validate, no touch due)",
    "",
    "| variant | validations/s | ratio to baseline | store writes per validation |",
    "| --- | ---: | ---: | ---: |",
    ...validation.map(
      (r) =>
        `| ${r.variant} | ${Math.round(r.opsPerSecond).toLocaleString("en")} | ${fixed(r.ratioToBaseline)} | ${fixed(r.storeWritesPerValidation, 0)} |`,
    ),
    "",
    "## HTTP read path (GET of a session-protected route, 10 connections)",
    "",
    "| variant | requests/s | ratio to bare | server CPU per request | CPU vs bare | store writes per read |",
    "| --- | ---: | ---: | ---: | ---: | ---: |",
    ...httpRead.map(
      (r) =>
        `| ${r.variant} | ${Math.round(r.requestsPerSecond).toLocaleString("en")} | ${fixed(r.ratioToBare)} | ${fixed(r.cpuMicrosPerRequest, 1)} µs | ${fixed(r.cpuRatioToBare)}× | ${fixed(r.storeWritesPerRead, 0)} |`,
    ),
    "",
  ];
  const markdown = lines.join("\n");
  console.log(`\n${markdown}`);
  const dir = new URL("./results/", import.meta.url).pathname;
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    `${dir}latest.json`,
    `${JSON.stringify({ startedAt, node: process.version, quick, validation, httpRead }, null, 2)}\n`,
  );
  writeFileSync(`${dir}latest.md`, markdown);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
