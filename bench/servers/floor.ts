/**
 * The floor of issue 7: a hand-written hashed-token check on node:http and better-sqlite3,
 * no library. A token `<id>.<secret>` names a row holding SHA-256(secret) and an expiry.
 */
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import { join } from "node:path";
import Database from "better-sqlite3";
import { listen, MethodCounter, type RunningVariant, routeOf, sendOk, type VariantContext } from "./common.js";

const COOKIE = "floor_session";

export async function startFloor(context: VariantContext): Promise<RunningVariant> {
  const db = new Database(join(context.dir, "floor.db"));
  db.pragma("journal_mode = WAL");
  db.exec("CREATE TABLE sessions (id TEXT PRIMARY KEY, hash BLOB NOT NULL, expires_at INTEGER NOT NULL) WITHOUT ROWID");
  const select = db.prepare("SELECT hash, expires_at FROM sessions WHERE id = ?").raw(true);
  const insert = db.prepare("INSERT INTO sessions VALUES (?, ?, ?)");
  const counter = new MethodCounter(new Set(["insert"]));
  const running = await listen((request, response) => {
    const route = routeOf(request.method, request.url);
    if (route === "login") {
      const id = randomBytes(16).toString("base64url");
      const secret = randomBytes(32).toString("base64url");
      counter.count("insert");
      insert.run(id, createHash("sha256").update(secret).digest(), Date.now() + 86_400_000);
      response.setHeader("set-cookie", `${COOKIE}=${id}.${secret}; Path=/; HttpOnly; SameSite=Lax`);
      return sendOk(response);
    }
    if (route !== "read") return void response.writeHead(404).end();
    const cookie = request.headers.cookie ?? "";
    const start = cookie.indexOf(`${COOKIE}=`);
    const token = start === -1 ? "" : cookie.slice(start + COOKIE.length + 1).split(";", 1)[0];
    const dot = token?.indexOf(".") ?? -1;
    counter.count("select");
    const row = dot > 0 ? (select.get(token?.slice(0, dot)) as [Buffer, number] | undefined) : undefined;
    const hash = createHash("sha256")
      .update(token?.slice(dot + 1) ?? "")
      .digest();
    if (!row || row[1] <= Date.now() || !timingSafeEqual(row[0], hash)) return void response.writeHead(401).end();
    sendOk(response);
  });
  const close = async () => {
    await running.close();
    db.close();
  };
  return { port: running.port, counters: counter, close };
}
