import type { ServerResponse } from "node:http";
import type { Session } from "../../core/session.js";
import type { JsonObject } from "../../stores/store.js";
import type { MaybePromise, StintHost } from "../host.js";
import { appendSetCookie, type CommitOutcome, commitAfterRoute, needsCookie } from "./shared.js";

type Send = (answer: Response, response: ServerResponse) => Promise<void>;
type WriteHeadArgs = Parameters<ServerResponse["writeHead"]>;

/** What a response whose session is still to be committed carries until its `end`. */
interface PendingCommit {
  readonly stint: StintHost<JsonObject>;
  readonly session: Session<JsonObject>;
  readonly send: Send;
  /** The head the route wrote, held back until the commit is done. */
  head: WriteHeadArgs | null;
  /** The route began to stream: its head went out, only `end` is still held. */
  streaming: boolean;
  /** `end` ran: the hooks step aside. */
  ended: boolean;
  readonly writeHead: ServerResponse["writeHead"];
  readonly write: ServerResponse["write"];
  readonly end: ServerResponse["end"];
}

const PENDING = Symbol("stint.pendingCommit");
type HookedResponse = ServerResponse & { [PENDING]: PendingCommit };

/**
 * node:http and Express: the session is committed before the response head goes out, the way
 * express-session saves. `writeHead` is held back and `end` deferred until the commit is done,
 * and its `Set-Cookie` values join the answer. A route that streams (`write` before `end`)
 * sends its head at the first write: a change that then needs a cookie (a sign-in, a new
 * session) is refused loudly (logged, not written), while one that needs none (data, state,
 * activity) is still written at the end.
 *
 * The hooks are set on the response itself (a mounted Express app swaps the prototype of
 * `res`, so hooks on a prototype would be lost), as three functions shared by every response
 * that find their request's state under a symbol: closures made per request cost each read
 * request about 3 µs more (measured).
 */
export function commitBeforeEnd(
  stint: StintHost<JsonObject>,
  session: Session<JsonObject>,
  response: ServerResponse,
  send: Send,
): void {
  const { writeHead, write, end } = response;
  (response as HookedResponse)[PENDING] = {
    stint,
    session,
    send,
    head: null,
    streaming: false,
    ended: false,
    writeHead,
    write,
    end,
  };
  response.writeHead = holdHead as ServerResponse["writeHead"];
  response.write = writeAfterHead as ServerResponse["write"];
  response.end = endAfterCommit as ServerResponse["end"];
}

function holdHead(this: HookedResponse, ...args: unknown[]) {
  const pending = this[PENDING];
  if (pending.streaming || pending.ended) return pending.writeHead.apply(this, args as WriteHeadArgs);
  pending.head = args as WriteHeadArgs;
  if (typeof args[0] === "number") this.statusCode = args[0];
  return this;
}

function writeAfterHead(this: HookedResponse, ...args: unknown[]) {
  const pending = this[PENDING];
  // Streaming begins: the head goes out now (node:http writes it implicitly otherwise).
  if (!pending.streaming && !pending.ended) {
    pending.streaming = true;
    releaseHead(this, pending, []);
  }
  return pending.write.apply(this, args as Parameters<ServerResponse["write"]>);
}

function endAfterCommit(this: HookedResponse, ...args: unknown[]) {
  const pending = this[PENDING];
  const finish = () => pending.end.apply(this, args as Parameters<ServerResponse["end"]>);
  if (pending.ended) return finish();
  pending.ended = true;
  return commitThenEnd(this, pending, finish);
}

function commitThenEnd(response: HookedResponse, pending: PendingCommit, finish: () => unknown): HookedResponse {
  const { stint, session, send } = pending;
  if (response.headersSent && needsCookie(session)) {
    console.error(
      "stint: the session changed after the response head was sent, so its cookie could not be set; " +
        "the change was not saved. Commit the session before streaming a response.",
    );
    finish();
    return response;
  }
  const answer = (outcome: CommitOutcome) => {
    if ("failure" in outcome && !response.headersSent) {
      pending.head = null;
      response.removeHeader("content-length");
      response.removeHeader("content-type");
      return void send(outcome.failure, response);
    }
    releaseHead(response, pending, "cookies" in outcome ? outcome.cookies : []);
    if ("cookies" in outcome && outcome.cookies.length > 0 && !response.headersSent) {
      appendSetCookie(response, outcome.cookies);
    }
    finish();
  };
  let outcome: MaybePromise<CommitOutcome>;
  try {
    outcome = commitAfterRoute(stint, session, response.statusCode);
  } catch (error) {
    outcome = Promise.reject(error);
  }
  // Nothing to commit (most reads): the answer goes out now, not a promise later.
  if (!(outcome instanceof Promise)) answer(outcome);
  else {
    outcome.then(answer, (error: unknown) => {
      console.error("stint: committing the session failed", error);
      response.destroy();
    });
  }
  return response;
}

/** Writes the held head (if any), with the commit's cookies. */
function releaseHead(response: HookedResponse, pending: PendingCommit, cookies: readonly string[]): void {
  const head = pending.head;
  pending.head = null;
  if (!head) return;
  if (cookies.length > 0) {
    appendSetCookie(response, cookies);
    // Headers given to writeHead itself win over setHeader's: add the cookies there too.
    const given = head.find((arg) => typeof arg === "object" && arg !== null && !Array.isArray(arg));
    const headers = given as Record<string, unknown> | undefined;
    const name = headers && Object.keys(headers).find((key) => key.toLowerCase() === "set-cookie");
    if (headers && name) headers[name] = [headers[name], ...cookies].flat();
  }
  response.writeHead(...head);
}
