import { randomBytes } from "node:crypto";
import { createStint, type Stint } from "../../app/stint.js";
import { scanAll } from "../../stores/scan-all.js";
import type { SessionRecord } from "../../stores/store.js";
import { type Command, type FlagSpec, readFlags, storeUrlFlag, stringFlag, UsageError } from "../args.js";
import { DEFAULT_STORE_URL, type OpenedBackend, openBackend } from "../context.js";

export const sessionsFlags: Record<string, FlagSpec> = {
  user: { type: "string" },
  all: { type: "boolean" },
  store: { type: "string", env: "STINT_STORE", default: DEFAULT_STORE_URL },
  json: { type: "boolean" },
};

/** `stint sessions list [--user NAME]` and `stint sessions revoke (ID | --user NAME | --all)`. */
export async function sessionsCommand(argv: string[], out: (line: string) => void = console.log): Promise<void> {
  const [action, ...rest] = argv;
  if (action !== "list" && action !== "revoke") {
    throw new UsageError(action === undefined ? "Say list or revoke." : `Unknown action ${JSON.stringify(action)}.`);
  }
  const { flags, positionals } = readFlags(rest, sessionsFlags, { maxPositionals: action === "revoke" ? 1 : 0 });
  const backend = await openBackend(storeUrlFlag(flags, "store") ?? DEFAULT_STORE_URL);
  if (action === "list") {
    try {
      await list(backend, stringFlag(flags, "user"), flags.json === true, out);
    } finally {
      await backend.close();
    }
    return;
  }
  // Revocations go through Stint itself, so their events travel over the store's own channel
  // (Redis pub/sub, PostgreSQL NOTIFY) and end open tabs on running servers at once, as a
  // revocation over HTTP does. No cookie is ever issued here: a throwaway secret serves.
  const stint = createStint({
    store: backend.store,
    secret: randomBytes(32).toString("base64url"),
    cleanupInterval: 0,
  });
  try {
    await revoke(stint, backend, positionals[0], stringFlag(flags, "user"), flags.all === true, out);
  } finally {
    // Closes the store too, after the events are sent.
    await stint.close();
  }
}

async function userIdOf(backend: OpenedBackend, username: string): Promise<string> {
  const user = await backend.users.findByUsername(username);
  if (!user) throw new UsageError(`No user named ${JSON.stringify(username)}.`);
  return user.id;
}

async function list(backend: OpenedBackend, username: string | undefined, json: boolean, out: (line: string) => void) {
  const records = username
    ? await backend.store.listByUser(await userIdOf(backend, username), Date.now())
    : await collect(scanAll(backend.store));
  const names = new Map<string, string>();
  for (const record of records) {
    if (record.userId && !names.has(record.userId)) {
      names.set(record.userId, (await backend.users.findById(record.userId))?.username ?? record.userId);
    }
  }
  const rows = records.map((record) => ({
    id: record.id,
    user: record.userId ? (names.get(record.userId) ?? record.userId) : null,
    createdAt: new Date(record.createdAt).toISOString(),
    lastSeenAt: new Date(record.lastSeenAt).toISOString(),
    expiresAt: new Date(record.expiresAt).toISOString(),
    persistent: record.persistent,
    userAgent: record.meta.userAgent,
    ip: record.meta.ip,
  }));
  if (json) {
    out(JSON.stringify(rows, null, 2));
    return;
  }
  out(["id", "user", "last seen", "expires", "ip", "user agent"].join("\t"));
  for (const row of rows) {
    out(
      [row.id, row.user ?? "(anonymous)", row.lastSeenAt, row.expiresAt, row.ip ?? "", row.userAgent ?? ""].join("\t"),
    );
  }
  out(`${rows.length} live session${rows.length === 1 ? "" : "s"}`);
}

async function revoke(
  stint: Stint,
  backend: OpenedBackend,
  id: string | undefined,
  username: string | undefined,
  all: boolean,
  out: (line: string) => void,
) {
  const chosen = [id !== undefined, username !== undefined, all].filter(Boolean).length;
  if (chosen !== 1) throw new UsageError("Give exactly one of: a session id, --user NAME, or --all.");
  let revoked = 0;
  if (id !== undefined) {
    revoked = (await stint.sessions.revoke(id)) ? 1 : 0;
    if (revoked === 0) throw new UsageError(`No live session with id ${JSON.stringify(id)}.`);
  } else if (username !== undefined) {
    revoked = (await stint.sessions.revokeUser(await userIdOf(backend, username))).length;
  } else {
    // Collect first, then delete: deleting while paging would skip records.
    const ids = [];
    for await (const record of scanAll(backend.store)) ids.push(record.id);
    for (const sessionId of ids) if (await stint.sessions.revoke(sessionId)) revoked++;
  }
  out(`Revoked ${revoked} session${revoked === 1 ? "" : "s"}.`);
}

async function collect(records: AsyncIterable<SessionRecord>): Promise<SessionRecord[]> {
  const all: SessionRecord[] = [];
  for await (const record of records) all.push(record);
  return all;
}

export const sessionsCli: Command = {
  usage: `Usage: stint sessions list [--user NAME] [--store URL] [--json]
       stint sessions revoke (ID | --user NAME | --all) [--store URL]

list     every live session, or only NAME's, newest first
revoke   one session by id, every session of NAME, or every session

  --user NAME   a user of the demo accounts
  --all         (revoke) every live session
  --store URL   the session store (env STINT_STORE; default ${DEFAULT_STORE_URL})
  --json        (list) print JSON instead of a table`,
  run: (argv) => sessionsCommand(argv),
};
