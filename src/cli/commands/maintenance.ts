import { deleteExpiredInBatches } from "../../core/cleanup.js";
import { scanAll } from "../../stores/scan-all.js";
import { type Command, type FlagSpec, readFlags, storeUrlFlag } from "../args.js";
import { DEFAULT_STORE_URL, openBackend } from "../context.js";

export const storeFlags: Record<string, FlagSpec> = {
  store: { type: "string", env: "STINT_STORE", default: DEFAULT_STORE_URL },
  json: { type: "boolean" },
};

/** `stint cleanup`: delete expired sessions now, in bounded batches. */
export async function cleanupCommand(argv: string[], out: (line: string) => void = console.log): Promise<void> {
  const { flags } = readFlags(argv, storeFlags);
  const backend = await openBackend(storeUrlFlag(flags, "store") ?? DEFAULT_STORE_URL);
  try {
    const deleted = await deleteExpiredInBatches(backend.store, () => Date.now());
    out(`Deleted ${deleted} expired session${deleted === 1 ? "" : "s"}.`);
  } finally {
    await backend.close();
  }
}

/** `stint stats`: seed 004's session statistics, from the store. */
export async function statsCommand(argv: string[], out: (line: string) => void = console.log): Promise<void> {
  const { flags } = readFlags(argv, storeFlags);
  const backend = await openBackend(storeUrlFlag(flags, "store") ?? DEFAULT_STORE_URL);
  try {
    const now = Date.now();
    const health = await backend.store.health();
    let authenticated = 0;
    let persistent = 0;
    let total = 0;
    const users = new Set<string>();
    for await (const record of scanAll(backend.store, { now: () => now })) {
      total++;
      if (record.userId) {
        authenticated++;
        users.add(record.userId);
      }
      if (record.persistent) persistent++;
    }
    const stats = {
      store: { kind: backend.store.kind, url: backend.label, ok: health.ok, latencyMs: health.latencyMs },
      sessions: { active: total, authenticated, anonymous: total - authenticated, persistent },
      users: { withSessions: users.size, registered: await backend.users.count() },
    };
    if (flags.json === true) {
      out(JSON.stringify(stats, null, 2));
      return;
    }
    out(
      `store        ${stats.store.kind} (${stats.store.url}) ${health.ok ? "ok" : "UNAVAILABLE"}, ${health.latencyMs.toFixed(2)} ms`,
    );
    out(
      `sessions     ${total} active: ${authenticated} signed in, ${total - authenticated} anonymous, ${persistent} remembered`,
    );
    out(`users        ${users.size} with sessions, ${stats.users.registered} registered`);
  } finally {
    await backend.close();
  }
}

export const cleanupCli: Command = {
  usage: `Usage: stint cleanup [--store URL]

Deletes expired sessions now, in bounded batches (a running server does it every 10 minutes).

  --store URL   the session store (env STINT_STORE; default ${DEFAULT_STORE_URL})`,
  run: (argv) => cleanupCommand(argv),
};

export const statsCli: Command = {
  usage: `Usage: stint stats [--store URL] [--json]

Counts live sessions (signed in, anonymous, remembered) and users, and checks the store.

  --store URL   the session store (env STINT_STORE; default ${DEFAULT_STORE_URL})
  --json        print JSON instead of text`,
  run: (argv) => statsCommand(argv),
};
