import type { CommitOptions } from "../core/manager.js";
import type { ClientContext, Session } from "../core/session.js";
import type { JsonObject } from "../stores/store.js";
import type { SessionCredentials } from "./credentials.js";
import type { GuardedRequest } from "./guards.js";
import type { StintHandler } from "./handler.js";

/**
 * What a framework adapter needs of Stint, and all it may use: the API as a Web handler, the
 * cheap per-request load and commit for the app's own routes, the CSRF guard and the
 * cookie's settings. `createStint` returns one; adapters depend on nothing else.
 *
 * Methods, not function-valued properties: an adapter typed for one session data shape then
 * accepts a Stint built for another (TypeScript compares method parameters bivariantly).
 */
export interface StintHost<Data extends JsonObject = JsonObject> {
  /** API.md's routes as `(Request) => Promise<Response>`. */
  readonly handler: StintHandler;
  /**
   * The session of a request: from its `Cookie` header (a string), or from its `Cookie` and
   * `Authorization` headers (`{ cookie, authorization }`: a bearer token then works too, and
   * both at once throw BadRequestError). No Web Request is built: the hot path.
   */
  load(credentials: string | null | undefined | SessionCredentials, client?: ClientContext): Promise<Session<Data>>;
  /** Writes what the request changed; the `Set-Cookie` values to send. */
  commit(session: Session<Data>, options?: CommitOptions): Promise<string[]>;
  /** For unsafe methods, the Origin check, then the session's CSRF token (403 otherwise). */
  assertCsrf(session: Session<Data>, request: GuardedRequest): void;
  /** The session's CSRF token (it has one once stored). */
  csrfToken(session: Session<Data>): string;
  /** The cookie's name, and whether cookies are secure (then the server is reached over HTTPS). */
  readonly cookie: { readonly name: string; readonly secure: boolean };
  /** Stops Stint (its store, transports, timers). */
  close(): Promise<void>;
}
