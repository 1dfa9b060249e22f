/**
 * Stint on Next.js (App Router). Run: `node --import tsx examples/next/serve.ts` (PORT,
 * STINT_DB, STINT_SECRET), or `next dev examples/next`.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { fileURLToPath } from "node:url";
import next from "next";

const server = createServer();
server.listen(Number(process.env.PORT ?? 3000), "127.0.0.1", async () => {
  const { port } = server.address() as AddressInfo;
  const app = next({ dev: true, dir: fileURLToPath(new URL(".", import.meta.url)), hostname: "127.0.0.1", port });
  await app.prepare();
  server.on("request", app.getRequestHandler());
  console.log(`listening on http://127.0.0.1:${port}`);
});
