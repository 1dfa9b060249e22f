import { randomBytes } from "node:crypto";
import { chmodSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";

/**
 * The server secret: given (flag or STINT_SECRET), or in development created once in
 * `./data/secret` with mode 0600 and reused, so sessions survive restarts. Production
 * (NODE_ENV=production) refuses to invent one: every instance must share the same secret.
 */
export function resolveSecret(given: string | undefined, file: string, production: boolean): string {
  if (given) return given;
  if (production) {
    throw new Error("NODE_ENV=production needs a secret: pass --secret or set STINT_SECRET (at least 32 characters).");
  }
  try {
    const existing = readFileSync(file, "utf8").trim();
    if (existing) {
      // A secret readable by others is a leak waiting to happen: tighten it.
      if ((statSync(file).mode & 0o077) !== 0) chmodSync(file, 0o600);
      return existing;
    }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
  }
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  const secret = randomBytes(32).toString("base64url");
  writeFileSync(file, `${secret}\n`, { mode: 0o600, flag: "wx" });
  return secret;
}
