import { parseArgs } from "node:util";
import { parseDuration } from "../core/duration.js";

export interface FlagSpec {
  type: "string" | "boolean";
  /** Environment variable read when the flag is absent (API.md: every flag has one). */
  env?: string;
  multiple?: boolean;
  short?: string;
  default?: string | boolean;
}

export type Flags = Record<string, string | boolean | string[] | undefined>;

/** A usage error: printed with the command's help, exit code 2. */
export class UsageError extends Error {}

/**
 * Parses `argv` against `specs`, then fills absent flags from their environment variables
 * and defaults. Unknown flags and missing values are usage errors naming the flag.
 */
export function readFlags(
  argv: string[],
  specs: Record<string, FlagSpec>,
  env: NodeJS.ProcessEnv = process.env,
): { flags: Flags; positionals: string[] } {
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: Object.fromEntries(
        Object.entries(specs).map(([name, spec]) => [
          name,
          // Node 20's parseArgs rejects `multiple: undefined`: pass the keys only when set.
          {
            type: spec.type,
            ...(spec.multiple ? { multiple: true } : {}),
            ...(spec.short ? { short: spec.short } : {}),
          },
        ]),
      ),
    });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const flags: Flags = { ...(parsed.values as Flags) };
  for (const [name, spec] of Object.entries(specs)) {
    if (flags[name] !== undefined) continue;
    const fromEnv = spec.env ? env[spec.env] : undefined;
    if (fromEnv !== undefined && fromEnv !== "") {
      if (spec.type === "boolean") flags[name] = !["0", "false", "no", "off"].includes(fromEnv.toLowerCase());
      else flags[name] = spec.multiple ? fromEnv.split(",").map((item) => item.trim()) : fromEnv;
    } else if (spec.default !== undefined) {
      flags[name] = spec.default;
    }
  }
  return { flags, positionals: parsed.positionals };
}

export function stringFlag(flags: Flags, name: string): string | undefined {
  const value = flags[name];
  return typeof value === "string" ? value : undefined;
}

export function durationFlag(flags: Flags, name: string): number | undefined {
  const value = stringFlag(flags, name);
  if (value === undefined) return undefined;
  try {
    return parseDuration(value);
  } catch (error) {
    throw new UsageError(`--${name}: ${(error as Error).message}`);
  }
}

export function integerFlag(flags: Flags, name: string, min = 1): number | undefined {
  const value = stringFlag(flags, name);
  if (value === undefined) return undefined;
  const number = Number(value);
  if (!Number.isInteger(number) || number < min) throw new UsageError(`--${name} must be a whole number ≥ ${min}.`);
  return number;
}
