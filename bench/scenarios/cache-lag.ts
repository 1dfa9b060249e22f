/**
 * Issue 12: how soon another process hears of a change. Process A (this one) revokes a
 * session that process B (a child) holds in its cache and streams events for; the lag is
 * from A's revocation being acknowledged to B's event stream saying `revoked`. B's cache
 * drops the record when the invalidation arrives, which comes before the stream event on the
 * same link, so this is an upper bound of the invalidation lag (it includes B writing the
 * event and this process reading it over HTTP).
 */
import { fork } from "node:child_process";
import { createStint, type Store } from "stint";
import { postgresStore } from "stint/postgres";
import { redisStore } from "stint/redis";
import { bundled } from "../lib/bundle.js";
import type { RunContext } from "../lib/context.js";
import { SECRET, USER_AGENT } from "../servers/common.js";
import type { LagInput } from "../workers/cache-lag.js";

export interface LagResult {
  store: "redis" | "postgres";
  samples: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

const NAME = "bench_lag";

export async function runCacheLag(run: RunContext): Promise<LagResult[]> {
  const results: LagResult[] = [];
  const samples = run.quick ? 100 : 400;
  for (const kind of ["redis", "postgres"] as const) {
    const server = kind === "redis" ? await run.services.redis() : await run.services.postgres();
    if (!server) continue;
    results.push(await measure({ store: kind, url: server.url, name: NAME }, samples));
  }
  return results;
}

async function measure(input: LagInput, samples: number): Promise<LagResult> {
  const child = fork(await bundled("lag"), [JSON.stringify(input)], {
    env: { ...process.env, NODE_ENV: "production" },
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  const other = await new Promise<string>((resolve, reject) => {
    child.once("exit", (code) => reject(new Error(`the lag worker exited with ${code}`)));
    child.once("message", (message: { ready?: string }) => (message.ready ? resolve(message.ready) : reject()));
  });
  const store: Store =
    input.store === "redis"
      ? redisStore({ url: input.url, prefix: `${input.name}:` })
      : postgresStore({ url: input.url, table: input.name });
  const stint = createStint({ store, secret: SECRET, cleanupInterval: 0 });
  const lags: number[] = [];
  try {
    for (let i = 0; i < samples; i++) {
      const session = await stint.load(undefined, { userAgent: USER_AGENT });
      session.login(`u_lag_${i}`);
      const [line] = await stint.commit(session);
      const headers = { cookie: (line ?? "").split(";")[0] as string, "user-agent": USER_AGENT };
      // B reads the session (into its cache) and holds its event stream.
      if ((await fetch(`${other}/api/session`, { headers })).status !== 200) throw new Error("B cannot read it");
      const stream = await fetch(`${other}/api/session/events`, { headers });
      const reader = (stream.body as ReadableStream<Uint8Array>).getReader();
      await readUntil(reader, /: connected/);
      await stint.sessions.revoke(session.id as string);
      const acknowledged = performance.now();
      await readUntil(reader, /event: revoked/);
      lags.push(performance.now() - acknowledged);
      await reader.cancel().catch(() => undefined);
    }
  } finally {
    await stint.close();
    child.send("stop");
    await new Promise((resolve) => child.once("exit", resolve));
  }
  lags.sort((a, b) => a - b);
  const at = (q: number) => lags[Math.min(lags.length - 1, Math.floor(q * lags.length))] as number;
  return { store: input.store, samples: lags.length, p50Ms: at(0.5), p99Ms: at(0.99), maxMs: lags.at(-1) as number };
}

async function readUntil(reader: ReadableStreamDefaultReader<Uint8Array>, pattern: RegExp): Promise<void> {
  const decoder = new TextDecoder();
  let text = "";
  while (!pattern.test(text)) {
    const { done, value } = await reader.read();
    if (done) throw new Error(`the stream ended before ${pattern}`);
    text += decoder.decode(value, { stream: true });
  }
}
