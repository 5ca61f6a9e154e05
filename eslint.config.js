// ESLint flat config: typescript-eslint recommended, plus the determinism rules for sim/.
import js from "@eslint/js";
import tseslint from "typescript-eslint";
import globals from "globals";

const wallClock = "sim/ runs on the virtual clock and the seeded rng: use Scheduler time and Rng streams instead";
const clientsOnlyByMessages = { group: ["**/broker/**", "**/broker"], message: "clients know brokers only through messages (sim/kafka/protocol*.ts): no client code imports sim/broker/ (issue #16)" };
const oneWay = { group: ["**/properties/**", "**/properties", "**/reports/**", "**/reports", "**/cli/**", "**/cli"], message: "sim/ must not import properties/, reports/ or cli/: data flows one way" };

export default tseslint.config(
  { ignores: ["node_modules/**", "reports/out/**", "coverage/**", "dist/**", ".bench-build/**"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "@typescript-eslint/consistent-type-imports": "error",
      "no-constant-condition": ["error", { checkLoops: false }],
    },
  },
  {
    files: ["sim/**/*.ts"],
    rules: {
      "no-restricted-globals": [
        "error",
        { name: "Date", message: wallClock },
        { name: "performance", message: wallClock },
        { name: "setTimeout", message: wallClock },
        { name: "setInterval", message: wallClock },
        { name: "setImmediate", message: wallClock },
        { name: "queueMicrotask", message: wallClock },
      ],
      "no-restricted-properties": [
        "error",
        { object: "Math", property: "random", message: wallClock },
        { object: "Date", property: "now", message: wallClock },
        { object: "performance", property: "now", message: wallClock },
        { object: "process", property: "hrtime", message: wallClock },
        { object: "globalThis", property: "setTimeout", message: wallClock },
        { object: "globalThis", property: "Date", message: wallClock },
      ],
      "no-restricted-imports": [
        "error",
        {
          patterns: [
            oneWay,
            { group: ["node:timers", "timers", "node:perf_hooks", "perf_hooks", "node:worker_threads"], message: wallClock },
          ],
        },
      ],
    },
  },
  {
    // Clients are separate processes: what they know of brokers comes in answers, not imports. (The client test kit
    // hosts the real group coordinator in its fake brokers, so it and the tests may import sim/broker/.)
    files: ["sim/client/**/*.ts"],
    ignores: ["sim/client/**/*.test.ts", "sim/client/testkit.ts"],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          patterns: [
            oneWay,
            clientsOnlyByMessages,
            { group: ["node:timers", "timers", "node:perf_hooks", "perf_hooks", "node:worker_threads"], message: wallClock },
          ],
        },
      ],
    },
  },
  {
    // Tests in sim/ (and their helpers, *.testkit.ts) may start worker threads and processes (the determinism proofs
    // run the kernel in them); every other ban stays.
    files: ["sim/**/*.test.ts", "sim/**/*.testkit.ts"],
    rules: {
      "no-restricted-imports": [
        "error",
        { patterns: [oneWay, { group: ["node:timers", "timers", "node:perf_hooks", "perf_hooks"], message: wallClock }] },
      ],
    },
  },
);
