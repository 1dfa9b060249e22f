import { openStoreUrl, redact } from "../../stores/from-url.js";
import { migrateSessions, migrateUserStates } from "../../stores/migrate.js";
import { type Command, type FlagSpec, readFlags, storeUrlFlag, stringFlag, UsageError } from "../args.js";
import { storeUrlOptions } from "../context.js";
import { duration, number, type ProgressOutput, progress, terminalOutput } from "../progress.js";

export const migrateFlags: Record<string, FlagSpec> = {
  from: { type: "string" },
  to: { type: "string" },
  after: { type: "string" },
};

/**
 * `stint migrate --from URL --to URL [--after ID]`: copy live sessions and user states,
 * nothing lost. Shows progress while it copies (sessions copied, rate, time left) and ends
 * with a summary.
 */
export async function migrateCommand(
  argv: string[],
  output: ProgressOutput | ((line: string) => void) = terminalOutput(),
): Promise<void> {
  const sink: ProgressOutput = typeof output === "function" ? { line: output } : output;
  const out = sink.line;
  const { flags } = readFlags(argv, migrateFlags);
  const fromUrl = storeUrlFlag(flags, "from");
  const toUrl = storeUrlFlag(flags, "to");
  if (!fromUrl || !toUrl) throw new UsageError("Give both --from URL and --to URL.");
  // Only the stores: migration never touches the demo's users.
  const from = { ...(await openStoreUrl(fromUrl, storeUrlOptions())), label: redact(fromUrl) };
  const to = await openStoreUrl(toUrl, storeUrlOptions()).then(
    (opened) => ({ ...opened, label: redact(toUrl) }),
    async (error) => {
      await from.store.close();
      throw error;
    },
  );
  try {
    // The live count is the total to expect (a resumed run, --after, copies fewer).
    const total = from.store.count ? await from.store.count(Date.now()).catch(() => null) : null;
    const shown = progress(sink, { noun: "sessions", total });
    let lastId: string | null = null;
    const report = await migrateSessions(from.store, to.store, {
      after: stringFlag(flags, "after"),
      onProgress: (sofar) => {
        lastId = sofar.lastId;
        shown.update(sofar.read);
      },
    }).catch((error: Error) => {
      shown.finish();
      // Where to resume from: the ids before it are copied.
      if (lastId !== null) out(`Stopped after ${lastId}: run again with --after ${lastId} to resume.`);
      throw error;
    });
    const elapsed = shown.finish();
    out(
      `Migrated ${from.label} → ${to.label}: ${report.read} live sessions read, ${report.copied} copied, ${report.skipped} already there.`,
    );
    out(
      `Took ${duration(elapsed / 1_000)}: ${number(Math.round((report.read * 1_000) / Math.max(1, elapsed)))} sessions a second.`,
    );
    const counted = async (store: typeof from.store) => (store.count ? String(await store.count(Date.now())) : "?");
    out(`Live sessions now: ${await counted(from.store)} in the source, ${await counted(to.store)} in the target.`);
    // User states outlive sessions: copied whole after them, each kept where the target has one.
    const states = await migrateUserStates(from.store, to.store);
    out(
      states
        ? `User states: ${states.read} read, ${states.copied} copied, ${states.skipped} already there.`
        : "User states: not copied (the source cannot list them, or the target cannot write them).",
    );
    if (report.mismatched.length > 0) {
      throw new Error(`${report.mismatched.length} sessions differ after copying, e.g. ${report.mismatched[0]}.`);
    }
    if (states && states.mismatched.length > 0) {
      throw new Error(
        `${states.mismatched.length} user states differ after copying, e.g. that of user ${states.mismatched[0]}.`,
      );
    }
    out(`Every copied session${states ? " and user state" : ""} was read back and matches its source.`);
  } finally {
    await Promise.all([from.store.close(), to.store.close()]);
  }
}

export const migrateCli: Command = {
  usage: `Usage: stint migrate --from URL --to URL [--after ID]

Copies every live session and every user's state from one store to another, reads each
back and compares it; sessions and states already in the target are kept. Safe to run
again, or to resume with --after. Shows progress (sessions copied, rate, time left) and ends with a summary. From redis://
to redis+cluster://, sessions spread over the cluster's masters (STINT_SHARD_KEY: the
servers' shard key).

  --from URL    the store to copy from (sqlite:…, redis://…, redis+cluster://…, postgres://…, file:…)
  --to URL      the store to copy into
  --after ID    start after this session id (resume an interrupted run)`,
  run: (argv) => migrateCommand(argv),
};
