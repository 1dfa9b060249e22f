import { readFile, stat } from "node:fs/promises";
import type { ServerResponse } from "node:http";
import { extname, resolve, sep } from "node:path";

const contentTypes: Readonly<Record<string, string>> = {
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".map": "application/json; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
};

// One flat name: no separators, no leading dot, so neither "../x" nor ".env" can be named.
const assetName = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;
const YEAR_SECONDS = 31_536_000;

interface Found {
  path: string;
  version: string;
}

export interface Assets {
  /** The asset's URL with its version, so a browser may keep it for a year and still see a new build. */
  url(name: string): Promise<string>;
  /** Answers `GET /assets/<name>` (name already decoded) from the public folder, or 404. */
  serve(response: ServerResponse, name: string, query: URLSearchParams, ifNoneMatch: string | undefined): Promise<void>;
}

/**
 * The demo's static files: the committed `styles.css` and icons at the root of `publicDir`,
 * and the built bundle under `publicDir/assets/`, all served flat at `/assets/<name>`.
 */
export function staticAssets(publicDir: string): Assets {
  const roots = [resolve(publicDir, "assets"), resolve(publicDir)];

  async function find(name: string): Promise<Found | null> {
    if (!assetName.test(name) || !Object.hasOwn(contentTypes, extname(name))) return null;
    for (const root of roots) {
      const path = resolve(root, name);
      // Belt and braces: the pattern already keeps the name inside the root.
      if (!path.startsWith(root + sep)) return null;
      const info = await stat(path).catch(() => null);
      if (info?.isFile())
        return { path, version: `${info.size.toString(36)}-${Math.floor(info.mtimeMs).toString(36)}` };
    }
    return null;
  }

  return {
    async url(name) {
      const found = await find(name);
      return found ? `/assets/${name}?v=${found.version}` : `/assets/${name}`;
    },
    async serve(response, name, query, ifNoneMatch) {
      const found = await find(name);
      const body = found ? await readFile(found.path).catch(() => null) : null;
      if (!found || !body) {
        response.writeHead(404, { "content-type": "text/plain; charset=utf-8", "x-content-type-options": "nosniff" });
        response.end("Not found");
        return;
      }
      const etag = `"${found.version}"`;
      const headers = {
        "content-type": contentTypes[extname(name)] ?? "application/octet-stream",
        "x-content-type-options": "nosniff",
        etag,
        // A versioned URL names one build forever; an unversioned one must be revalidated.
        "cache-control":
          query.get("v") === found.version ? `public, max-age=${YEAR_SECONDS}, immutable` : "public, no-cache",
      };
      if (ifNoneMatch === etag) {
        response.writeHead(304, headers).end();
        return;
      }
      response.writeHead(200, { ...headers, "content-length": body.byteLength });
      response.end(response.req.method === "HEAD" ? undefined : body);
    },
  };
}
