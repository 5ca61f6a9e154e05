// kafkasim's "./properties" export: the checkers, the oracle and the verdict, for the CLI, the reports and
// users' own property tests.
export type { Anomaly, Finding, Judgement, JudgementStats, Justification, EvidenceRef } from "./types.ts";
export { judge, checkExpectation } from "./judge.ts";
export { Oracle, RULES, COMMITTED_LOSS_FAMILY, capacityFindings, livenessReport, settleMs, evidenceIndex } from "./oracle/index.ts";
export type { Rule, RuleId, CapacityFinding, LivenessKind, LivenessReport, LivenessViolation } from "./oracle/index.ts";
export * from "./checkers/index.ts";
export { runIndex, finalLogOf, valueAt } from "./context.ts";
export { storyOf } from "./explain.ts";
export * from "./arbitraries.ts";
export { runAndJudge } from "./run.ts";
export type { Judged } from "./run.ts";
export { hunt, hits, describeSchedule } from "./hunt.ts";
export type { HuntOptions, HuntResult, Target } from "./hunt.ts";
export { WEAKENINGS, BUG_CASES, weakeningArb, uncleanElection } from "./weakenings.ts";
export type { Weakening, BugCase } from "./weakenings.ts";
export { rootSeed, seedFor } from "./seeds.ts";
export { saveRegression, loadRegressions, readRegression, regressionOf } from "./regressions.ts";
export type { RegressionFile, RegressionMeta } from "./regressions.ts";
