// What every client saw, in Jepsen's model: an `invoke`, then `ok`, `fail` (it certainly did not happen) or
// `info` (outcome unknown). Plus the final state of every replica after the heal-and-drain phase.
// Checkers (properties/) read only this and the trace; never the simulator's objects. The columnar read API
// (HistoryColumns) is at the end; the recorder is history-recorder.ts, its row layout history-rows.ts.
import type { KafkaErrorCode } from "./kafka/errors.ts";
import type { ReplicaLog } from "./final-log.ts";

export type OpType = "invoke" | "ok" | "fail" | "info";

/** A record as a consumer saw it. */
export interface PolledRecord {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
  readonly value: number;
  readonly key: number | null;
}

/** A record as a consumer's poll hands it out (its work item), for HistoryRecorder.recordPoll. */
export interface PolledItem {
  readonly topic: string;
  readonly partition: number;
  readonly message: { readonly offset: number; readonly value: number; readonly key: number | null };
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
  /** On ok: the broker the producer sent the batch to (that answered, with acks ≥ 1). */
  readonly broker?: number;
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
  /** ok: processed; failed: gave up (after retries); dead-letter: sent to the DLT; error: a kafkajs-API handler
   *  threw on it (type fail: not processed; kafkajs fetches it again after the retry backoff). */
  readonly result: "ok" | "failed" | "dead-letter" | "error";
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
  /** A consumer moved its position of a partition itself (type "ok"): the kafkajs runner back to the resolved
   *  offset after a handler threw, a pause or a stop (reason "refetch"), or consumer.seek() (reason "seek"). Its
   *  next poll of the partition starts there. */
  | (OpBase & { readonly f: "seek"; readonly value: { readonly group: string; readonly topic: string; readonly partition: number; readonly offset: number; readonly reason: "refetch" | "seek" } })
  /** A consumer's position was reset by auto.offset.reset; or (reason "seek") a real client fetched from another
   *  offset than where its previous fetch ended, as the wire gateway saw it (sim/wire/gateway/clients.ts). */
  | (OpBase & { readonly f: "reset"; readonly value: { readonly group: string; readonly topic: string; readonly partition: number; readonly offset: number; readonly reason: "no-committed-offset" | "out-of-range" | "seek"; readonly strategy: "earliest" | "latest" | "none" } })
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
  /** The same records, compact (non-enumerable; the three arrays above are built from it when first read). Absent in
   *  hand-built replicas: replicaLog() builds it from the arrays. */
  readonly log?: ReplicaLog;
  /** Only for a log with transactions: each record's producer id and batch attributes (sim/kafka/records.ts). */
  readonly producerIds?: readonly number[];
  readonly attributes?: readonly number[];
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
  /** Each group as its coordinator holds it at the end (state, generation, members): a group still rebalancing
   *  after the drain did not converge. */
  readonly groups?: readonly { readonly group: string; readonly state: "empty" | "preparing" | "completing" | "stable"; readonly generation: number; readonly members: number }[];
  /** KRaft: each controller's __cluster_metadata log at the end (what its disk kept). */
  readonly metadata?: readonly FinalMetadataLog[];
}

/** A controller's metadata log after the run: the Raft epoch and a digest of each record, from startOffset. */
export interface FinalMetadataLog {
  readonly node: string;
  readonly alive: boolean;
  readonly startOffset: number;
  readonly epochs: readonly number[];
  readonly digests: readonly number[];
}

/** Acknowledged sends in a list of ops (what HistoryRecorder.sendsAcked counts while recording). */
export function countSendsAcked(ops: readonly HistoryOp[]): number {
  let n = 0;
  for (const op of ops) if (op.f === "send" && op.type === "ok") n++;
  return n;
}

export { HistoryRecorder } from "./history-recorder.ts";

/** What the checkers read of a history: the ops by index, without an object per op. Field accessors are defined
 *  for the ops that have the field (`value` of a send or process, `recValue` of a poll...). */
export interface HistoryColumns {
  readonly length: number;
  /** Acknowledged sends (ok ops of f "send"). */
  readonly sendsAcked: number;
  /** The largest send value recorded (-1 with none): dense value-indexed tables are sized by it. */
  readonly maxValue: number;
  f(i: number): HistoryF;
  type(i: number): OpType;
  timeUs(i: number): number;
  process(i: number): string;
  /** Topic of a send or process. */
  topic(i: number): string;
  /** Value of a send or process. */
  value(i: number): number;
  /** Partition of a send (undefined while not chosen) or process. */
  partition(i: number): number | undefined;
  /** Offset of a send (ok) or process. */
  offset(i: number): number | undefined;
  /** Error of a send or poll. */
  error(i: number): KafkaErrorCode | undefined;
  /** Group of a poll, process, commit, assign or reset. */
  group(i: number): string;
  /** Result of a process op. */
  result(i: number): ProcessValue["result"];
  /** Records a poll returned. */
  records(i: number): number;
  recTopic(i: number, j: number): string;
  recPartition(i: number, j: number): number;
  recOffset(i: number, j: number): number;
  recValue(i: number, j: number): number;
  /** Indices of the ops kept as objects (commits, assignments, resets, crashes, failed sends...), in order. */
  objectIndices(): readonly number[];
  /** The op as an object (materialised unless it is kept as one). */
  op(i: number): HistoryOp;
  /** Every op as an object, materialised once. */
  readonly ops: readonly HistoryOp[];
}
