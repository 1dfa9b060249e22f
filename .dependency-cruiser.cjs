/**
 * Stint's layering (DESIGN.md, "The shape"): data flows one way, entry → adapter → handler →
 * SessionManager → Store, and nothing below calls up. `npm run lint` fails on a wrong import.
 */
const entries = "^src/(index|sqlite|redis|postgres|file|accounts|testing|client|react|protocol)\\.tsx?$|^src/adapters/";

module.exports = {
  forbidden: [
    {
      name: "core-knows-no-outside",
      comment: "core/ decides: pure logic, no HTTP, app, CLI, demo, client or drivers.",
      severity: "error",
      from: { path: "^src/core/" },
      to: {
        path: "^src/(http|app|cli|demo|client|auth|observability|transports/(redis|postgres))|^node_modules/(better-sqlite3|ioredis|pg|@node-rs|pino|prom-client)",
      },
    },
    {
      name: "stores-know-no-http",
      comment: "stores/ remembers: storage only, never requests, the app or the CLI.",
      severity: "error",
      from: { path: "^src/stores/" },
      to: { path: "^src/(http|app|cli|demo|client|auth|observability)/" },
    },
    {
      name: "transports-carry-only",
      comment: "transports/ carry messages between processes: they know no stores, no HTTP, no app.",
      severity: "error",
      from: { path: "^src/transports/" },
      to: { path: "^src/(stores|http|app|cli|demo|client|auth|observability|core/manager)" },
    },
    {
      name: "http-knows-no-app",
      comment: "http/ speaks the protocol; createStint (app/) builds on it, never the reverse.",
      severity: "error",
      from: { path: "^src/http/" },
      to: { path: "^src/(app|cli|demo)/" },
    },
    {
      name: "adapters-only-translate",
      comment: "adapters depend on the host interface and the shared helpers, not on the engine or stores.",
      severity: "error",
      from: { path: "^src/http/adapters/" },
      to: {
        path: "^src/(stores/(?!store\\.ts)|core/(manager|session-control|cleanup)|transports)",
        dependencyTypesNot: ["type-only"],
      },
    },
    {
      name: "client-speaks-protocol-only",
      comment: "The browser client imports nothing of the server but the wire types.",
      severity: "error",
      from: { path: "^src/client/" },
      to: { path: "^src/(?!client/|protocol\\.ts)" },
    },
    {
      name: "root-entry-loads-no-driver",
      comment: '"stint" loads no native module and no store driver (stint/sqlite, stint/redis… do).',
      severity: "error",
      from: { path: "^src/index\\.ts$" },
      to: {
        path: "^node_modules/(better-sqlite3|ioredis|pg|@node-rs|bcryptjs)|^src/(stores/(sqlite|redis|postgres|file)|auth/password)",
        reachable: true,
      },
    },
    {
      name: "entries-are-re-exports",
      comment: "Nothing inside src imports a package entry file: entries sit on top.",
      severity: "error",
      from: { path: "^src/", pathNot: entries },
      to: { path: entries, pathNot: "^src/protocol\\.ts$" },
    },
    {
      name: "no-circular",
      severity: "error",
      from: {},
      to: { circular: true },
    },
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: "tsconfig.build.json" },
    enhancedResolveOptions: {
      exportsFields: ["exports"],
      conditionNames: ["import", "require", "node", "default", "types"],
    },
  },
};
