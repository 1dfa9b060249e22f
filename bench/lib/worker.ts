/** A bundled worker (bench/workers/*) run in a fresh process: its one result, or its failure. */
import { fork } from "node:child_process";
import { type BundleEntry, bundled } from "./bundle.js";

export async function runWorker<T>(
  entry: BundleEntry,
  input: unknown,
  options: { execArgv?: string[]; env?: Record<string, string> } = {},
): Promise<T> {
  const child = fork(await bundled(entry), [JSON.stringify(input)], {
    execArgv: options.execArgv ?? [],
    env: { ...process.env, ...options.env, NODE_ENV: "production" },
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  return new Promise<T>((resolve, reject) => {
    let result: { value: T } | undefined;
    child.on("message", (message: { result?: T }) => {
      if (message.result !== undefined) result = { value: message.result };
    });
    child.once("error", reject);
    child.once("exit", (code) => {
      if (result) resolve(result.value);
      else reject(new Error(`the ${entry} worker exited with ${code} and no result`));
    });
  });
}

/** For the worker side: its input, and how it hands back its result and exits. */
export function workerInput<T>(): T {
  return JSON.parse(process.argv[2] ?? "{}") as T;
}

export function finish(result: unknown): void {
  process.send?.({ result }, () => process.exit(0));
}
