import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

const src = fileURLToPath(new URL("./src/", import.meta.url));

export default defineConfig({
  resolve: {
    // Tests import the package by its public names ("stint", "stint/sqlite", …), served from
    // the sources; test/package proves the same names from the packed tarball.
    alias: [
      { find: /^stint$/, replacement: `${src}index.ts` },
      { find: /^stint\/(?!package\.json$)(.+)$/, replacement: `${src}$1.ts` },
    ],
  },
  test: {
    include: ["test/**/*.test.{ts,tsx}"],
    globalSetup: ["test/support/global-setup.ts"],
    testTimeout: 20_000,
    hookTimeout: 60_000,
    pool: "forks",
  },
});
