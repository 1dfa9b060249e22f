import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";

const run = promisify(execFile);

describe("demo bundle", () => {
  const outdir = mkdtempSync(join(tmpdir(), "stint-demo-bundle-"));
  afterAll(() => rmSync(outdir, { recursive: true, force: true }));

  it("bundles the page script for the browser, with a source map", async () => {
    // platform "browser" makes esbuild fail on any node: import reaching the bundle.
    await run(process.execPath, ["scripts/build-demo.mjs", `--outdir=${outdir}`]);
    const script = readFileSync(join(outdir, "app.js"), "utf8");
    const map = JSON.parse(readFileSync(join(outdir, "app.js.map"), "utf8")) as { sources: string[] };
    expect(script).toContain("//# sourceMappingURL=app.js.map");
    expect(script).not.toMatch(/\brequire\(|from\s*"node:/);
    expect(map.sources.some((source) => source.endsWith("demo/src/app.ts"))).toBe(true);
    expect(map.sources.some((source) => source.endsWith("src/client/session-client.ts"))).toBe(true);
  });
});
