/**
 * Benchmark servers in child processes (bench/servers/child.ts): started once per run,
 * measured through their own CPU time and store counters, stopped at the end.
 */
import { type ChildProcess, fork } from "node:child_process";
import { ROUTES, USER_AGENT, type VariantSpec, variantKey } from "../servers/common.js";
import { bundled } from "./bundle.js";
import { setCookies } from "./load.js";
import { type Services, Unavailable } from "./services.js";

export interface ServerStats {
  /** User + system CPU time of the server process so far. */
  cpuMicros: number;
  /** Store calls by method so far. */
  calls: Record<string, number>;
  /** Store calls that changed the store so far. */
  writes: number;
}

/** Sent to servers without sessions, so every variant parses a Cookie header of the same size. */
const DUMMY_COOKIE = `visitor=${"x".repeat(87)}`;

export class ServerChild {
  readonly key: string;
  /** The Cookie header of a signed-in session (a same-sized dummy for servers without sessions). */
  cookie = DUMMY_COOKIE;
  #nextId = 0;

  private constructor(
    readonly spec: VariantSpec,
    readonly process: ChildProcess,
    readonly port: number,
  ) {
    this.key = variantKey(spec);
  }

  static async start(spec: VariantSpec, env: Record<string, string>): Promise<ServerChild> {
    const child = fork(await bundled("server"), [JSON.stringify(spec)], {
      env: { ...process.env, ...env, NODE_ENV: "production" },
      stdio: ["ignore", "inherit", "inherit", "ipc"],
    });
    const port = await new Promise<number>((resolve, reject) => {
      const onExit = (code: number | null) => reject(new Error(`${variantKey(spec)} server exited with ${code}`));
      child.once("exit", onExit);
      child.once("message", (message: { ready?: number }) => {
        child.off("exit", onExit);
        if (message.ready) resolve(message.ready);
        else reject(new Error(`${variantKey(spec)} server sent ${JSON.stringify(message)}`));
      });
    });
    const server = new ServerChild(spec, child, port);
    if (spec.session !== "none") await server.signIn();
    return server;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Signs in through the server's own login route and keeps the cookies it sets. */
  async signIn(): Promise<void> {
    const response = await fetch(`${this.url}${ROUTES.login}`, {
      method: "POST",
      headers: { "user-agent": USER_AGENT },
    });
    await response.arrayBuffer();
    const cookie = setCookies(response.headers.getSetCookie().flatMap((line) => ["set-cookie", line]));
    if (!response.ok || !cookie) throw new Error(`${this.key}: sign-in gave ${response.status}`);
    this.cookie = cookie;
  }

  stats(): Promise<ServerStats> {
    const id = this.#nextId++;
    return new Promise((resolve) => {
      const onMessage = (message: { type?: string; id?: number; stats?: ServerStats }) => {
        if (message.type !== "stats" || message.id !== id || !message.stats) return;
        this.process.off("message", onMessage);
        resolve(message.stats);
      };
      this.process.on("message", onMessage);
      this.process.send({ type: "stats", id });
    });
  }

  async stop(): Promise<void> {
    if (this.process.exitCode !== null || this.process.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => this.process.once("exit", () => resolve()));
    this.process.send({ type: "stop" });
    const timer = setTimeout(() => this.process.kill("SIGKILL"), 3_000);
    await exited;
    clearTimeout(timer);
  }
}

/** The servers of a run, each started once and shared by the scenarios that use it. */
export class ServerPool {
  readonly #servers = new Map<string, Promise<ServerChild>>();
  constructor(readonly services: Services) {}

  get(spec: VariantSpec): Promise<ServerChild> {
    const key = variantKey(spec);
    let server = this.#servers.get(key);
    if (!server) {
      server = this.services.envFor(spec.store).then((env) => ServerChild.start(spec, env));
      // Failures surface to whoever awaits the server; the map must not raise them unasked.
      server.catch(() => undefined);
      this.#servers.set(key, server);
    }
    return server;
  }

  /**
   * Starts them all at once (they idle until measured). Variants whose store server is not
   * available are left out; the scenario reports them.
   */
  async available(specs: readonly VariantSpec[]): Promise<ServerChild[]> {
    const started = await Promise.allSettled(specs.map((spec) => this.get(spec)));
    const servers: ServerChild[] = [];
    for (const result of started) {
      if (result.status === "fulfilled") servers.push(result.value);
      else if (!(result.reason instanceof Unavailable)) throw result.reason;
    }
    return servers;
  }

  async stop(): Promise<void> {
    const servers = await Promise.allSettled(this.#servers.values());
    await Promise.all(servers.map((server) => (server.status === "fulfilled" ? server.value.stop() : undefined)));
    this.#servers.clear();
  }
}
