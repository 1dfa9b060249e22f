import type { IncomingMessage, RequestListener, ServerResponse } from "node:http";
import { fileURLToPath } from "node:url";
import type { Stint } from "../app/stint.js";
import { StintError } from "../core/errors.js";
import { requestUrl, type TrustProxy } from "../http/adapters/node.js";
import { isAction, runAction } from "./actions.js";
import { type DemoContext, shellOf } from "./context.js";
import { FormTooLargeError } from "./forms.js";
import { errorText } from "./messages.js";
import { dashboard, devices, loginOrRegisterPage } from "./pages.js";
import { sendHtml } from "./respond.js";
import { staticAssets } from "./static.js";
import { errorPage } from "./views/error.js";

export interface DemoListenerOptions {
  /** Believe `X-Forwarded-*` from this many proxies you run (`true`: one); see the node adapter. */
  trustProxy?: TrustProxy;
  /** The folder holding `styles.css` and the built `assets/`; default the package's `demo/public`. */
  assetsDir?: string;
}

type Page = (context: DemoContext, request: IncomingMessage, response: ServerResponse, url: URL) => Promise<void>;

const pages: Readonly<Record<string, Page>> = {
  "/": dashboard,
  "/devices": devices,
  "/login": (context, request, response, url) => loginOrRegisterPage(context, request, response, "login", url),
  "/register": (context, request, response, url) => loginOrRegisterPage(context, request, response, "register", url),
};

// Two levels up from both src/demo/ and dist/demo/ is the package root.
const defaultPublicDir = fileURLToPath(new URL("../../demo/public/", import.meta.url));

/**
 * The demo app behind `stint serve`: server-rendered pages that work as plain HTML forms,
 * enhanced by the bundled page script. It converts; every session decision is the API's.
 */
export function demoListener(stint: Stint, options: DemoListenerOptions = {}): RequestListener {
  const context: DemoContext = {
    stint,
    assets: staticAssets(options.assetsDir ?? defaultPublicDir),
    trustProxy: options.trustProxy ?? false,
  };
  return function demo(request, response) {
    route(context, request, response).catch((error: unknown) => failed(context, response, error));
  };
}

async function route(context: DemoContext, request: IncomingMessage, response: ServerResponse): Promise<void> {
  // Never `new URL(target, base)`: it throws on some targets node:http accepts (`http://[`).
  const url = requestUrl("http://demo.invalid", request.url);
  const { pathname } = url;
  const method = request.method ?? "GET";
  const reading = method === "GET" || method === "HEAD";

  if (pathname.startsWith("/assets/") && reading) {
    const name = safeDecode(pathname.slice("/assets/".length));
    return context.assets.serve(response, name ?? "", url.searchParams, request.headers["if-none-match"]);
  }
  if (pathname === "/favicon.ico" && reading) {
    // Pages link /assets/favicon.svg; this only quiets browsers that ask anyway.
    response.writeHead(204, { "cache-control": "public, max-age=86400" }).end();
    return;
  }
  const page = reading && Object.hasOwn(pages, pathname) ? pages[pathname] : undefined;
  if (page) return page(context, request, response, url);
  if (method === "POST" && isAction(pathname)) return runAction(context, request, response, pathname);
  const shell = await shellOf(context);
  const allowed = [Object.hasOwn(pages, pathname) && "GET, HEAD", isAction(pathname) && "POST"].filter(Boolean);
  if (allowed.length > 0) {
    const markup = errorPage(shell, "Not allowed", "This page does not accept that kind of request.");
    sendHtml(response, 405, markup, [], { allow: allowed.join(", ") });
    return;
  }
  sendHtml(response, 404, errorPage(shell, "Page not found", "There is nothing at this address."));
}

function safeDecode(value: string): string | null {
  try {
    return decodeURIComponent(value);
  } catch {
    return null;
  }
}

async function failed(context: DemoContext, response: ServerResponse, error: unknown): Promise<void> {
  if (response.headersSent) {
    response.destroy();
    return;
  }
  let status = 500;
  let message = "Something went wrong on our side. Nothing was changed.";
  if (error instanceof FormTooLargeError) {
    status = 413;
    message = "That form was larger than the server accepts.";
  } else if (error instanceof StintError) {
    status = error.status;
    message = errorText(error.code, error.message);
  } else {
    console.error("stint: the demo page failed", error);
  }
  const title = status === 503 ? "Temporarily unavailable" : status === 413 ? "Too large" : "Something went wrong";
  const markup = errorPage(
    await shellOf(context).catch(() => ({ stylesUrl: "/assets/styles.css", scriptUrl: "/assets/app.js" })),
    title,
    message,
  );
  sendHtml(response, status, markup);
}
