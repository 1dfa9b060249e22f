import type { StintHost } from "stint";

/**
 * How a framework app running in this process (Next.js through `next()`, SvelteKit through
 * Vite's dev server) uses the test's Stint. The framework compiles the app's own files with its
 * own bundler; were it to compile Stint's sources too, the app would hold a second copy of every
 * class (its `StintError` would not be the test's). Instead the app's imports of a Stint entry
 * resolve to the module this process already loaded, shared here, and its `stint` forwards to
 * the test's current one (test/fixtures/current-stint.ts).
 */
const CURRENT = Symbol.for("stint.test.currentStint");
const MODULES = Symbol.for("stint.test.modules");

type Registry = Record<symbol, unknown>;

/** The Stint the app's requests go to from now on. */
export function useStint(stint: StintHost | undefined): void {
  (globalThis as Registry)[CURRENT] = stint;
}

/** Makes `import … from "<name>"` inside the app give this module. */
export function shareModule(name: string, module: object): void {
  const registry = ((globalThis as Registry)[MODULES] ??= {}) as Record<string, object>;
  registry[name] = module;
}

/**
 * The source of a module that re-exports a shared one: what the app's bundler loads instead.
 * Next.js also evaluates a dynamic route's module in a worker process of its own, to collect
 * static params; no test runs there and nothing is called, so there every export is inert.
 */
export function sharedModuleSource(name: string, exportNames: readonly string[]): string {
  const registry = `globalThis[Symbol.for(${JSON.stringify(MODULES.description)})]`;
  return [
    "const inert = new Proxy(function inert() {}, { get: () => inert, apply: () => inert });",
    `const shared = ${registry}?.[${JSON.stringify(name)}] ?? new Proxy({}, { get: () => inert });`,
    ...exportNames.map((key) => `export const ${key} = shared.${key};`),
  ].join("\n");
}
