/**
 * A child process serving one variant of the read path, so its CPU is measured apart from
 * the load generator. Variants: "bare" (node:http, no sessions), "stint-sqlite",
 * "stint-memory". Prints `ready <port>` and answers `stats` messages with its CPU time
 * and the store writes it saw.
 */
import { mkdtempSync } from "node:fs";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createStint } from "../../src/app/stint.js";
import { nodeSessions } from "../../src/http/adapters/node.js";
import { memoryStore } from "../../src/stores/memory.js";
import { sqliteStore } from "../../src/stores/sqlite.js";
import type { Store } from "../../src/stores/store.js";
import { countingStore } from "../../test/support/counting-store.js";

const variant = process.argv[2] ?? "bare";
const BODY = JSON.stringify({ ok: true });
const SECRET = "bench-secret-0123456789abcdefghijklmnopqrstuvwxyz";

async function main() {
  let listener: (request: IncomingMessage, response: ServerResponse) => void;
  let writes = () => 0;
  if (variant === "bare") {
    listener = (_request, response) => {
      response.writeHead(200, { "content-type": "application/json" }).end(BODY);
    };
  } else {
    const raw: Store =
      variant === "stint-memory"
        ? memoryStore({ maxEntries: 100_000 })
        : sqliteStore({ path: join(mkdtempSync(join(tmpdir(), "stint-bench-")), "stint.db") });
    const counted = countingStore(raw);
    writes = counted.writes;
    const stint = createStint({ store: counted, secret: SECRET });
    const sessions = nodeSessions(stint);
    // One signed-in session, as a logged-in user's browser would hold.
    const seed = await stint.load(undefined, { userAgent: "bench" });
    seed.login("u_bench");
    const [cookie] = await stint.commit(seed);
    process.send?.({ cookie: cookie?.split(";")[0] });
    listener = (request, response) => {
      sessions.load(request).then(
        async (session) => {
          if (session.isNew) {
            response.writeHead(401).end();
            return;
          }
          await sessions.commit(response, session);
          response.writeHead(200, { "content-type": "application/json" }).end(BODY);
        },
        () => response.writeHead(503).end(),
      );
    };
  }
  const server = createServer(listener);
  server.keepAliveTimeout = 60_000;
  server.listen(0, "127.0.0.1", () => {
    const address = server.address();
    process.send?.({ ready: typeof address === "object" && address ? address.port : 0 });
  });
  process.on("message", (message: unknown) => {
    if (message === "stats") {
      const cpu = process.cpuUsage();
      process.send?.({ cpuMicros: cpu.user + cpu.system, writes: writes() });
    }
  });
}

main();
