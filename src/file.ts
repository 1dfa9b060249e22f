/**
 * "stint/file": one JSON file per session (0600 in a 0700 directory), for a single process.
 *
 * @example
 * ```ts
 * import { createStint } from "stint";
 * import { fileStore } from "stint/file";
 * const stint = createStint({ store: fileStore({ directory: "./data/sessions" }), secret });
 * ```
 */
export { type FileStoreOptions, fileStore } from "./stores/file.js";
