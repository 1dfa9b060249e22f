#!/usr/bin/env node
import { UsageError } from "./args.js";
import { cleanupCommand, statsCommand } from "./commands/maintenance.js";
import { migrateCommand } from "./commands/migrate.js";
import { serveCommand } from "./commands/serve.js";
import { sessionsCommand } from "./commands/sessions.js";

const USAGE = `stint — server-side sessions

Usage:
  stint serve [--port 3000] [--host 127.0.0.1] [--store URL] [--secret S]
              [--idle-timeout 24h] [--absolute-timeout 7d] [--remember-timeout 30d]
              [--max-sessions-per-user N] [--secure] [--allowed-origin URL]... [--workers N]
              [--bind-user-agent] [--trust-proxy] [--audit-log PATH|-] [--data-dir ./data]
              [--cookie-name N] [--cookie-domain D] [--same-site lax|strict|none]
  stint sessions list [--user NAME] [--store URL] [--json]
  stint sessions revoke (ID | --user NAME | --all) [--store URL]
  stint cleanup [--store URL]
  stint stats [--store URL] [--json]
  stint migrate --from URL --to URL [--after ID]

Store URLs: memory:, sqlite:./data/stint.db (default), file:./data/sessions,
            redis://127.0.0.1:6379/0, redis+cluster://host:port[,host:port…],
            postgres://user@127.0.0.1:5432/db
Durations: 90, 90s, 30m, 24h, 7d. Every flag also reads an environment variable
(--port ← PORT, --store ← STINT_STORE, --secret ← STINT_SECRET, …).`;

const commands: Record<string, (argv: string[]) => Promise<void>> = {
  serve: serveCommand,
  sessions: sessionsCommand,
  cleanup: cleanupCommand,
  stats: statsCommand,
  migrate: migrateCommand,
};

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === "help" || name === "--help" || name === "-h") {
    console.log(USAGE);
    return name === undefined ? 2 : 0;
  }
  const command = commands[name];
  if (!command) {
    console.error(`Unknown command ${JSON.stringify(name)}.\n\n${USAGE}`);
    return 2;
  }
  try {
    await command(rest);
    return 0;
  } catch (error) {
    if (error instanceof UsageError) {
      console.error(`stint ${name}: ${error.message}`);
      return 2;
    }
    console.error(`stint ${name}: ${(error as Error).message}`);
    return 1;
  }
}

main(process.argv.slice(2)).then((code) => {
  // `serve` keeps running; the others exit with their status.
  if (code !== 0 || process.argv[2] !== "serve") process.exitCode = code;
  // A failed command ends even if something it opened (a store client) still holds the event
  // loop: never a `serve` that neither serves nor exits. Unref'd, so a clean exit comes first.
  if (code !== 0) setTimeout(() => process.exit(code), 1_000).unref();
});
