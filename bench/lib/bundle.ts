/**
 * Processes the benchmark forks run plain JavaScript bundled by esbuild, as an app runs
 * Stint's compiled output: not through tsx, whose per-function `__name` wrappers would be
 * counted as Stint's cost. Dependencies stay external and load from node_modules.
 */
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const root = fileURLToPath(new URL("../../", import.meta.url));
/** Inside node_modules, so the bundles resolve packages exactly as the sources do. */
const outdir = `${root}node_modules/.cache/stint-bench`;

const entries = {
  server: "bench/servers/child.ts",
  scale: "bench/workers/scale.ts",
  memory: "bench/workers/memory-store.ts",
  lag: "bench/workers/cache-lag.ts",
} as const;
export type BundleEntry = keyof typeof entries;

let built: Promise<void> | undefined;

/** The path of the bundled entry, built once per run. */
export async function bundled(entry: BundleEntry): Promise<string> {
  built ??= build({
    absWorkingDir: root,
    entryPoints: entries,
    outdir,
    bundle: true,
    splitting: true,
    format: "esm",
    platform: "node",
    target: "node20",
    packages: "external",
    outExtension: { ".js": ".mjs" },
    logLevel: "warning",
  }).then(() => undefined);
  await built;
  return `${outdir}/${entry}.mjs`;
}
