// What every client saw, in Jepsen's model: an `invoke`, then `ok`, `fail` (it certainly did not happen) or
// `info` (outcome unknown). Plus the final state of every replica after the heal-and-drain phase.
// Checkers (properties/) read only this and the trace; never the simulator's objects.
import type { KafkaErrorCode } from "./kafka/errors.ts";

export type OpType = "invoke" | "ok" | "fail" | "info";

/** A record as a consumer saw it. */
export interface PolledRecord {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
  readonly value: number;
  readonly key: number | null;
}

export interface SendValue {
  readonly topic: string;
  readonly key: number | null;
  /** Unique per send across the run (the workload numbers them); what checkers track. */
  readonly value: number;
  /** Known on ok (and on invoke when the partition was chosen). */
  readonly partition?: number;
  /** On ok with acks ≥ 1; -1 for acks=0 (the broker answers nothing). */
  readonly offset?: number;
  readonly error?: KafkaErrorCode;
  /** What the producer did with a record that failed for good. */
  readonly policy?: "drop" | "log" | "halt" | "dead-letter";
}

export interface CommitValue {
  readonly group: string;
  readonly generation: number;
  /** The next offset to read, per partition (Kafka's committed offset semantics). */
  readonly offsets: readonly { readonly topic: string; readonly partition: number; readonly offset: number }[];
  readonly mode: "sync" | "async" | "auto";
  readonly error?: KafkaErrorCode | "COMMIT_FAILED";
}

export interface ProcessValue {
  readonly group: string;
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
  readonly value: number;
  /** ok: processed; failed: gave up (after retries); dead-letter: sent to the DLT. */
  readonly result: "ok" | "failed" | "dead-letter";
  readonly attempts?: number;
}

interface OpBase {
  /** Position in the history (0, 1, 2, ...). */
  readonly index: number;
  /** Virtual time in µs. */
  readonly timeUs: number;
  /** The client: producer id ("p1") or consumer member ("g1/0"). */
  readonly process: string;
  readonly type: OpType;
}

export type HistoryOp =
  | (OpBase & { readonly f: "send"; readonly value: SendValue })
  | (OpBase & { readonly f: "poll"; readonly value: { readonly group: string; readonly records: readonly PolledRecord[] }; readonly error?: KafkaErrorCode })
  | (OpBase & { readonly f: "commit"; readonly value: CommitValue })
  | (OpBase & { readonly f: "process"; readonly value: ProcessValue })
  /** A consumer's partitions after a rebalance (info-level; type "ok"). */
  | (OpBase & { readonly f: "assign"; readonly value: { readonly group: string; readonly generation: number; readonly partitions: readonly { readonly topic: string; readonly partition: number }[] } })
  /** A consumer's position was reset by auto.offset.reset. */
  | (OpBase & { readonly f: "reset"; readonly value: { readonly group: string; readonly topic: string; readonly partition: number; readonly offset: number; readonly reason: "no-committed-offset" | "out-of-range"; readonly strategy: "earliest" | "latest" | "none" } })
  /** A client process crashed (type "info") or restarted (type "ok"). */
  | (OpBase & { readonly f: "crash" | "restart"; readonly value: null });

export type HistoryF = HistoryOp["f"];

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
/** An op before the recorder numbers it. */
export type HistoryOpInput = DistributiveOmit<HistoryOp, "index">;

/** One replica of one partition at the end of the run. */
export interface FinalReplica {
  readonly broker: number;
  readonly alive: boolean;
  readonly logStartOffset: number;
  readonly logEndOffset: number;
  readonly highWatermark: number;
  /** Record values by offset (index 0 = logStartOffset). */
  readonly values: readonly number[];
  /** Leader epoch of each record, by offset. */
  readonly epochs: readonly number[];
  /** Record keys by offset (-1 for none); needed to decode __consumer_offsets. */
  readonly keys?: readonly number[];
}

export interface FinalPartition {
  readonly topic: string;
  readonly partition: number;
  readonly leader: number | null;
  readonly leaderEpoch: number;
  readonly isr: readonly number[];
  readonly replicas: readonly FinalReplica[];
}

export interface FinalState {
  readonly partitions: readonly FinalPartition[];
  /** Committed offsets per group, as stored in __consumer_offsets at the end. */
  readonly committedOffsets: readonly { readonly group: string; readonly topic: string; readonly partition: number; readonly offset: number }[];
  /** Per consumer group: the value of the members' running state, if the processing model keeps one. */
  readonly consumerState?: Readonly<Record<string, unknown>>;
}

/** Appends ops with consecutive indices. Clients get one of these from the world. */
export class HistoryRecorder {
  readonly ops: HistoryOp[] = [];
  /** Observers (the fault interpreter's event triggers). */
  private readonly listeners: ((op: HistoryOp) => void)[] = [];

  /** Numbers the op in place (no copy: the hot path records one op per send and per poll). */
  record(op: HistoryOpInput): HistoryOp {
    const full = op as HistoryOp;
    (full as { index: number }).index = this.ops.length;
    this.ops.push(full);
    for (const l of this.listeners) l(full);
    return full;
  }
  onRecord(fn: (op: HistoryOp) => void): void {
    this.listeners.push(fn);
  }
}
