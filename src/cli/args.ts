import { parseArgs } from "node:util";
import { parseDuration } from "../core/duration.js";
import { checkStoreUrl } from "../stores/from-url.js";

export interface FlagSpec {
  type: "string" | "boolean";
  /** Environment variable read when the flag is absent (API.md: every flag has one). */
  env?: string;
  multiple?: boolean;
  short?: string;
  default?: string | boolean;
  /**
   * A string flag that may also stand alone (`--trust-proxy` or `--trust-proxy 2`): alone, it
   * has this value. A following word is its value only when it is a whole number.
   */
  implicit?: string;
}

export type Flags = Record<string, string | boolean | string[] | undefined>;

/** A usage error: printed with the command's usage, exit code 2. */
export class UsageError extends Error {}

/** One subcommand: what `--help` prints, and what runs it. */
export interface Command {
  usage: string;
  run(argv: string[]): Promise<void>;
}

/** Does argv ask for help (`--help` or `-h` before any `--`)? */
export function asksForHelp(argv: readonly string[]): boolean {
  for (const arg of argv) {
    if (arg === "--") return false;
    if (arg === "--help" || arg === "-h") return true;
  }
  return false;
}

/**
 * Parses `argv` against `specs`, then fills absent flags from their environment variables
 * and defaults. An unknown flag, a missing value or an argument too many is a UsageError
 * naming it, in our words rather than parseArgs' (which suggest `--` to people who mistyped).
 */
export function readFlags(
  argv: string[],
  specs: Record<string, FlagSpec>,
  options: { env?: NodeJS.ProcessEnv; maxPositionals?: number } = {},
): { flags: Flags; positionals: string[] } {
  const { env = process.env, maxPositionals = 0 } = options;
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({
      args: withImplicitValues(argv, specs),
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
    throw new UsageError(describeParseError(error));
  }
  if (parsed.positionals.length > maxPositionals) {
    throw new UsageError(`Unexpected argument ${JSON.stringify(parsed.positionals[maxPositionals])}.`);
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

/** `--name` standing alone, for a flag with an implicit value, becomes `--name=<implicit>`. */
function withImplicitValues(argv: readonly string[], specs: Record<string, FlagSpec>): string[] {
  const result: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === "--") {
      result.push(...argv.slice(i));
      break;
    }
    const implicit = arg.startsWith("--") ? specs[arg.slice(2)]?.implicit : undefined;
    if (implicit !== undefined && !/^\d+$/.test(argv[i + 1] ?? "")) result.push(`${arg}=${implicit}`);
    else result.push(arg);
  }
  return result;
}

function describeParseError(error: unknown): string {
  const { code, message } = error as { code?: string; message?: string };
  const flag = /'(-[^' ]+)/.exec(message ?? "")?.[1];
  if (code === "ERR_PARSE_ARGS_UNKNOWN_OPTION" && flag) return `Unknown flag ${flag}.`;
  if (code === "ERR_PARSE_ARGS_INVALID_OPTION_VALUE" && flag) {
    return /argument missing/.test(message ?? "") ? `${flag} needs a value.` : `${flag} takes no value.`;
  }
  return message ?? String(error);
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

export function integerFlag(flags: Flags, name: string, min = 1, max = Number.MAX_SAFE_INTEGER): number | undefined {
  const value = stringFlag(flags, name);
  if (value === undefined) return undefined;
  const number = /^\d+$/.test(value.trim()) ? Number(value) : Number.NaN;
  if (!Number.isSafeInteger(number) || number < min || number > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `≥ ${min}` : `from ${min} to ${max}`;
    throw new UsageError(`--${name} must be a whole number ${range}, got ${JSON.stringify(value)}.`);
  }
  return number;
}

/**
 * A number of proxy hops: `--trust-proxy` alone is 1, `--trust-proxy 2` is 2; from the
 * environment also `true`/`false`. Absent, 0 (no proxy is believed).
 */
export function hopsFlag(flags: Flags, name: string): number {
  const value = stringFlag(flags, name)?.trim().toLowerCase();
  if (value === undefined || ["", "0", "false", "no", "off"].includes(value)) return 0;
  if (["true", "yes", "on"].includes(value)) return 1;
  return integerFlag(flags, name, 1, 32) as number;
}

/** A store URL flag: an unsupported one is a usage error naming the flag. */
export function storeUrlFlag(flags: Flags, name: string): string | undefined {
  const value = stringFlag(flags, name);
  if (value === undefined) return undefined;
  try {
    checkStoreUrl(value);
  } catch (error) {
    throw new UsageError(`--${name}: ${(error as Error).message}`);
  }
  return value;
}
