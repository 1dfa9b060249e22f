import { request as httpRequest } from "node:http";
import { demoListener } from "../../../src/demo/listener.js";
import { serve } from "../../../src/http/adapters/node.js";
import { type ApiTarget, startTarget } from "../../support/api-target.js";
import { type Answer, TestBrowser } from "../../support/browser.js";

/** A real Stint (SQLite, fake clock, cheap hashing) serving the demo over a real socket. */
export function startDemo(options: { assetsDir?: string } = {}): Promise<ApiTarget> {
  return startTarget(async (stint) => {
    const server = await serve(stint, { port: 0, fallback: demoListener(stint, options) });
    return {
      baseUrl: server.url,
      // A browser without JavaScript: it follows redirects itself, so the tests see each 303.
      fetch: (request) => fetch(request, { redirect: "manual" }),
      close: () => server.close(),
    };
  });
}

/** A browser with JavaScript off: plain form posts, cookies, and the Origin a browser sends. */
export function noJsBrowser(target: ApiTarget): TestBrowser {
  return new TestBrowser(target, "Mozilla/5.0 (X11; Linux x86_64) Chrome/140.0 Safari/537.36");
}

/** Posts a form the way a browser does (urlencoded, Origin set, no CSRF header). */
export function postForm(browser: TestBrowser, path: string, form: Record<string, string>): Promise<Answer> {
  return browser.send("POST", path, { form, csrf: false });
}

/** The hidden `_csrf` field of a rendered page. */
export function csrfOf(page: Answer): string {
  const token = /name="_csrf" value="([^"]+)"/.exec(page.text)?.[1];
  if (!token) throw new Error("The page has no _csrf field.");
  return token;
}

/** Registers through the no-JS form and returns the dashboard's CSRF token. */
export async function registerNoJs(browser: TestBrowser, username: string): Promise<string> {
  const answer = await postForm(browser, "/register", { username, password: "correct horse battery" });
  if (answer.status !== 303) throw new Error(`register answered ${answer.status}: ${answer.text.slice(0, 200)}`);
  return csrfOf(await browser.get("/"));
}

/** A GET with the path sent byte for byte (fetch and URL would normalise `..` away). */
export function rawGet(
  baseUrl: string,
  path: string,
): Promise<{ status: number; body: string; headers: Record<string, unknown> }> {
  const { hostname, port } = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const request = httpRequest({ host: hostname, port, path, method: "GET" }, (response) => {
      let body = "";
      response.setEncoding("utf8");
      response.on("data", (chunk: string) => {
        body += chunk;
      });
      response.on("end", () => resolve({ status: response.statusCode ?? 0, body, headers: response.headers }));
    });
    request.on("error", reject);
    request.end();
  });
}
