import { describeApi } from "../http/api.suite.js";
import { bundleFor, runtimeHost } from "../support/runtime-host.js";

/**
 * Stint's Web handler on Bun (`Bun.serve`), bundled by esbuild from the package entries; the
 * API suite drives it over HTTP from this process, on the memory store and on Bun's own
 * SQLite (`bun:sqlite` through `fromBunSqlite` of "stint/sqlite").
 */
let bundle: Promise<string> | undefined;
const bundled = () => (bundle ??= bundleFor("bun", "test/fixtures/runtimes/server.ts"));
describeApi("bun", runtimeHost("bun", bundled));
describeApi("bun, bun:sqlite", runtimeHost("bun", bundled, "bun:sqlite"));
