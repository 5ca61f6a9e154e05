// The history recorder, and the history's columnar read API (its storage: history-store.ts). The ops clients record once per record — the two
// send ops, the poll with its records, the two process ops — are kept as rows of int32 columns (29 bytes a row,
// 20 a polled record) in fixed chunks; everything else (commits, assignments, resets, crashes, failed sends...) as
// the op object. `ops` materialises HistoryOp objects for users and exports (once, cached); the checkers, the
// oracle, the coverage probes and the metrics read the rows through the accessors (`f(i)`, `value(i)`,
// `recValue(i, j)`...) without an object per op.
import { HistoryStore } from "./history-store.ts";
import { K_OBJECT, K_SEND_INVOKE, K_SEND_OK, K_POLL_INVOKE, K_POLL_OK, K_PROCESS, ABSENT, COLS, MASK, TYPES, RESULTS, FS, isInt32 } from "./history-rows.ts";
import type { RowChunk } from "./history-rows.ts";
import type { HistoryColumns, HistoryF, HistoryOp, HistoryOpInput, OpType, PolledItem, PolledRecord, ProcessValue, SendValue } from "./history.ts";
import type { KafkaErrorCode } from "./kafka/errors.ts";

/** Appends ops with consecutive indices (its rows in HistoryStore). Clients get one of these from the world. */
export class HistoryRecorder extends HistoryStore implements HistoryColumns {
  private readonly materialised: HistoryOp[] = [];
  private sendsOk = 0;
  /** Observers (the fault interpreter's event triggers). */
  private readonly listeners: ((op: HistoryOp) => void)[] = [];

  /** The ops of `ops` as columns (for a history that was not recorded here: test fixtures, a parsed export). */
  static fromOps(ops: readonly HistoryOp[]): HistoryRecorder {
    const h = new HistoryRecorder();
    for (const op of ops) h.append(op);
    return h;
  }

  get length(): number {
    return this.rows;
  }

  get sendsAcked(): number {
    return this.sendsOk;
  }

  get maxValue(): number {
    return this.maxSendValue;
  }

  get ops(): readonly HistoryOp[] {
    const out = this.materialised;
    for (let i = out.length; i < this.rows; i++) out.push(this.materialise(i));
    return out;
  }

  op(i: number): HistoryOp {
    return this.materialised[i] ?? this.materialise(i);
  }

  objectIndices(): readonly number[] {
    return this.objectRows;
  }

  /** Numbers the op in place (no copy). Sends, polls and processes are stored as columns when they fit. */
  record(op: HistoryOpInput): HistoryOp {
    const full = op as HistoryOp;
    (full as { index: number }).index = this.rows;
    this.append(full);
    for (const l of this.listeners) l(full);
    return full;
  }

  /** KafkaProducer.send's invoke (partition null: not chosen yet). Positional: allocation-free. */
  recordSendInvoke(timeUs: number, process: string, topic: string, key: number | null, value: number, partition: number | null): void {
    if (this.listeners.length > 0 || !this.fits(timeUs) || !isInt32(value) || (key !== null && (!isInt32(key) || key === ABSENT)) || (partition !== null && !isInt32(partition))) {
      const v: SendValue = partition === null ? { topic, key, value } : { topic, key, value, partition };
      this.record({ timeUs, process, type: "invoke", f: "send", value: v });
      return;
    }
    this.sendInvokeRow(timeUs, process, topic, key, value, partition ?? ABSENT);
  }

  /** A send acknowledged at `offset` (-1 when unknown: acks=0 or a duplicate sequence) by `broker` (the one the
   *  batch went to; -1 unknown). Positional to stay allocation-free on the producer's per-record path; `key` < 0
   *  means none. */
  recordSendOk(timeUs: number, process: string, topic: string, key: number, value: number, partition: number, offset: number, broker: number): void {
    if (this.listeners.length > 0 || !this.fits(timeUs) || !isInt32(value) || !isInt32(key) || !isInt32(partition) || !isInt32(offset) || !isInt32(broker)) {
      this.record({ timeUs, process, type: "ok", f: "send", value: { topic, key: key < 0 ? null : key, value, partition, offset, ...(broker >= 0 ? { broker } : {}) } });
      return;
    }
    this.sendsOk++;
    this.sendOkRow(timeUs, process, topic, key < 0 ? ABSENT : key, value, partition, offset, broker < 0 ? ABSENT : broker);
  }

  /** A poll's invoke and its ok with the records it returned (`items`: the consumer's work items). Positional: no
   *  object per record on the consumer's path. */
  recordPoll(timeUs: number, process: string, group: string, items: readonly PolledItem[]): void {
    let columns = this.listeners.length === 0 && this.fits(timeUs);
    for (let j = 0; columns && j < items.length; j++) {
      const w = items[j] as PolledItem;
      const m = w.message;
      if (!isInt32(w.partition) || !isInt32(m.offset) || !isInt32(m.value) || (m.key !== null && (!isInt32(m.key) || m.key === ABSENT))) columns = false;
    }
    if (!columns) {
      this.record({ timeUs, process, type: "invoke", f: "poll", value: { group, records: [] } });
      const polled: PolledRecord[] = items.map((w) => ({ topic: w.topic, partition: w.partition, offset: w.message.offset, value: w.message.value, key: w.message.key }));
      this.record({ timeUs, process, type: "ok", f: "poll", value: { group, records: polled } });
      return;
    }
    const i = this.row(K_POLL_INVOKE, timeUs);
    (this.cur as RowChunk).a[i * COLS] = this.stream(process, group);
    const first = this.recRows;
    for (let j = 0; j < items.length; j++) {
      const w = items[j] as PolledItem;
      this.recRow(w.topic, w.partition, w.message.offset, w.message.value, w.message.key);
    }
    this.pollOkRow(timeUs, process, group, first, items.length);
  }

  /** A process op (`attempts` -1: none, as on an invoke). Positional: no object on the consumer's per-record path. */
  recordProcess(timeUs: number, process: string, type: OpType, group: string, topic: string, partition: number, offset: number, value: number, result: ProcessValue["result"], attempts: number): void {
    if (this.listeners.length === 0 && this.fits(timeUs) && this.processRow(timeUs, process, type, group, topic, partition, offset, value, result, attempts)) return;
    const base: ProcessValue = { group, topic, partition, offset, value, result };
    this.record({ timeUs, process, type, f: "process", value: attempts < 0 ? base : { ...base, attempts } });
  }

  onRecord(fn: (op: HistoryOp) => void): void {
    this.listeners.push(fn);
  }

  // ---------------------------------------------------------------- writing

  /** Store `op` (already numbered) as columns when its shape has a columnar kind, else as the object. */
  private append(op: HistoryOp): void {
    if (op.f === "send") {
      if (op.type === "ok") this.sendsOk++;
      if (op.value.value > this.maxSendValue) this.maxSendValue = op.value.value;
    }
    if (this.fits(op.timeUs) && this.appendColumns(op)) return;
    this.objectRows.push(this.rows);
    const i = this.row(K_OBJECT, op.timeUs);
    (this.cur as RowChunk).a[i * COLS] = this.objects.length;
    this.objects.push(op);
  }

  private appendColumns(op: HistoryOp): boolean {
    switch (op.f) {
      case "send": {
        const v = op.value;
        if (v.error !== undefined || v.policy !== undefined || !isInt32(v.value) || (v.key !== null && (!isInt32(v.key) || v.key === ABSENT))) return false;
        if (op.type === "invoke" && v.offset === undefined && v.broker === undefined && (v.partition === undefined || isInt32(v.partition))) {
          this.sendInvokeRow(op.timeUs, op.process, v.topic, v.key, v.value, v.partition ?? ABSENT);
          return true;
        }
        if (op.type === "ok" && v.partition !== undefined && v.offset !== undefined && isInt32(v.partition) && isInt32(v.offset) && (v.broker === undefined || (isInt32(v.broker) && v.broker >= 0))) {
          this.sendOkRow(op.timeUs, op.process, v.topic, v.key ?? ABSENT, v.value, v.partition, v.offset, v.broker ?? ABSENT);
          return true;
        }
        return false;
      }
      case "poll": {
        if (op.error !== undefined) return false;
        const recs = op.value.records;
        if (op.type === "invoke" && recs.length === 0) {
          const i = this.row(K_POLL_INVOKE, op.timeUs);
          (this.cur as RowChunk).a[i * COLS] = this.stream(op.process, op.value.group);
          return true;
        }
        if (op.type !== "ok") return false;
        for (let j = 0; j < recs.length; j++) {
          const r = recs[j] as PolledRecord;
          if (!isInt32(r.partition) || !isInt32(r.offset) || !isInt32(r.value) || (r.key !== null && (!isInt32(r.key) || r.key === ABSENT))) return false;
        }
        const first = this.recRows;
        for (let j = 0; j < recs.length; j++) {
          const r = recs[j] as PolledRecord;
          this.recRow(r.topic, r.partition, r.offset, r.value, r.key);
        }
        this.pollOkRow(op.timeUs, op.process, op.value.group, first, recs.length);
        return true;
      }
      case "process": {
        const v = op.value;
        return this.processRow(op.timeUs, op.process, op.type, v.group, v.topic, v.partition, v.offset, v.value, v.result, v.attempts === undefined ? -1 : v.attempts);
      }
      default:
        return false;
    }
  }

  // ---------------------------------------------------------------- reading

  f(i: number): HistoryF {
    const k = this.kindOf(i);
    return k === K_OBJECT ? this.obj(i).f : (FS[k] as HistoryF);
  }

  type(i: number): OpType {
    switch (this.kindOf(i)) {
      case K_OBJECT:
        return this.obj(i).type;
      case K_SEND_INVOKE:
      case K_POLL_INVOKE:
        return "invoke";
      case K_PROCESS:
        return TYPES[this.col(i, 5) & 3] as OpType;
      default:
        return "ok";
    }
  }

  timeUs(i: number): number {
    const c = this.chunkOf(i);
    const r = i & MASK;
    return c.kind[r] === K_OBJECT ? this.obj(i).timeUs : c.baseUs + (c.dt[r] as number);
  }

  process(i: number): string {
    return this.kindOf(i) === K_OBJECT ? this.obj(i).process : (this.names.name(this.streamA[this.col(i, 0)] as number) as string);
  }


  topic(i: number): string {
    switch (this.kindOf(i)) {
      case K_SEND_INVOKE:
      case K_SEND_OK:
        return this.second(i);
      case K_PROCESS:
        return this.names.name(this.col(i, 1)) as string;
      default: {
        const v = this.obj(i).value as { topic?: string } | null;
        return v?.topic ?? "";
      }
    }
  }

  value(i: number): number {
    switch (this.kindOf(i)) {
      case K_SEND_INVOKE:
      case K_SEND_OK:
        return this.col(i, 2);
      case K_PROCESS:
        return this.col(i, 4);
      default: {
        const v = this.obj(i).value as { value?: number } | null;
        return v?.value ?? NaN;
      }
    }
  }

  partition(i: number): number | undefined {
    switch (this.kindOf(i)) {
      case K_SEND_INVOKE:
      case K_SEND_OK: {
        const p = this.col(i, 3);
        return p === ABSENT ? undefined : p;
      }
      case K_PROCESS:
        return this.col(i, 2);
      default: {
        const v = this.obj(i).value as { partition?: number } | null;
        return v?.partition;
      }
    }
  }

  offset(i: number): number | undefined {
    switch (this.kindOf(i)) {
      case K_SEND_INVOKE:
        return undefined;
      case K_SEND_OK:
        return this.col(i, 4);
      case K_PROCESS:
        return this.col(i, 3);
      default: {
        const v = this.obj(i).value as { offset?: number } | null;
        return v?.offset;
      }
    }
  }

  error(i: number): KafkaErrorCode | undefined {
    if (this.kindOf(i) !== K_OBJECT) return undefined;
    const op = this.obj(i);
    if (op.f === "poll") return op.error;
    return op.f === "send" ? op.value.error : undefined;
  }

  group(i: number): string {
    switch (this.kindOf(i)) {
      case K_POLL_INVOKE:
      case K_POLL_OK:
      case K_PROCESS:
        return this.second(i);
      default: {
        const v = this.obj(i).value as { group?: string } | null;
        return v?.group ?? "";
      }
    }
  }

  result(i: number): ProcessValue["result"] {
    if (this.kindOf(i) === K_PROCESS) return RESULTS[(this.col(i, 5) >> 2) & 3] as ProcessValue["result"];
    const op = this.obj(i);
    return op.f === "process" ? op.value.result : "ok";
  }

  records(i: number): number {
    const k = this.kindOf(i);
    if (k === K_POLL_OK) return this.col(i, 2);
    if (k !== K_OBJECT) return 0;
    const op = this.obj(i);
    return op.f === "poll" ? op.value.records.length : 0;
  }

  private objRecord(i: number, j: number): PolledRecord {
    const op = this.obj(i);
    return (op.f === "poll" ? op.value.records[j] : undefined) as PolledRecord;
  }

  recTopic(i: number, j: number): string {
    return this.kindOf(i) === K_POLL_OK ? (this.names.name(this.rec(i, j, 0)) as string) : this.objRecord(i, j).topic;
  }

  recPartition(i: number, j: number): number {
    return this.kindOf(i) === K_POLL_OK ? this.rec(i, j, 1) : this.objRecord(i, j).partition;
  }

  recOffset(i: number, j: number): number {
    return this.kindOf(i) === K_POLL_OK ? this.rec(i, j, 2) : this.objRecord(i, j).offset;
  }

  recValue(i: number, j: number): number {
    return this.kindOf(i) === K_POLL_OK ? this.rec(i, j, 3) : this.objRecord(i, j).value;
  }

  /** Row `i` as the object it was recorded as (same fields, same key order). */
  private materialise(i: number): HistoryOp {
    const kind = this.kindOf(i);
    if (kind === K_OBJECT) return this.obj(i);
    const timeUs = this.timeUs(i);
    const process = this.process(i);
    switch (kind) {
      case K_SEND_INVOKE: {
        const k = this.col(i, 1);
        const key = k === ABSENT ? null : k;
        const topic = this.second(i);
        const value = this.col(i, 2);
        const partition = this.col(i, 3);
        const v: SendValue = partition === ABSENT ? { topic, key, value } : { topic, key, value, partition };
        return { timeUs, process, type: "invoke", f: "send", value: v, index: i };
      }
      case K_SEND_OK: {
        const k = this.col(i, 1);
        const key = k === ABSENT ? null : k;
        const topic = this.second(i);
        const value = this.col(i, 2);
        const partition = this.col(i, 3);
        const offset = this.col(i, 4);
        const broker = this.col(i, 5);
        const v: SendValue = broker === ABSENT ? { topic, key, value, partition, offset } : { topic, key, value, partition, offset, broker };
        return { timeUs, process, type: "ok", f: "send", value: v, index: i };
      }
      case K_POLL_INVOKE:
        return { timeUs, process, type: "invoke", f: "poll", value: { group: this.second(i), records: [] }, index: i };
      case K_POLL_OK: {
        const n = this.col(i, 2);
        const records: PolledRecord[] = [];
        for (let j = 0; j < n; j++) records.push({ topic: this.recTopic(i, j), partition: this.rec(i, j, 1), offset: this.rec(i, j, 2), value: this.rec(i, j, 3), key: this.recKey(i, j) });
        return { timeUs, process, type: "ok", f: "poll", value: { group: this.second(i), records }, index: i };
      }
      default: {
        const bits = this.col(i, 5);
        const attempts = (bits >>> 4) - 1;
        const base = { group: this.second(i), topic: this.names.name(this.col(i, 1)) as string, partition: this.col(i, 2), offset: this.col(i, 3), value: this.col(i, 4), result: RESULTS[(bits >> 2) & 3] as ProcessValue["result"] };
        const v: ProcessValue = attempts < 0 ? base : { ...base, attempts };
        return { timeUs, process, type: TYPES[bits & 3] as OpType, f: "process", value: v, index: i };
      }
    }
  }
}
