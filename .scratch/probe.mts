import express from "express";
import { createStint } from "../src/app/stint.js";
import { memoryStore } from "../src/stores/memory.js";
import { stintExpress } from "../src/adapters/express.js";
const stint = createStint({ store: memoryStore(), secret: "x".repeat(40) });
const seen: string[] = [];
const app = express();
app.use(express.json(), express.urlencoded());
app.use((req, _res, next) => { seen.push(`${req.method} ${req.path} body=${JSON.stringify(req.body)}`); next(); });
app.use(stintExpress(stint));
const server = app.listen(0, async () => {
  const base = `http://127.0.0.1:${(server.address() as any).port}`;
  const t = await fetch(`${base}/api/session/csrf-token`);
  const cookie = t.headers.getSetCookie()[0]!.split(";")[0]!;
  const { csrfToken } = await t.json() as any;
  const h = { cookie, "x-csrf-token": csrfToken, "content-type": "application/json" };
  for (const body of ['{"set":{"a":1}}', "{not json", "null", JSON.stringify({ set: { big: "x".repeat(70 * 1024) } }), JSON.stringify({ set: { big: "x".repeat(120 * 1024) } })]) {
    const r = await fetch(`${base}/api/session/state`, { method: "PATCH", headers: h, body });
    console.log(r.status, r.headers.get("content-type"), (await r.text()).slice(0, 100));
  }
  const f = await fetch(`${base}/api/session/extend`, { method: "POST", headers: { cookie, "content-type": "application/x-www-form-urlencoded" }, body: `_csrf=${csrfToken}` });
  console.log("form", f.status);
  console.log(seen.map((s) => s.slice(0, 80)));
  server.close(); await stint.close();
});
