// What every client saw, in Jepsen's model: an `invoke`, then `ok`, `fail` (it certainly did not happen) or
// `info` (outcome unknown). Plus the final state of every replica after the heal-and-drain phase.
// Checkers (properties/) read only this and the trace; never the simulator's objects.
import type { KafkaErrorCode } from "./kafka/errors.ts";
import { Interner } from "./core/interner.ts";

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
}

// Row kinds of the recorder's columns: an op kept as an object, or one of the two send ops of the hot path kept
// as columns (a producer records two per record; at 10,000 records/s objects for them dominated the GC).
const ROW_OBJECT = 0;
const ROW_SEND_INVOKE = 1;
const ROW_SEND_OK = 2;
/** Int32 column value for "absent" (an invoke without a chosen partition). */
const ABSENT = -0x80000000;
/** Rows live in fixed chunks of 2^13: appending never copies what is already recorded. */
const CHUNK_SHIFT = 13;
const CHUNK_ROWS = 1 << CHUNK_SHIFT;
const CHUNK_MASK = CHUNK_ROWS - 1;

class Chunk {
  readonly kind = new Uint8Array(CHUNK_ROWS);
  readonly timeUs = new Float64Array(CHUNK_ROWS);
  /** Interned process name; for an object row, the index into the recorder's objects. */
  readonly proc = new Int32Array(CHUNK_ROWS);
  readonly topic = new Int32Array(CHUNK_ROWS);
  readonly partition = new Int32Array(CHUNK_ROWS);
  readonly offset = new Float64Array(CHUNK_ROWS);
  /** NaN for a null key. */
  readonly key = new Float64Array(CHUNK_ROWS);
  readonly value = new Float64Array(CHUNK_ROWS);
  /** Of an ok: the broker that answered (-1 unknown). */
  readonly broker = new Int32Array(CHUNK_ROWS);
}

/** Appends ops with consecutive indices. Clients get one of these from the world.
 *  Sends are stored in columns and become HistoryOp objects only when `ops` is read (then once, cached). */
export class HistoryRecorder {
  private rows = 0;
  private readonly chunks: Chunk[] = [];
  private cur: Chunk = new Chunk();
  /** Rows used in `cur` (starts full so that the first row opens chunk 0). */
  private curRows = CHUNK_ROWS;
  private readonly objects: HistoryOp[] = [];
  /** Process and topic names of the send columns. */
  private readonly names = new Interner();
  /** Materialised ops [0, materialised.length). */
  private readonly materialised: HistoryOp[] = [];
  private sendsOk = 0;
  /** Observers (the fault interpreter's event triggers). */
  private readonly listeners: ((op: HistoryOp) => void)[] = [];

  /** Every op so far, in order (sends are materialised on first read). */
  get ops(): readonly HistoryOp[] {
    const out = this.materialised;
    for (let i = out.length; i < this.rows; i++) out.push(this.materialise(i));
    return out;
  }

  get length(): number {
    return this.rows;
  }

  /** Acknowledged sends (ok ops of f "send") so far. */
  get sendsAcked(): number {
    return this.sendsOk;
  }

  /** Numbers the op in place (no copy). */
  record(op: HistoryOpInput): HistoryOp {
    const full = op as HistoryOp;
    (full as { index: number }).index = this.rows;
    const i = this.row(ROW_OBJECT, full.timeUs);
    this.cur.proc[i] = this.objects.length;
    this.objects.push(full);
    if (full.f === "send" && full.type === "ok") this.sendsOk++;
    for (const l of this.listeners) l(full);
    return full;
  }

  /** KafkaProducer.send's invoke (partition null: not chosen yet). Positional, like recordSendOk. */
  recordSendInvoke(timeUs: number, process: string, topic: string, key: number | null, value: number, partition: number | null): void {
    if (this.listeners.length > 0) {
      const v: SendValue = partition === null ? { topic, key, value } : { topic, key, value, partition };
      this.record({ timeUs, process, type: "invoke", f: "send", value: v });
      return;
    }
    this.fillSend(this.row(ROW_SEND_INVOKE, timeUs), process, topic, key, value, partition ?? ABSENT, 0);
  }

  /** A send acknowledged at `offset` (-1 when unknown: acks=0 or a duplicate sequence) by `broker` (the one the
   *  batch went to; -1 unknown). Positional to stay allocation-free on the producer's per-record path; `key` < 0
   *  means none. */
  recordSendOk(timeUs: number, process: string, topic: string, key: number, value: number, partition: number, offset: number, broker: number): void {
    if (this.listeners.length > 0) {
      this.record({ timeUs, process, type: "ok", f: "send", value: { topic, key: key < 0 ? null : key, value, partition, offset, ...(broker >= 0 ? { broker } : {}) } });
      return;
    }
    this.sendsOk++;
    const i = this.row(ROW_SEND_OK, timeUs);
    this.fillSend(i, process, topic, key < 0 ? null : key, value, partition, offset);
    this.cur.broker[i] = broker;
  }

  onRecord(fn: (op: HistoryOp) => void): void {
    this.listeners.push(fn);
  }

  // The last process and topic interned by fillSend: consecutive sends almost always repeat them.
  private lastProc = "";
  private lastProcId = -1;
  private lastTopic = "";
  private lastTopicId = -1;

  /** Fill row `i` of the current chunk. */
  private fillSend(i: number, process: string, topic: string, key: number | null, value: number, partition: number, offset: number): void {
    const c = this.cur;
    if (process !== this.lastProc || this.lastProcId < 0) {
      this.lastProc = process;
      this.lastProcId = this.names.intern(process);
    }
    if (topic !== this.lastTopic || this.lastTopicId < 0) {
      this.lastTopic = topic;
      this.lastTopicId = this.names.intern(topic);
    }
    c.proc[i] = this.lastProcId;
    c.topic[i] = this.lastTopicId;
    c.key[i] = key === null ? NaN : key;
    c.value[i] = value;
    c.partition[i] = partition;
    c.offset[i] = offset;
  }

  /** A new row in the current chunk; returns its index there. */
  private row(kind: number, timeUs: number): number {
    if (this.curRows === CHUNK_ROWS) {
      if (this.rows > 0) this.cur = new Chunk();
      this.chunks.push(this.cur);
      this.curRows = 0;
    }
    const i = this.curRows++;
    this.rows++;
    this.cur.kind[i] = kind;
    this.cur.timeUs[i] = timeUs;
    return i;
  }

  private materialise(r: number): HistoryOp {
    const c = this.chunks[r >> CHUNK_SHIFT] as Chunk;
    const i = r & CHUNK_MASK;
    const kind = c.kind[i];
    if (kind === ROW_OBJECT) return this.objects[c.proc[i] as number] as HistoryOp;
    const k = c.key[i] as number;
    const key = Number.isNaN(k) ? null : k;
    const topic = this.names.name(c.topic[i] as number) as string;
    const value = c.value[i] as number;
    const partition = c.partition[i] as number;
    const timeUs = c.timeUs[i] as number;
    const process = this.names.name(c.proc[i] as number) as string;
    if (kind === ROW_SEND_INVOKE) {
      const v: SendValue = partition === ABSENT ? { topic, key, value } : { topic, key, value, partition };
      return { timeUs, process, type: "invoke", f: "send", value: v, index: r };
    }
    const broker = c.broker[i] as number;
    const v: SendValue = broker >= 0 ? { topic, key, value, partition, offset: c.offset[i] as number, broker } : { topic, key, value, partition, offset: c.offset[i] as number };
    return { timeUs, process, type: "ok", f: "send", value: v, index: r };
  }
}

/** Acknowledged sends in a list of ops (what HistoryRecorder.sendsAcked counts while recording). */
export function countSendsAcked(ops: readonly HistoryOp[]): number {
  let n = 0;
  for (const op of ops) if (op.f === "send" && op.type === "ok") n++;
  return n;
}
