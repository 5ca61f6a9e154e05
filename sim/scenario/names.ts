// The names a scenario file may use where the types only spell them as unions: anomaly types, verdicts, fault
// events and kinds, bug switches. Each list is checked at compile time to hold every member of its union.
import type { FaultEvent, FaultKind } from "../faults/types.ts";
import type { AnomalyType, BugSwitches, Verdict } from "./types.ts";

export const ANOMALY_TYPES = [
  "lost-write",
  "duplicate",
  "nonmonotonic-send",
  "uncommitted-read",
  "inconsistent-offsets",
  "poll-skip",
  "nonmonotonic-poll",
  "unseen",
  "phantom",
  "committed-unprocessed",
  "processed-twice",
  "log-divergence",
  "leader-incomplete",
  "strong-isr",
  "two-leaders",
  "metadata-divergence",
  "epoch-regression",
  "aborted-read",
  "duplicate-output",
  "lost-transaction",
  "hanging-transaction",
  "torn-transaction",
] as const satisfies readonly AnomalyType[];
type MissingAnomaly = Exclude<AnomalyType, (typeof ANOMALY_TYPES)[number]>;
const _allAnomalies: MissingAnomaly extends never ? true : never = true;

export const VERDICTS = ["valid", "allowed", "liveness", "bug"] as const satisfies readonly Verdict[];

export const FAULT_EVENTS = [
  "produce-acked",
  "produce-failed",
  "leader-change",
  "isr-shrink",
  "isr-expand",
  "session-expired",
  "controller-change",
  "consumer-poll",
  "commit",
  "rebalance",
] as const satisfies readonly FaultEvent[];
const _allEvents: Exclude<FaultEvent, (typeof FAULT_EVENTS)[number]> extends never ? true : never = true;

export const FAULT_KINDS = [
  "kill",
  "power",
  "stop",
  "restart",
  "pause",
  "resume",
  "expire-session",
  "partition",
  "partition-oneway",
  "isolate",
  "heal",
  "slow",
  "flaky",
  "downstream-down",
  "metadata-lag",
] as const satisfies readonly FaultKind[];
const _allKinds: Exclude<FaultKind, (typeof FAULT_KINDS)[number]> extends never ? true : never = true;

export const BUG_SWITCHES = [
  "ackBeforeReplication",
  "readAboveHighWatermark",
  "skipTruncation",
  "electOutOfSync",
  "acceptStaleEpoch",
  "commitBeforeProcessing",
  "hwIgnoresMaximalIsr",
] as const satisfies readonly (keyof BugSwitches)[];
const _allBugs: Exclude<keyof BugSwitches, (typeof BUG_SWITCHES)[number]> extends never ? true : never = true;
void [_allAnomalies, _allEvents, _allKinds, _allBugs];
