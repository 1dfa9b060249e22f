/** The Markdown of a run (bench/results/latest.md; the README's tables are taken from it). */
import type { Framework } from "../servers/common.js";
import { counts, fixed, int, perRequest, ratio, table } from "./format.js";
import { FRAMEWORK_NAMES, STORE_NAMES } from "./labels.js";
import type { RequestRow } from "./requests.js";
import type { Results } from "./results.js";

const sum = (values: Record<string, number> | null) => Object.values(values ?? {}).reduce((a, b) => a + b, 0);

function requestTable(rows: readonly RequestRow[], what: string): string[] {
  return table(
    [
      "variant",
      "requests/s",
      "× bare node:http",
      "× same framework without sessions",
      "server CPU per request",
      "CPU × bare",
      `store writes per ${what}`,
      `Redis commands per ${what}`,
    ],
    ["l", "r", "r", "r", "r", "r", "r", "r"],
    rows.map((row) => [
      row.kind === "stint" ? `**${row.label}**` : row.label,
      int(row.requestsPerSecond),
      fixed(row.ratioToBare),
      ratio(row.ratioToFramework),
      `${fixed(row.cpuMicrosPerRequest, 1)} µs`,
      ratio(row.cpuRatioToBare),
      row.session === "none" || row.session === "iron-session" ? "–" : perRequest(row.writesPerRequest),
      row.redisCommandsPerRequest ? perRequest(sum(row.redisCommandsPerRequest)) : "–",
    ]),
  );
}

/** Issue 6: per framework, Stint's ratio and the incumbent's, both to the framework alone. */
function frameworkTable(rows: readonly RequestRow[]): string[] {
  const frameworks: Framework[] = ["express", "fastify", "hono"];
  const lines: string[][] = [];
  for (const framework of frameworks) {
    const alone = rows.find((row) => row.framework === framework && row.session === "none");
    const stint = rows.filter((row) => row.framework === framework && row.session === "stint");
    const incumbents = rows.filter((row) => row.framework === framework && row.kind === "incumbent");
    if (!alone) continue;
    lines.push([
      FRAMEWORK_NAMES[framework],
      fixed(alone.ratioToBare),
      stint.map((row) => `${STORE_NAMES[row.store ?? "memory"]} ${ratio(row.ratioToFramework)}`).join(", "),
      incumbents.map((row) => `${row.label} ${ratio(row.ratioToFramework)}`).join("; "),
    ]);
  }
  return table(
    ["framework", "alone, × bare node:http", "Stint, × framework alone", "incumbent, × framework alone"],
    ["l", "r", "l", "l"],
    lines,
  );
}

/** Issue 13: how evenly a Redis Cluster's masters share sessions and commands. */
function clusterSpreadSection(results: Results): string[] {
  const spread = results.clusterSpread;
  if (!spread) return ["## Sessions over a Redis Cluster", "", "Left out: no Redis Cluster could be started.", ""];
  const sessions = spread.masters.reduce((sum, master) => sum + master.sessions, 0);
  const commands = spread.masters.reduce((sum, master) => sum + master.commands, 0);
  const share = (part: number, whole: number) => `${((100 * part) / Math.max(1, whole)).toFixed(1)} %`;
  return [
    `## Sessions over a Redis Cluster (${int(spread.users)} users signed in, each session read once, ${fixed(spread.seconds, 1)} s)`,
    "",
    ...table(
      ["master", "sessions held", "share", "commands run", "share"],
      ["l", "r", "r", "r", "r"],
      spread.masters.map((master) => [
        `127.0.0.1:${master.port}`,
        int(master.sessions),
        share(master.sessions, sessions),
        int(master.commands),
        share(master.commands, commands),
      ]),
    ),
    "",
    "Each signed-in session lives in its user's bucket (1,024 buckets, one hash slot each, spread over the slot ranges): a sign-in is one script and a WAIT on the user's master, a read one HGETALL there (docs/scale-out.md).",
    "",
  ];
}

export function renderMarkdown(results: Results): string {
  const { machine } = results;
  const lines: string[] = [
    "# Stint benchmark results",
    "",
    `${results.startedAt}, Node ${results.node}, ${machine.cpus} × ${machine.model}, ${results.quick ? "quick" : "full"} run (${Math.round(results.seconds)} s). Load average at start ${machine.loadAverageAtStart.map((v) => v.toFixed(1)).join(" / ")}.`,
    "Every ratio compares variants measured in the same run, alternating round by round (each group of variants next to bare node:http); absolute numbers depend on the machine and whatever else runs on it.",
    "",
    "## Targets",
    "",
    ...table(
      ["target", "measured", "met"],
      ["l", "l", "l"],
      results.targets.map((check) => [check.target, check.measured, check.met ? "yes" : "**no**"]),
    ),
    "",
    `## Read requests (GET of a session-protected route with a valid session cookie, 10 connections, ${results.profile.rounds} × ${results.profile.seconds} s per variant)`,
    "",
    ...requestTable(results.read.rows, "read"),
    "",
    "### Each framework: Stint and the incumbent, as a ratio to the framework without sessions",
    "",
    ...frameworkTable(results.read.rows),
    "",
    "## Write requests (POST setting one session key)",
    "",
    ...requestTable(results.write.rows, "write"),
    "",
    "## Login requests (POST calling `session.login(userId)` on a signed-in session: rotation, no password hashing)",
    "",
    ...requestTable(results.login.rows, "login"),
    "",
    `## Store operations per request (${int(results.profile.opsRequests)} requests per variant and route)`,
    "",
    ...table(
      [
        "variant",
        "route",
        "store calls per request",
        "writes",
        "Redis round trips per request",
        "Redis commands per request (INFO commandstats, inside scripts too)",
      ],
      ["l", "l", "l", "r", "r", "l"],
      results.storeOps.map((row) => [
        row.label,
        row.route,
        counts(row.calls),
        perRequest(row.writes),
        row.roundTrips === null ? "–" : perRequest(row.roundTrips),
        counts(row.redis),
      ]),
    ),
    "",
    "## Cache invalidation lag across two processes",
    "",
    ...table(
      ["store", "revocations", "p50", "p99", "max"],
      ["l", "r", "r", "r", "r"],
      results.cacheLag.map((lag) => [
        STORE_NAMES[lag.store],
        int(lag.samples),
        `${fixed(lag.p50Ms, 2)} ms`,
        `${fixed(lag.p99Ms, 2)} ms`,
        `${fixed(lag.maxMs, 2)} ms`,
      ]),
    ),
    "",
    "From process A's revocation being acknowledged to process B's event stream for that session saying `revoked`, B having read the session into its cache first. The invalidation comes before the stream event on B's link, so this bounds the invalidation lag from above (it includes B writing the event and A's reading it over HTTP).",
    "",
    ...clusterSpreadSection(results),
    "## Scale",
    "",
    ...table(
      [
        "store",
        "sessions",
        "bulk insert",
        "lookup p50",
        "lookup p99",
        "lookup max",
        "expired sessions cleaned up",
        "cleanup time",
        "longest event-loop stall during cleanup",
        "of it on CPU",
        "longest batch",
      ],
      ["l", "r", "l", "r", "r", "r", "r", "r", "r", "r", "r"],
      results.scale.results.map((row) => [
        STORE_NAMES[row.store as keyof typeof STORE_NAMES] ?? row.store,
        int(row.sessions),
        `${fixed(row.insertSeconds, 1)} s (${row.insertPath})`,
        `${fixed(row.lookupP50Ms, 3)} ms`,
        `${fixed(row.lookupP99Ms, 3)} ms`,
        `${fixed(row.lookupMaxMs, 2)} ms`,
        `${int(row.deleted)} of ${int(row.expired)}`,
        `${fixed(row.cleanupSeconds, 2)} s`,
        `${fixed(row.cleanupMaxStallMs, 1)} ms`,
        `${fixed(row.cleanupMaxOnCpuMs, 1)} ms`,
        `${fixed(row.cleanupLongestBatchMs, 1)} ms`,
      ]),
    ),
    "",
    `Lookups: ${int(results.profile.lookups)} store.get calls of random live ids, each timed alone. Cleanup: deleteExpiredInBatches with its defaults (${results.scale.results.map((row) => `${row.store}: ${int(row.cleanupBatches)} batches of up to ${int(row.cleanupBatchSize)}`).join("; ")}; yielding between batches), stall from monitorEventLoopDelay (1 ms resolution), which also counts time the process waited for a core on a busy machine; "of it on CPU" is the most CPU time the process used between two turns of a 1 ms timer, which leaves that out. A SQLite batch runs synchronously, so its longest batch is the stall SQLite itself causes.${results.scale.missing.length ? ` Left out: ${results.scale.missing.join(", ")} (not installed).` : ""}`,
    "",
    "## Memory store",
    "",
    ...table(
      ["measure", "value"],
      ["l", "r"],
      [
        [
          `bytes per session (${int(results.memoryStore.sessions)} signed-in sessions, heap after GC)`,
          int(results.memoryStore.bytesPerSession),
        ],
        [
          `sessions held after inserting ${int(results.memoryStore.inserted)} into a store capped at ${int(results.memoryStore.maxEntries)}`,
          int(results.memoryStore.countAtEnd),
        ],
        ["store heap when first full", `${fixed(results.memoryStore.storeHeapAtCapMb, 1)} MB`],
        [
          "after twice its cap (growth)",
          `${fixed(results.memoryStore.storeHeapAtTwiceCapMb, 1)} MB (${fixed(results.memoryStore.heapGrowthPercent, 1)} %)`,
        ],
        [
          "after three times its cap (growth)",
          `${fixed(results.memoryStore.storeHeapAtThriceCapMb, 1)} MB (${fixed(results.memoryStore.heapGrowthAfterPercent, 1)} %)`,
        ],
      ],
    ),
    "",
    `## Browser client: server requests of idle tabs (Chromium, demo dashboard signed in, ${results.browserTabs.seconds} s window)`,
    "",
    ...(results.browserTabs.skipped
      ? [`Skipped: ${results.browserTabs.skipped}.`]
      : table(
          [
            "tabs",
            "requests while opening",
            "event streams open",
            "requests in the idle window",
            "requests per minute",
            "what was asked",
          ],
          ["r", "r", "r", "r", "r", "l"],
          results.browserTabs.rows.map((row) => [
            String(row.tabs),
            String(row.startupRequests),
            String(row.openStreams),
            String(row.requests),
            fixed(row.requestsPerMinute, 1),
            counts(row.paths),
          ]),
        )),
    ...(results.browserTabs.signOut
      ? [
          "",
          `A sign-out in one of ${results.browserTabs.signOut.tabs} tabs: every tab's client heard it after ` +
            `${results.browserTabs.signOut.heardMs} ms, every tab was on /login after ` +
            `${results.browserTabs.signOut.allOnLoginMs} ms (server: DELETE /api/session → last GET /login ` +
            `${results.browserTabs.signOut.serverMs} ms).`,
        ]
      : []),
    "",
    "## Session validation in process (load + validate, no touch due)",
    "",
    ...(results.validation.length === 0
      ? ["Measured in the full run only."]
      : table(
          ["variant", "validations/s", "ratio to baseline", "store writes per validation"],
          ["l", "r", "r", "r"],
          results.validation.map((row) => [
            row.variant,
            int(row.opsPerSecond),
            fixed(row.ratioToBaseline),
            perRequest(row.storeWritesPerValidation),
          ]),
        )),
    "",
  ];
  const missing = [...new Set([...results.read.missing, ...results.write.missing, ...results.login.missing])];
  if (missing.length > 0) lines.push(`Left out (store server not installed): ${missing.join(", ")}.`, "");
  return lines.join("\n");
}
