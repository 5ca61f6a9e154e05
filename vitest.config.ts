import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

export default defineConfig({
  // The package's own name resolves to its sources (package.json "exports" point at the build in dist/).
  resolve: {
    alias: [
      { find: /^kafkasim$/, replacement: fileURLToPath(new URL("./sim/api.ts", import.meta.url)) },
      { find: /^kafkasim\/properties$/, replacement: fileURLToPath(new URL("./properties/index.ts", import.meta.url)) },
    ],
  },
  test: {
    include: ["sim/**/*.test.ts", "properties/**/*.test.ts", "reports/**/*.test.ts", "cli/**/*.test.ts", "scenarios/**/*.test.ts", "bench/**/*.test.ts", "examples/**/*.test.ts"],
    pool: "forks",
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
