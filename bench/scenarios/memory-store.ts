/** The memory store: bytes per session (50,000 sessions) and staying bounded at its cap. */
import type { RunContext } from "../lib/context.js";
import { runWorker } from "../lib/worker.js";
import type { MemoryInput, MemoryResult } from "../workers/memory-store.js";

export function runMemoryStore(_run: RunContext): Promise<MemoryResult> {
  const input: MemoryInput = { sessions: 50_000 };
  return runWorker<MemoryResult>("memory", input, { execArgv: ["--expose-gc"] });
}
