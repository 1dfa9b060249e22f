/**
 * The HTTP read path: GET of a small session-protected route through the node adapter,
 * against bare node:http, each variant in its own child process, alternated round by round.
 * Reports requests/s, the ratio to bare, server CPU per request and store writes per read.
 */
import { type ChildProcess, fork } from "node:child_process";
import autocannon from "autocannon";

export interface HttpReadResult {
  variant: string;
  requestsPerSecond: number;
  ratioToBare: number;
  cpuMicrosPerRequest: number;
  cpuRatioToBare: number;
  storeWritesPerRead: number;
}

interface Child {
  process: ChildProcess;
  port: number;
  cookie?: string;
}

const serverScript = new URL("../servers/read-server.ts", import.meta.url).pathname;

async function startChild(variant: string): Promise<Child> {
  const child = fork(serverScript, [variant], {
    execArgv: ["--import", "tsx"],
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  let cookie: string | undefined;
  const port = await new Promise<number>((resolve, reject) => {
    child.on("message", (message: { ready?: number; cookie?: string }) => {
      if (message.cookie) cookie = message.cookie;
      if (message.ready) resolve(message.ready);
    });
    child.once("exit", (code) => reject(new Error(`${variant} server exited with ${code}`)));
  });
  return { process: child, port, cookie };
}

function stats(child: Child): Promise<{ cpuMicros: number; writes: number }> {
  return new Promise((resolve) => {
    const onMessage = (message: { cpuMicros?: number; writes?: number }) => {
      if (message.cpuMicros !== undefined) {
        child.process.off("message", onMessage);
        resolve({ cpuMicros: message.cpuMicros, writes: message.writes ?? 0 });
      }
    };
    child.process.on("message", onMessage);
    child.process.send("stats");
  });
}

async function load(
  child: Child,
  durationSeconds: number,
): Promise<{ requests: number; cpuMicros: number; writes: number }> {
  const before = await stats(child);
  const result = await autocannon({
    url: `http://127.0.0.1:${child.port}/`,
    connections: 10,
    pipelining: 1,
    duration: durationSeconds,
    headers: child.cookie ? { cookie: child.cookie } : {},
  });
  const after = await stats(child);
  if (result.non2xx > 0) throw new Error(`${result.non2xx} non-2xx answers from the benchmark server`);
  return {
    requests: result.requests.total,
    cpuMicros: after.cpuMicros - before.cpuMicros,
    writes: after.writes - before.writes,
  };
}

export async function runHttpRead(options: { rounds: number; durationSeconds: number }): Promise<HttpReadResult[]> {
  const variants = ["bare", "stint-sqlite", "stint-memory"];
  const children = new Map<string, Child>();
  for (const variant of variants) children.set(variant, await startChild(variant));
  const totals = new Map(variants.map((variant) => [variant, { requests: 0, cpuMicros: 0, writes: 0, seconds: 0 }]));
  try {
    for (let round = 0; round < options.rounds; round++) {
      for (const variant of variants) {
        const measured = await load(children.get(variant)!, options.durationSeconds);
        const total = totals.get(variant)!;
        total.requests += measured.requests;
        total.cpuMicros += measured.cpuMicros;
        total.writes += measured.writes;
        total.seconds += options.durationSeconds;
      }
    }
  } finally {
    for (const child of children.values()) child.process.kill();
  }
  const bare = totals.get("bare")!;
  const bareRps = bare.requests / bare.seconds;
  const bareCpu = bare.cpuMicros / bare.requests;
  const names: Record<string, string> = {
    bare: "bare node:http (baseline)",
    "stint-sqlite": "Stint read path, node adapter, SQLite",
    "stint-memory": "Stint read path, node adapter, memory",
  };
  return variants.map((variant) => {
    const total = totals.get(variant)!;
    const cpu = total.cpuMicros / total.requests;
    return {
      variant: names[variant] ?? variant,
      requestsPerSecond: total.requests / total.seconds,
      ratioToBare: total.requests / total.seconds / bareRps,
      cpuMicrosPerRequest: cpu,
      cpuRatioToBare: cpu / bareCpu,
      storeWritesPerRead: total.writes / total.requests,
    };
  });
}
