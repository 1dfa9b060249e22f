import { describeApi } from "../http/api.suite.js";
import { bundleFor, runtimeHost } from "../support/runtime-host.js";

/**
 * Stint's Web handler on Deno (`Deno.serve`, memory store), bundled by esbuild from the package
 * entries; the API suite drives it over HTTP from this process.
 */
let bundle: Promise<string> | undefined;
describeApi(
  "deno",
  runtimeHost("deno", () => (bundle ??= bundleFor("deno", "test/fixtures/runtimes/server.ts"))),
);
