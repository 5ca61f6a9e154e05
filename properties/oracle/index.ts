// The oracle: for each anomaly the checkers found, the rule and the events of this run through which Kafka permits
// it for that record (per record, per producer and group configuration), or none — a bug. Unread records no rule
// explains are a liveness failure instead; groups too slow for their producers get a capacity finding.
import type { RunResult } from "../../sim/result.ts";
import type { AnomalyType } from "../../sim/scenario/types.ts";
import type { Finding } from "../types.ts";
import type { Justification } from "./context.ts";
import { oracleContext } from "./context.ts";
import { justifyInconsistentOffsets, justifyLostWrite, justifyReplicaInvariant, justifyUncommittedRead } from "./judge-writes.ts";
import { justifyDuplicate, justifyReorder } from "./judge-producer.ts";
import { justifyCommittedUnprocessed, justifyPollOrder, justifyProcessedTwice, justifyUnseen } from "./judge-consumer.ts";
import { justifyAbortedRead, justifyDuplicateOutput, justifyHangingTransaction, justifyLostTransaction, justifyTornTransaction } from "./judge-txn.ts";
import type { CapacityFinding } from "./liveness.ts";
import { capacityFindings } from "./liveness.ts";

export type { Justification } from "./context.ts";
export type { EvidenceRef } from "./evidence.ts";
export { RULES, COMMITTED_LOSS_FAMILY } from "./rules.ts";
export type { Rule, RuleId } from "./rules.ts";
export { capacityFindings, livenessReport, settleMs } from "./liveness.ts";
export type { CapacityFinding, LivenessKind, LivenessReport, LivenessViolation } from "./liveness.ts";
export { evidenceIndex } from "./evidence.ts";

/** The oracle for one run: justify each finding (null: not permitted). */
export class Oracle {
  private readonly ctx;
  readonly capacity: readonly CapacityFinding[];

  constructor(result: RunResult) {
    this.ctx = oracleContext(result);
    this.capacity = capacityFindings(this.ctx);
  }

  justify(f: Finding): Justification | null {
    const ctx = this.ctx;
    const type: AnomalyType = f.type;
    switch (type) {
      case "lost-write":
        return justifyLostWrite(ctx, f);
      case "inconsistent-offsets":
        return justifyInconsistentOffsets(ctx, f);
      case "uncommitted-read":
        return justifyUncommittedRead(ctx, f);
      case "log-divergence":
      case "leader-incomplete":
      case "strong-isr":
        return justifyReplicaInvariant(ctx, f);
      case "duplicate":
        return justifyDuplicate(ctx, f);
      case "nonmonotonic-send":
        return justifyReorder(ctx, f);
      case "committed-unprocessed":
        return justifyCommittedUnprocessed(ctx, f, this.capacity);
      case "processed-twice":
        return justifyProcessedTwice(ctx, f);
      case "poll-skip":
      case "nonmonotonic-poll":
        return justifyPollOrder(ctx, f);
      case "unseen":
        return justifyUnseen(ctx, f, this.capacity);
      case "duplicate-output":
        return justifyDuplicateOutput(ctx, f);
      case "lost-transaction":
        return justifyLostTransaction(ctx, f);
      case "hanging-transaction":
        return justifyHangingTransaction(ctx, f);
      case "torn-transaction":
        return justifyTornTransaction(ctx, f);
      case "aborted-read":
        // read_committed never returns an aborted transaction's record; the record may only have been committed when
        // read and lost its marker afterwards (an unclean election, a power loss of unflushed replicas).
        return justifyAbortedRead(ctx, f);
      case "phantom":
      case "two-leaders":
      case "metadata-divergence":
      case "epoch-regression":
        // The control plane's own invariants: nothing permits breaking them.
        return null;
    }
  }
}
