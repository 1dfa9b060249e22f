import { openStoreUrl, redact } from "../../stores/from-url.js";
import { migrateSessions } from "../../stores/migrate.js";
import { type Command, type FlagSpec, readFlags, storeUrlFlag, stringFlag, UsageError } from "../args.js";

export const migrateFlags: Record<string, FlagSpec> = {
  from: { type: "string" },
  to: { type: "string" },
  after: { type: "string" },
};

/** `stint migrate --from URL --to URL [--after ID]`: copy live sessions, nothing lost. */
export async function migrateCommand(argv: string[], out: (line: string) => void = console.log): Promise<void> {
  const { flags } = readFlags(argv, migrateFlags);
  const fromUrl = storeUrlFlag(flags, "from");
  const toUrl = storeUrlFlag(flags, "to");
  if (!fromUrl || !toUrl) throw new UsageError("Give both --from URL and --to URL.");
  // Only the stores: migration never touches the demo's users.
  const from = { ...(await openStoreUrl(fromUrl)), label: redact(fromUrl) };
  const to = await openStoreUrl(toUrl).then(
    (opened) => ({ ...opened, label: redact(toUrl) }),
    async (error) => {
      await from.store.close();
      throw error;
    },
  );
  try {
    const report = await migrateSessions(from.store, to.store, {
      after: stringFlag(flags, "after"),
      onProgress: (progress) => out(`… ${progress.read} read, ${progress.copied} copied (last id ${progress.lastId})`),
    });
    out(
      `Migrated ${from.label} → ${to.label}: ${report.read} live sessions read, ${report.copied} copied, ${report.skipped} already there.`,
    );
    const counted = async (store: typeof from.store) => (store.count ? String(await store.count(Date.now())) : "?");
    out(`Live sessions now: ${await counted(from.store)} in the source, ${await counted(to.store)} in the target.`);
    if (report.mismatched.length > 0) {
      throw new Error(`${report.mismatched.length} sessions differ after copying, e.g. ${report.mismatched[0]}.`);
    }
    out("Every copied session was read back and matches its source.");
  } finally {
    await Promise.all([from.store.close(), to.store.close()]);
  }
}

export const migrateCli: Command = {
  usage: `Usage: stint migrate --from URL --to URL [--after ID]

Copies every live session from one store to another, reads each back and compares it;
sessions already in the target are kept. Safe to run again, or to resume with --after.

  --from URL    the store to copy from (sqlite:…, redis://…, postgres://…, file:…)
  --to URL      the store to copy into
  --after ID    start after this session id (resume an interrupted run)`,
  run: (argv) => migrateCommand(argv),
};
