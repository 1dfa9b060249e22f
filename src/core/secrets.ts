import { hmac, safeEqual } from "./token.js";

const MIN_SECRET_LENGTH = 32;

/**
 * Server secrets as a list: the first signs, all verify, so a secret can be rotated without
 * signing everybody out (put the new one first, drop the old one a lifetime later).
 */
export class SecretRing {
  readonly #secrets: readonly string[];

  constructor(secrets: string | readonly string[]) {
    const list = (typeof secrets === "string" ? secrets.split(",") : [...secrets])
      .map((secret) => secret.trim())
      .filter((secret) => secret.length > 0);
    if (list.length === 0) throw new TypeError("At least one secret is required.");
    for (const secret of list) {
      if (secret.length < MIN_SECRET_LENGTH) {
        throw new TypeError(
          `Each secret must be at least ${MIN_SECRET_LENGTH} characters long (a random value; try \`openssl rand -base64 32\`).`,
        );
      }
    }
    this.#secrets = list;
  }

  get size(): number {
    return this.#secrets.length;
  }

  /** MAC under the current (first) secret. */
  sign(purpose: string, message: string): string {
    return hmac(this.#secrets[0] as string, `${purpose}\0${message}`);
  }

  /** True when `mac` was made by any secret of the ring for this purpose and message. */
  verify(purpose: string, message: string, mac: string): boolean {
    let valid = false;
    // Every secret is tried, so timing does not tell which one matched.
    for (const secret of this.#secrets) {
      if (safeEqual(hmac(secret, `${purpose}\0${message}`), mac)) valid = true;
    }
    return valid;
  }
}
