import type { JsonObject } from "../stores/store.js";

/**
 * The part of the Standard Schema v1 interface (https://standardschema.dev) that Stint uses,
 * declared here so zod, valibot, arktype… work without Stint depending on any of them.
 */
export interface StandardSchemaV1<Output = unknown> {
  readonly "~standard": {
    readonly version: 1;
    readonly vendor: string;
    readonly validate: (value: unknown) => StandardResult<Output> | Promise<StandardResult<Output>>;
  };
}

type StandardResult<Output> =
  | { readonly value: Output; readonly issues?: undefined }
  | { readonly issues: ReadonlyArray<{ readonly message: string; readonly path?: ReadonlyArray<unknown> }> };

export type DataCheck = { ok: true; data: JsonObject } | { ok: false; data: JsonObject; issues: string[] };

/**
 * Checks stored data against the schema (seed 002's forward-compatible schema): keys the
 * schema does not know are kept, so an older version of the app does not erase what a newer
 * one wrote; invalid data becomes the defaults, and the caller raises an event, never a crash.
 */
export async function checkData(
  schema: StandardSchemaV1 | undefined,
  stored: JsonObject,
  defaults: JsonObject,
): Promise<DataCheck> {
  if (!schema) return { ok: true, data: stored };
  let result: StandardResult<unknown>;
  try {
    result = await schema["~standard"].validate(stored);
  } catch (error) {
    return { ok: false, data: { ...defaults }, issues: [String((error as Error)?.message ?? error)] };
  }
  if (result.issues) {
    const issues = result.issues.map((issue) => {
      const path = issue.path?.map((part) => String(typeof part === "object" ? (part as { key: unknown }).key : part));
      return path?.length ? `${path.join(".")}: ${issue.message}` : issue.message;
    });
    return { ok: false, data: { ...defaults }, issues };
  }
  const value = result.value;
  return { ok: true, data: isObject(value) ? { ...stored, ...value } : stored };
}

function isObject(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
