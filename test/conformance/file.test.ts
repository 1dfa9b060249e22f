import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileStore } from "stint/file";
import { describeStore } from "stint/testing";
import { afterAll } from "vitest";

const root = mkdtempSync(join(tmpdir(), "stint-file-conformance-"));
let stores = 0;

afterAll(() => rmSync(root, { recursive: true, force: true }));

describeStore("file", () => fileStore({ directory: join(root, `store-${++stores}`) }));
