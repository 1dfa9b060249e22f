// Bundles the demo's page script (demo/src/app.ts, which imports the browser client from
// src/) into demo/public/assets/app.js, minified, with a source map. `stint serve` serves it
// at /assets/app.js. Run by `npm run build`; `--watch` rebuilds on change, `--outdir=DIR`
// writes elsewhere (the tests bundle into a temporary folder).
import { mkdir } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import * as esbuild from "esbuild";

const root = fileURLToPath(new URL("..", import.meta.url));
const outdirFlag = process.argv.find((arg) => arg.startsWith("--outdir="));
const outdir = outdirFlag
  ? outdirFlag.slice("--outdir=".length)
  : fileURLToPath(new URL("../demo/public/assets/", import.meta.url));

/** @type {import("esbuild").BuildOptions} */
const options = {
  absWorkingDir: root,
  entryPoints: ["demo/src/app.ts"],
  outdir,
  bundle: true,
  format: "esm",
  platform: "browser",
  // The client's documented floor: browsers with BroadcastChannel, Web Locks and light-dark().
  target: ["chrome123", "firefox120", "safari17.5", "edge123"],
  minify: true,
  sourcemap: "linked",
  legalComments: "none",
  logLevel: "info",
};

await mkdir(outdir, { recursive: true });
if (process.argv.includes("--watch")) {
  const context = await esbuild.context(options);
  await context.watch();
} else {
  const result = await esbuild.build({ ...options, metafile: true });
  const bytes = Object.values(result.metafile.outputs).reduce((sum, output) => sum + output.bytes, 0);
  if (bytes === 0) throw new Error("build-demo: esbuild wrote nothing.");
}
