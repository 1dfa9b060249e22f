import { hashSecret, safeEqual } from "../core/token.js";
import type { AdminGate } from "./context.js";
import { bearerToken } from "./credentials.js";

const MIN_ADMIN_TOKEN_LENGTH = 32;

/** How the admin API is opened: a token, or the app's own check. */
export interface AdminOptions {
  /** `Authorization: Bearer <adminToken>` opens it (≥ 32 characters; `--admin-token`, STINT_ADMIN_TOKEN). */
  adminToken?: string;
  /** Or the app decides, from the request's headers (it gets no body). */
  authorizeAdmin?: (request: Request) => boolean | Promise<boolean>;
}

/**
 * The admin API's gate from createStint's options, or null when neither is given (the admin
 * routes then answer 404). A token is compared in constant time: both sides are hashed first,
 * so neither its content nor its length shows in the timing.
 */
export function adminGate(options: AdminOptions, failures: AdminGate["failures"]): AdminGate | null {
  const { adminToken, authorizeAdmin } = options;
  if (adminToken !== undefined && authorizeAdmin !== undefined) {
    throw new TypeError("Give adminToken or authorizeAdmin, not both.");
  }
  if (authorizeAdmin) return { authorize: authorizeAdmin, failures };
  if (adminToken === undefined) return null;
  if (typeof adminToken !== "string" || adminToken.trim().length < MIN_ADMIN_TOKEN_LENGTH) {
    throw new TypeError(
      `adminToken must be at least ${MIN_ADMIN_TOKEN_LENGTH} characters (a random value; try \`openssl rand -base64 32\`).`,
    );
  }
  const expected = hashSecret(adminToken.trim());
  return {
    authorize: (request) => {
      const given = bearerToken(request.headers.get("authorization"));
      return given !== undefined && safeEqual(hashSecret(given), expected);
    },
    failures,
  };
}
