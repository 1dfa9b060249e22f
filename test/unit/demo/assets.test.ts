import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { ApiTarget } from "../../support/api-target.js";
import { noJsBrowser, rawGet, startDemo } from "./demo-target.js";

describe("demo assets", () => {
  let dir: string;
  let target: ApiTarget;

  beforeAll(() => {
    // A public folder like the built one, plus a secret next to it that must never be served.
    const root = mkdtempSync(join(tmpdir(), "stint-demo-assets-"));
    dir = join(root, "public");
    mkdirSync(join(dir, "assets"), { recursive: true });
    writeFileSync(join(dir, "styles.css"), "body { color: black; }\n");
    writeFileSync(join(dir, "favicon.svg"), '<svg xmlns="http://www.w3.org/2000/svg"/>');
    writeFileSync(join(dir, "assets", "app.js"), "console.log('app');\n");
    writeFileSync(join(dir, "assets", "app.js.map"), "{}");
    writeFileSync(join(dir, ".env"), "SECRET=1");
    writeFileSync(join(dir, "assets", "notes.txt"), "not an asset type");
    writeFileSync(join(root, "secret.css"), "SECRET");
  });
  afterAll(() => rmSync(join(dir, ".."), { recursive: true, force: true }));
  beforeEach(async () => {
    target = await startDemo({ assetsDir: dir });
  });
  afterEach(() => target.close());

  it("serves the stylesheet and the bundle with their content types", async () => {
    const browser = noJsBrowser(target);
    const css = await browser.get("/assets/styles.css");
    expect(css.status).toBe(200);
    expect(css.headers.get("content-type")).toBe("text/css; charset=utf-8");
    expect(css.text).toBe("body { color: black; }\n");
    const js = await browser.get("/assets/app.js");
    expect(js.headers.get("content-type")).toBe("text/javascript; charset=utf-8");
    expect((await browser.get("/assets/app.js.map")).headers.get("content-type")).toBe(
      "application/json; charset=utf-8",
    );
    expect((await browser.get("/assets/favicon.svg")).headers.get("content-type")).toBe("image/svg+xml");
    expect(js.headers.get("x-content-type-options")).toBe("nosniff");
  });

  it("links versioned assets from pages and caches them for a year", async () => {
    const browser = noJsBrowser(target);
    const page = await browser.get("/login");
    const styles = /<link rel="stylesheet" href="([^"]+)"/.exec(page.text)?.[1] ?? "";
    const script = /<script type="module" src="([^"]+)"/.exec(page.text)?.[1] ?? "";
    expect(styles).toMatch(/^\/assets\/styles\.css\?v=[a-z0-9-]+$/);
    expect(script).toMatch(/^\/assets\/app\.js\?v=[a-z0-9-]+$/);
    const versioned = await browser.get(styles);
    expect(versioned.headers.get("cache-control")).toBe("public, max-age=31536000, immutable");
    // An unversioned or stale URL must be revalidated, so a new build is seen.
    expect((await browser.get("/assets/styles.css")).headers.get("cache-control")).toBe("public, no-cache");
    expect((await browser.get("/assets/styles.css?v=old")).headers.get("cache-control")).toBe("public, no-cache");
  });

  it("answers 304 to a matching If-None-Match", async () => {
    const browser = noJsBrowser(target);
    const first = await browser.get("/assets/app.js");
    const etag = first.headers.get("etag") ?? "";
    expect(etag).toMatch(/^".+"$/);
    const again = await browser.get("/assets/app.js", { headers: { "if-none-match": etag } });
    expect(again.status).toBe(304);
    expect(again.text).toBe("");
  });

  it("refuses path traversal and anything outside the public folder", async () => {
    const attempts = [
      "/assets/../secret.css",
      "/assets/../../package.json",
      "/assets/%2e%2e/secret.css",
      "/assets/%2e%2e%2fsecret.css",
      "/assets/..%2f..%2fpackage.json",
      "/assets/..%5csecret.css",
      "/assets/%2e%2e%5c%2e%2e%5cpackage.json",
      "/assets/assets/app.js",
      "/assets//etc/passwd",
      "/assets/%2fetc%2fpasswd",
      "/assets/.env",
      "/assets/notes.txt",
      "/assets/%E0%A4%A",
      "/assets/styles.css%00.js",
    ];
    const secret = readFileSync(join(dir, "..", "secret.css"), "utf8");
    for (const path of attempts) {
      const answer = await rawGet(target.baseUrl, path);
      expect(answer.status, path).not.toBe(200);
      expect(answer.body, path).not.toContain(secret);
      expect(answer.body, path).not.toContain('"name": "stint"');
      expect(answer.body, path).not.toContain("root:");
    }
  });

  it("answers a missing bundle with 404 while pages still render", async () => {
    const answer = await noJsBrowser(target).get("/assets/missing.js");
    expect(answer.status).toBe(404);
    expect((await noJsBrowser(target).get("/login")).status).toBe(200);
  });
});

describe("demo assets from the package", () => {
  let target: ApiTarget;
  beforeEach(async () => {
    target = await startDemo();
  });
  afterEach(() => target.close());

  it("serves the committed stylesheet by default", async () => {
    const css = await noJsBrowser(target).get("/assets/styles.css");
    expect(css.status).toBe(200);
    expect(css.text).toContain("prefers-reduced-motion");
  });
});
