// What checkers report and what a judged run looks like. Plain data: reports and the CLI print these.
import type { AnomalyType, Verdict } from "../sim/scenario/types.ts";

export interface Anomaly {
  readonly type: AnomalyType;
  /** Kafka's "topic-partition" spelling ("orders-0"), or null when the anomaly is not about one partition. */
  readonly partition: string | null;
  readonly offset: number | null;
  readonly value: number | null;
  /** In words: what happened, and (with a recorded trace) the steps that led to it. */
  readonly explanation: string;
  /** Set by the oracle: the configuration permits this anomaly. */
  readonly allowed: boolean;
  readonly reason?: string;
}

/** An anomaly before the oracle has looked at it. */
export type Finding = Omit<Anomaly, "allowed" | "reason">;

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
  readonly polled: number;
  readonly committed: number;
}

export interface Allowance {
  readonly type: AnomalyType;
  /** The topic the permission applies to; null: every topic. */
  readonly topic: string | null;
  readonly reason: string;
}

export interface Judgement {
  readonly verdict: Verdict;
  readonly anomalies: Anomaly[];
  readonly stats: JudgementStats;
  /** What the oracle permits for this configuration and these faults (one entry per type, first reason). */
  readonly allowed: { readonly type: AnomalyType; readonly reason: string }[];
}
