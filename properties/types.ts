// What checkers report and what a judged run looks like. Plain data: reports and the CLI print these.
import type { AnomalyType, Verdict } from "../sim/scenario/types.ts";
import type { Justification } from "./oracle/context.ts";
import type { CapacityFinding, LivenessReport } from "./oracle/liveness.ts";
export type { Justification } from "./oracle/context.ts";
export type { EvidenceRef } from "./oracle/evidence.ts";

export interface Anomaly {
  readonly type: AnomalyType;
  /** Kafka's "topic-partition" spelling ("orders-0"), or null when the anomaly is not about one partition. */
  readonly partition: string | null;
  readonly offset: number | null;
  readonly value: number | null;
  /** In words: what happened, and (with a recorded trace) the steps that led to it. */
  readonly explanation: string;
  /** When the anomaly's window opens, in µs: the ack of a lost write, the read, the first processing... */
  readonly sinceUs?: number;
  /** The client behind it: the producer of the record, the member that read it, the first to process it. */
  readonly process?: string;
  /** The consumer group, for consumer-side anomalies. */
  readonly group?: string;
  /** The other record involved: the value sent before a reordered one, the value first seen at a rewritten offset. */
  readonly relatedValue?: number;
  /** Set by the oracle: the configuration permits this anomaly, because of `allowedBecause`. */
  readonly allowed: boolean;
  /** The rule and this run's events through which Kafka permits it; null for a bug. */
  readonly allowedBecause: Justification | null;
  /** An unseen record the oracle cannot explain is a liveness failure (a stuck consumer), not a safety bug. */
  readonly liveness?: boolean;
}

/** An anomaly before the oracle has looked at it. */
export type Finding = Omit<Anomaly, "allowed" | "allowedBecause" | "liveness">;

export interface JudgementStats {
  readonly sent: number;
  readonly acked: number;
  readonly failed: number;
  readonly unknown: number;
  readonly lostWrites: number;
  readonly duplicates: number;
  readonly reorders: number;
  readonly uncommittedReads: number;
  readonly unseen: number;
  readonly skipped: number;
  readonly processedTwice: number;
  /** duplicate-output: a pipeline's outputs committed twice. */
  readonly duplicateOutputs: number;
  readonly polled: number;
  readonly committed: number;
}

export interface Judgement {
  readonly verdict: Verdict;
  readonly anomalies: Anomaly[];
  readonly stats: JudgementStats;
  /** The allowed anomalies' rules (one entry per type: the first one's sentence). */
  readonly allowed: { readonly type: AnomalyType; readonly reason: string }[];
  /** Convergence after the heal: judged when the drain was long enough; violations make the verdict `liveness`. */
  readonly liveness: LivenessReport;
  /** Groups that processed more slowly than their topics were produced (not a bug, not liveness). */
  readonly capacity: readonly CapacityFinding[];
}
