import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll } from "vitest";
import { fileStore } from "../../src/stores/file.js";
import { describeStore } from "../../src/testing.js";

const root = mkdtempSync(join(tmpdir(), "stint-file-conformance-"));
let stores = 0;

afterAll(() => rmSync(root, { recursive: true, force: true }));

describeStore("file", () => fileStore({ directory: join(root, `store-${++stores}`) }));
