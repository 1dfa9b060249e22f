import { BadRequestError } from "../core/errors.js";
import type { StateChange } from "../core/user-state.js";
import type { JsonObject } from "../stores/store.js";
import type { Body } from "./json.js";

const MAX_KEY_LENGTH = 256;

/**
 * The body of every state PATCH (a session's, a user's, an admin's): `{ set?: object, unset?:
 * string[], ifVersion?: integer }`; anything else is 400 `bad_request`.
 */
export function parseStatePatch(body: Body): StateChange & { set: JsonObject; unset: string[] } {
  const { set = {}, unset = [], ifVersion } = body;
  if (typeof set !== "object" || set === null || Array.isArray(set)) {
    throw new BadRequestError('"set" must be an object.');
  }
  if (!Array.isArray(unset) || !unset.every((key) => typeof key === "string")) {
    throw new BadRequestError('"unset" must be an array of strings.');
  }
  if (ifVersion !== undefined && (!Number.isSafeInteger(ifVersion) || (ifVersion as number) < 0)) {
    throw new BadRequestError('"ifVersion" must be a whole number.');
  }
  const keys = [...Object.keys(set), ...(unset as string[])];
  if (keys.some((key) => key.length === 0 || key.length > MAX_KEY_LENGTH)) {
    throw new BadRequestError(`State keys must be 1–${MAX_KEY_LENGTH} characters.`);
  }
  const setKeys = new Set(Object.keys(set));
  if ((unset as string[]).some((key) => setKeys.has(key))) {
    throw new BadRequestError("A key cannot be both set and unset.");
  }
  const change: StateChange & { set: JsonObject; unset: string[] } = {
    set: set as JsonObject,
    unset: unset as string[],
  };
  if (ifVersion !== undefined) change.ifVersion = ifVersion as number;
  return change;
}
