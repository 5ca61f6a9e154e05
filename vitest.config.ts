import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["sim/**/*.test.ts", "properties/**/*.test.ts", "reports/**/*.test.ts", "cli/**/*.test.ts", "scenarios/**/*.test.ts", "bench/**/*.test.ts", "examples/**/*.test.ts"],
    pool: "forks",
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
