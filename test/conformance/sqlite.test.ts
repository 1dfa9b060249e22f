import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sqliteStore } from "stint/sqlite";
import { describeStore } from "stint/testing";
import { afterAll } from "vitest";

const directory = mkdtempSync(join(tmpdir(), "stint-sqlite-conformance-"));
let files = 0;

afterAll(() => rmSync(directory, { recursive: true, force: true }));

describeStore("sqlite", () => sqliteStore({ path: join(directory, `store-${++files}.db`) }));
