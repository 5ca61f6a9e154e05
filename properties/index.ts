// kafkasim's "./properties" export: the checkers, the oracle and the verdict, for the CLI, the reports and
// users' own property tests.
export type { Anomaly, Finding, Judgement, JudgementStats, Allowance } from "./types.ts";
export { judge, checkExpectation } from "./judge.ts";
export { oracle, allowedReason, summariseFaults } from "./oracle.ts";
export type { FaultSummary } from "./oracle.ts";
export * from "./checkers/index.ts";
export { runIndex, finalLogOf, valueAt } from "./context.ts";
export { storyOf } from "./explain.ts";
