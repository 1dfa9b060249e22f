/**
 * node:http without sessions (the common baseline) and Stint through its node adapter, as
 * examples/node.ts uses it: load (given the response), guard, change; the adapter commits
 * before the head is written.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { assertSession, StintError } from "stint";
import { nodeSessions } from "stint/adapters/node";
import {
  listen,
  NO_COUNTERS,
  nextCounter,
  type RunningVariant,
  routeOf,
  sendOk,
  USER_ID,
  type VariantContext,
} from "./common.js";
import { benchStint } from "./stint.js";

export async function startNone(): Promise<RunningVariant> {
  const running = await listen((request, response) => {
    if (routeOf(request.method, request.url)) sendOk(response);
    else response.writeHead(404).end();
  });
  return { ...running, counters: NO_COUNTERS };
}

export async function startStint(context: VariantContext): Promise<RunningVariant> {
  const { stint, counters } = await benchStint(context);
  const sessions = nodeSessions(stint);
  const app = async (request: IncomingMessage, response: ServerResponse) => {
    const route = routeOf(request.method, request.url);
    if (!route) return void response.writeHead(404).end();
    // As the README writes it: given the response, the session is committed before the head.
    const session = await sessions.load(request, response);
    try {
      if (route === "read") assertSession(session, { authenticated: true });
      else if (route === "write") {
        assertSession(session);
        session.set("counter", nextCounter());
      } else session.login(USER_ID);
    } catch (error) {
      if (!(error instanceof StintError)) throw error;
      return void response.writeHead(error.status).end();
    }
    sendOk(response);
  };
  const running = await listen((request, response) => {
    app(request, response).catch(() => response.writeHead(503).end());
  });
  const close = async () => {
    await running.close();
    await stint.close();
  };
  return { port: running.port, counters, close };
}
