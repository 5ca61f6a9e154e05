// The history's row layout: the ops clients record once per record (the two send ops, the poll with its records,
// the two process ops) as rows of int32 columns in fixed chunks, packed once a history is long
// (sim/history-pack.ts). The recorder (history-recorder.ts) writes and reads them.
import { packRows } from "./history-pack.ts";
import type { HistoryF, OpType, ProcessValue } from "./history.ts";

// Row kinds.
export const K_OBJECT = 0;
export const K_SEND_INVOKE = 1;
export const K_SEND_OK = 2;
export const K_POLL_INVOKE = 3;
export const K_POLL_OK = 4;
export const K_PROCESS = 5;
/** Int32 column value for "absent" (a null key, an invoke without a chosen partition, an ok without a broker). */
export const ABSENT = -0x80000000;
/** Six int32 columns a row; their meaning by kind:
 *  send invoke  stream(process, topic) · key · value · partition
 *  send ok      stream(process, topic) · key · value · partition · offset · broker
 *  poll invoke  stream(process, group)
 *  poll ok      stream(process, group) · first record row · record count
 *  process      stream(process, group) · topic · partition · offset · value · type | result << 2 | (attempts+1) << 4
 *  object       index into the objects */
export const COLS = 6;
/** Polled records: topic · partition · offset · value · key. */
export const RCOLS = 5;
/** Rows live in fixed chunks of 2^12: appending never copies what is already recorded. */
export const SHIFT = 12;
export const CHUNK = 1 << SHIFT;
export const MASK = CHUNK - 1;

/** Columns each kind uses (object, send invoke, send ok, poll invoke, poll ok, process): what packing keeps. */
export const USED: readonly number[] = [1, 4, 6, 1, 3, 6];
/** Full chunks are packed once the history holds this many rows (polled records: records): short histories — a
 *  fuzz run, the quick workload benchmark — stay as they are, long ones shrink about threefold. From then on each
 *  chunk packed also packs one filled before the threshold, oldest first, so that a long history ends packed whole
 *  (the 600 s benchmark run: 49 MB less) without a pause to pack a million rows at once. */
export const PACK_FROM_ROWS = 1 << 20;

export const TYPES: readonly OpType[] = ["invoke", "ok", "fail", "info"];
export const TYPE_CODE: Readonly<Record<OpType, number>> = { invoke: 0, ok: 1, fail: 2, info: 3 };
export const RESULTS: readonly ProcessValue["result"][] = ["ok", "failed", "dead-letter", "error"];
export const RESULT_CODE: Readonly<Record<ProcessValue["result"], number>> = { ok: 0, failed: 1, "dead-letter": 2, error: 3 };
export const FS: readonly HistoryF[] = ["send", "send", "send", "poll", "poll", "process"];

/** A 32-bit integer (the columns' range; anything else is kept as an object). */
export const isInt32 = (x: number): boolean => (x | 0) === x;

export class RowChunk {
  readonly kind = new Uint8Array(CHUNK);
  /** Time in µs relative to `baseUs`. */
  readonly dt = new Int32Array(CHUNK);
  readonly a = new Int32Array(CHUNK * COLS);
  constructor(public baseUs: number) {}

  /** Empty again, for rows from `baseUs` on. */
  reset(baseUs: number): this {
    this.baseUs = baseUs;
    this.kind.fill(0);
    this.dt.fill(0);
    this.a.fill(0);
    return this;
  }
}

/** A full chunk, packed (sim/history-pack.ts). */
export class PackedChunk {
  constructor(
    readonly baseUs: number,
    readonly bytes: Uint8Array,
  ) {}
}

export function packChunk(c: RowChunk): PackedChunk {
  return new PackedChunk(c.baseUs, packRows(c, CHUNK, COLS, USED));
}

/** Polled records packed as rows of one kind. */
export const REC_USED: readonly number[] = [RCOLS];
const ZERO_KINDS = new Uint8Array(CHUNK);
const ZERO_DT = new Int32Array(CHUNK);
/** Where unpacked records' (unused) kinds and times go. */
export const SCRATCH_KINDS = new Uint8Array(CHUNK);
export const SCRATCH_DT = new Int32Array(CHUNK);

export function packRecs(c: Int32Array): Uint8Array {
  return packRows({ kind: ZERO_KINDS, dt: ZERO_DT, a: c }, CHUNK, RCOLS, REC_USED);
}
