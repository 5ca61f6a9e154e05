// Every checker, by the anomaly type it reports.
import type { RunResult } from "../../sim/result.ts";
import type { AnomalyType } from "../../sim/scenario/types.ts";
import type { Finding } from "../types.ts";
import { checkLostWrites } from "./lost-write.ts";
import { checkDuplicates } from "./duplicate.ts";
import { checkNonmonotonicSends } from "./nonmonotonic-send.ts";
import { checkUncommittedReads } from "./uncommitted-read.ts";
import { checkInconsistentOffsets } from "./inconsistent-offsets.ts";
import { checkPollSkips } from "./poll-skip.ts";
import { checkNonmonotonicPolls } from "./nonmonotonic-poll.ts";
import { checkUnseen } from "./unseen.ts";
import { checkPhantoms } from "./phantom.ts";
import { checkCommittedUnprocessed } from "./committed-unprocessed.ts";
import { checkProcessedTwice } from "./processed-twice.ts";
import { checkLogDivergence } from "./log-divergence.ts";
import { checkLeaderIncomplete } from "./leader-incomplete.ts";
import { checkStrongIsr } from "./strong-isr.ts";
import { checkTwoLeaders } from "./two-leaders.ts";
import { checkMetadataDivergence } from "./metadata-divergence.ts";
import { checkEpochRegression } from "./epoch-regression.ts";
import { checkAbortedReads } from "./aborted-read.ts";
import { checkDuplicateOutputs } from "./duplicate-output.ts";
import { checkLostTransactions } from "./lost-transaction.ts";
import { checkHangingTransactions } from "./hanging-transaction.ts";
import { checkTornTransactions } from "./torn-transaction.ts";

export type Checker = (result: RunResult) => Finding[];

export const CHECKERS: Readonly<Record<AnomalyType, Checker>> = {
  "lost-write": checkLostWrites,
  duplicate: checkDuplicates,
  "nonmonotonic-send": checkNonmonotonicSends,
  "uncommitted-read": checkUncommittedReads,
  "inconsistent-offsets": checkInconsistentOffsets,
  "poll-skip": checkPollSkips,
  "nonmonotonic-poll": checkNonmonotonicPolls,
  unseen: checkUnseen,
  phantom: checkPhantoms,
  "committed-unprocessed": checkCommittedUnprocessed,
  "processed-twice": checkProcessedTwice,
  "log-divergence": checkLogDivergence,
  "leader-incomplete": checkLeaderIncomplete,
  "strong-isr": checkStrongIsr,
  "two-leaders": checkTwoLeaders,
  "metadata-divergence": checkMetadataDivergence,
  "epoch-regression": checkEpochRegression,
  "aborted-read": checkAbortedReads,
  "duplicate-output": checkDuplicateOutputs,
  "lost-transaction": checkLostTransactions,
  "hanging-transaction": checkHangingTransactions,
  "torn-transaction": checkTornTransactions,
};

export {
  checkLostWrites,
  checkDuplicates,
  checkNonmonotonicSends,
  checkUncommittedReads,
  checkInconsistentOffsets,
  checkPollSkips,
  checkNonmonotonicPolls,
  checkUnseen,
  checkPhantoms,
  checkCommittedUnprocessed,
  checkProcessedTwice,
  checkLogDivergence,
  checkLeaderIncomplete,
  checkStrongIsr,
  checkTwoLeaders,
  checkMetadataDivergence,
  checkEpochRegression,
  checkAbortedReads,
  checkDuplicateOutputs,
  checkLostTransactions,
  checkHangingTransactions,
  checkTornTransactions,
};
