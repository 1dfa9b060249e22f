#!/usr/bin/env node
import { redactUrlsIn } from "../stores/from-url.js";
import { asksForHelp, type Command, UsageError } from "./args.js";
import { cleanupCli, statsCli } from "./commands/maintenance.js";
import { migrateCli } from "./commands/migrate.js";
import { serveCli } from "./commands/serve.js";
import { sessionsCli } from "./commands/sessions.js";

const USAGE = `stint — server-side sessions

Usage:
  stint serve [--port 3000] [--host 127.0.0.1] [--store URL] [--secret S]
              [--idle-timeout 24h] [--absolute-timeout 7d] [--remember-timeout 30d]
              [--max-sessions-per-user N] [--secure] [--allowed-origin URL]... [--workers N]
              [--bind-user-agent] [--trust-proxy [HOPS]] [--audit-log PATH|-] [--data-dir ./data]
              [--cookie-name N] [--cookie-domain D] [--same-site lax|strict|none]
              [--admin-token T]
  stint sessions list [--user NAME] [--store URL] [--json]
  stint sessions revoke (ID | --user NAME | --all) [--store URL]
  stint cleanup [--store URL]
  stint stats [--store URL] [--json]
  stint migrate --from URL --to URL [--after ID]

  stint COMMAND --help    that command's flags

Store URLs: memory:, sqlite:./data/stint.db (default), file:./data/sessions,
            redis://127.0.0.1:6379/0, redis+cluster://host:port[,host:port…],
            postgres://user@127.0.0.1:5432/db
Durations: 90, 90s, 30m, 24h, 7d. Every flag also reads an environment variable
(--port ← PORT, --store ← STINT_STORE, --secret ← STINT_SECRET, …).`;

const commands: Record<string, Command> = {
  serve: serveCli,
  sessions: sessionsCli,
  cleanup: cleanupCli,
  stats: statsCli,
  migrate: migrateCli,
};

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === "help" || name === "--help" || name === "-h") {
    // `stint help serve` is `stint serve --help`.
    const topic = name === "help" && rest[0] !== undefined ? commands[rest[0]] : undefined;
    if (topic) console.log(topic.usage);
    else if (name === undefined) console.error(USAGE);
    else console.log(USAGE);
    return name === undefined ? 2 : 0;
  }
  const command = Object.hasOwn(commands, name) ? commands[name] : undefined;
  if (!command) {
    console.error(`Unknown command ${JSON.stringify(name)}.\n\n${USAGE}`);
    return 2;
  }
  if (asksForHelp(rest)) {
    console.log(command.usage);
    return 0;
  }
  try {
    await command.run(rest);
    return 0;
  } catch (error) {
    // A driver's error may quote a store URL: never with its password.
    const message = redactUrlsIn((error as Error).message ?? String(error));
    if (error instanceof UsageError) {
      console.error(`stint ${name}: ${message}\n\n${command.usage}`);
      return 2;
    }
    console.error(`stint ${name}: ${message}`);
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
