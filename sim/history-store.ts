// The history's storage (history-recorder.ts is its API): rows of int32 columns in fixed chunks (layout in
// history-rows.ts), full chunks packed past a threshold (history-pack.ts) and unpacked a chunk at a time when
// read, names interned into (process, topic or group) streams, and the row writers and raw column reads.
import { Interner } from "./core/interner.ts";
import { UnpackCache, unpackRows } from "./history-pack.ts";
import { REC_USED, K_OBJECT, K_SEND_INVOKE, K_SEND_OK, K_POLL_OK, K_PROCESS, ABSENT, COLS, RCOLS, SHIFT, CHUNK, MASK, USED, PACK_FROM_ROWS, TYPE_CODE, RESULT_CODE, isInt32, RowChunk, packChunk, SCRATCH_KINDS, SCRATCH_DT, packRecs } from "./history-rows.ts";
import type { PackedChunk } from "./history-rows.ts";
import type { HistoryOp, OpType, ProcessValue } from "./history.ts";

/** The rows of a history and their names; HistoryRecorder appends and reads through it. */
export class HistoryStore {
  protected rows = 0;
  protected readonly chunks: (RowChunk | PackedChunk)[] = [];
  protected cur: RowChunk | undefined;
  protected readonly recChunks: (Int32Array | Uint8Array)[] = [];
  protected recRows = 0;
  /** Chunks before these indices are packed, or were when the threshold was reached (catch-up packing). */
  protected catchUp = 0;
  protected recCatchUp = 0;
  protected readonly packFromRows: number;
  protected readonly unpackedRows = new UnpackCache(() => new RowChunk(0));
  protected readonly unpackedRecs = new UnpackCache(() => new Int32Array(CHUNK * RCOLS));

  protected readonly objects: HistoryOp[] = [];
  protected readonly objectRows: number[] = [];
  protected readonly names = new Interner();
  /** (process, topic or group) pairs: names' ids. */
  protected readonly streamA: number[] = [];
  protected readonly streamB: number[] = [];
  protected readonly streams = new Map<number, number>();
  protected maxSendValue = -1;

  /** `packFromRows`: pack full chunks once the history holds that many rows (tests pack from 0). */
  constructor(opts: { readonly packFromRows?: number } = {}) {
    this.packFromRows = opts.packFromRows ?? PACK_FROM_ROWS;
  }

  // ---------------------------------------------------------------- writing rows

  /** One polled record's row (records live in chunks of their own). */
  protected recRow(topic: string, partition: number, offset: number, value: number, key: number | null): void {
    const k = this.recRows++;
    let c = this.recChunks[k >> SHIFT] as Int32Array | undefined;
    if (c === undefined) {
      const full = this.recChunks.length - 1;
      let reuse: Int32Array | undefined;
      if (full >= 0 && k >= this.packFromRows) {
        // The chunk just packed takes the next records: no buffer freed and allocated per chunk.
        reuse = this.recChunks[full] as Int32Array;
        this.recChunks[full] = packRecs(reuse);
        if (this.recCatchUp < full) {
          const old = this.recChunks[this.recCatchUp] as Int32Array | Uint8Array;
          if (old instanceof Int32Array) this.recChunks[this.recCatchUp] = packRecs(old);
          this.recCatchUp++;
        }
      }
      this.recChunks.push((c = reuse?.fill(0) ?? new Int32Array(CHUNK * RCOLS)));
    }
    const b = (k & MASK) * RCOLS;
    c[b] = this.names.intern(topic);
    c[b + 1] = partition;
    c[b + 2] = offset;
    c[b + 3] = value;
    c[b + 4] = key ?? ABSENT;
  }

  protected pollOkRow(timeUs: number, process: string, group: string, first: number, n: number): void {
    const i = this.row(K_POLL_OK, timeUs);
    const a = (this.cur as RowChunk).a;
    a[i * COLS] = this.stream(process, group);
    a[i * COLS + 1] = first;
    a[i * COLS + 2] = n;
  }

  /** A process row, if its numbers fit the columns (false: nothing written). */
  protected processRow(timeUs: number, process: string, type: OpType, group: string, topic: string, partition: number, offset: number, value: number, result: ProcessValue["result"], attemptsOrNone: number): boolean {
    const attempts = attemptsOrNone + 1;
    if (!isInt32(partition) || !isInt32(offset) || !isInt32(value) || !isInt32(attempts) || attempts < 0 || attempts >= 1 << 27) return false;
    const i = this.row(K_PROCESS, timeUs);
    const a = (this.cur as RowChunk).a;
    const b = i * COLS;
    a[b] = this.stream(process, group);
    a[b + 1] = this.names.intern(topic);
    a[b + 2] = partition;
    a[b + 3] = offset;
    a[b + 4] = value;
    a[b + 5] = TYPE_CODE[type] | (RESULT_CODE[result] << 2) | (attempts << 4);
    return true;
  }

  protected sendInvokeRow(timeUs: number, process: string, topic: string, key: number | null, value: number, partition: number): void {
    const i = this.row(K_SEND_INVOKE, timeUs);
    const a = (this.cur as RowChunk).a;
    const b = i * COLS;
    a[b] = this.sendStream(process, topic);
    a[b + 1] = key ?? ABSENT;
    a[b + 2] = value;
    a[b + 3] = partition;
    if (value > this.maxSendValue) this.maxSendValue = value;
  }

  protected sendOkRow(timeUs: number, process: string, topic: string, key: number, value: number, partition: number, offset: number, broker: number): void {
    if (value > this.maxSendValue) this.maxSendValue = value;
    const i = this.row(K_SEND_OK, timeUs);
    const a = (this.cur as RowChunk).a;
    const b = i * COLS;
    a[b] = this.sendStream(process, topic);
    a[b + 1] = key;
    a[b + 2] = value;
    a[b + 3] = partition;
    a[b + 4] = offset;
    a[b + 5] = broker;
  }

  // The last (process, topic) of a send: consecutive sends almost always repeat it.
  protected lastProc = "";
  protected lastTopic = "";
  protected lastStream = -1;

  protected sendStream(process: string, topic: string): number {
    if (process !== this.lastProc || topic !== this.lastTopic || this.lastStream < 0) {
      this.lastProc = process;
      this.lastTopic = topic;
      this.lastStream = this.stream(process, topic);
    }
    return this.lastStream;
  }

  protected stream(a: string, b: string): number {
    const ia = this.names.intern(a);
    const ib = this.names.intern(b);
    const key = ia * 2 ** 21 + ib;
    let id = this.streams.get(key);
    if (id === undefined) {
      id = this.streamA.length;
      this.streamA.push(ia);
      this.streamB.push(ib);
      this.streams.set(key, id);
    }
    return id;
  }

  /** Whether a row at `timeUs` can go into the current chunk (its time as an int32 offset from the chunk's base). */
  protected fits(timeUs: number): boolean {
    const c = this.cur;
    if (c === undefined || (this.rows & MASK) === 0) return Number.isSafeInteger(timeUs);
    return isInt32(timeUs - c.baseUs);
  }

  /** A new row; returns its index in the current chunk. */
  protected row(kind: number, timeUs: number): number {
    const i = this.rows & MASK;
    if (i === 0) {
      const full = this.cur;
      const baseUs = Number.isSafeInteger(timeUs) ? timeUs : 0;
      let next: RowChunk | undefined;
      if (full !== undefined && this.rows >= this.packFromRows) {
        const last = this.chunks.length - 1;
        this.chunks[last] = packChunk(full);
        next = full.reset(baseUs); // the chunk just packed takes the next rows
        if (this.catchUp < last) {
          const old = this.chunks[this.catchUp] as RowChunk | PackedChunk;
          if (old instanceof RowChunk) this.chunks[this.catchUp] = packChunk(old);
          this.catchUp++;
        }
      }
      this.chunks.push((this.cur = next ?? new RowChunk(baseUs)));
    }
    const c = this.cur as RowChunk;
    this.rows++;
    c.kind[i] = kind;
    c.dt[i] = kind === K_OBJECT ? 0 : timeUs - c.baseUs;
    return i;
  }

  // ---------------------------------------------------------------- raw reads

  protected chunkOf(i: number): RowChunk {
    const c = this.chunks[i >> SHIFT] as RowChunk | PackedChunk;
    if (c instanceof RowChunk) return c;
    return this.unpackedRows.get(i >> SHIFT, (slot) => {
      slot.baseUs = c.baseUs;
      unpackRows(c.bytes, CHUNK, COLS, USED, slot);
    });
  }

  protected kindOf(i: number): number {
    return this.chunkOf(i).kind[i & MASK] as number;
  }

  /** Column `col` of row `i`. */
  protected col(i: number, col: number): number {
    return this.chunkOf(i).a[(i & MASK) * COLS + col] as number;
  }

  protected obj(i: number): HistoryOp {
    return this.objects[this.col(i, 0)] as HistoryOp;
  }

  protected rec(i: number, j: number, col: number): number {
    const k = this.col(i, 1) + j;
    let c = this.recChunks[k >> SHIFT] as Int32Array | Uint8Array;
    if (c instanceof Uint8Array) {
      const bytes = c;
      c = this.unpackedRecs.get(k >> SHIFT, (slot) => unpackRows(bytes, CHUNK, RCOLS, REC_USED, { kind: SCRATCH_KINDS, dt: SCRATCH_DT, a: slot }));
    }
    return c[(k & MASK) * RCOLS + col] as number;
  }

  /** The stream's second name: the topic of a send, the group of a poll or process. */
  protected second(i: number): string {
    return this.names.name(this.streamB[this.col(i, 0)] as number) as string;
  }

  protected recKey(i: number, j: number): number | null {
    const k = this.rec(i, j, 4);
    return k === ABSENT ? null : k;
  }
}
