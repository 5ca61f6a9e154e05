// The faulty disk of one node. Two kinds of file:
// - LogFile: an append-only, columnar record log (no per-record objects) with a flushed length;
// - blob: a small file overwritten whole (a checkpoint), with its last flushed version.
// A process kill keeps everything (the OS page cache survives); power loss keeps only what was flushed.
// Kafka does not fsync by default (log.flush.interval.* unset): durability comes from replication.

import type { RecordSlice, ShortColumn, WideningColumn } from "../kafka/protocol.ts";

const INITIAL_CAPACITY = 64;

/** One record's columns. Values are integers chosen by the workload (unique per send), keys -1 for none. */
export interface LogRecord {
  readonly epoch: number;
  readonly value: number;
  readonly key: number;
  readonly producerId: number;
  readonly sequence: number;
  readonly appendUs: number;
  /** Batch attributes (sim/kafka/records.ts: transactional, control). */
  readonly attributes: number;
}

/** The next capacity of a log's columns: doubling while small, then a quarter more at a time, so that a long log
 *  holds at most a quarter more than its records (doubling left up to half of a 300,000-record log unused). */
function nextCapacity(cap: number): number {
  return cap < 65_536 ? cap * 2 : Math.ceil((cap * 1.25) / 1024) * 1024;
}

type Column = Uint8Array | Int16Array | Int32Array | Float64Array;

/** A column of `cap` entries of the same type holding `a`'s first `n` (a plain constructor per type: one called
 *  through `a.constructor` is megamorphic, and a log grows eight columns at a time). */
function resized<T extends Column>(a: T, cap: number, n: number): T {
  const b = (a instanceof Int16Array ? new Int16Array(cap) : a instanceof Int32Array ? new Int32Array(cap) : a instanceof Float64Array ? new Float64Array(cap) : new Uint8Array(cap)) as T;
  b.set(n === a.length ? a : a.subarray(0, n));
  return b;
}

/** `a` as int32 (its capacity and first `n` entries). */
function to32(a: ShortColumn, n: number): Int32Array {
  if (a instanceof Int32Array) return a;
  const b = new Int32Array(a.length);
  b.set(a.subarray(0, n));
  return b;
}

/** `a` as doubles (its capacity and first `n` entries). */
function to64(a: WideningColumn, n: number): Float64Array {
  if (a instanceof Float64Array) return a;
  const b = new Float64Array(a.length);
  b.set(a.subarray(0, n));
  return b;
}

/** Whether `src[at, at + count)` fits the narrower column `dst`. */
function fits(src: Column, at: number, count: number, dst: ShortColumn | Int32Array): boolean {
  const probe = dst instanceof Int16Array ? PROBE16 : PROBE32;
  for (let j = at, to = at + count; j < to; j++) {
    probe[0] = src[j] as number;
    if (probe[0] !== src[j]) return false;
  }
  return true;
}
const PROBE16 = new Int16Array(1);
const PROBE32 = new Int32Array(1);

/** A log's records, one typed column per field: 21 bytes a record. Values and append times are int32 (a value
 *  chosen by the workload, µs below 35 minutes); leader epochs, keys, producer ids and producer epochs int16; until
 *  one does not fit: then that column is copied once to the wider type (doubles; int32) for the rest of the log's
 *  life. A copy, so that views handed out (RecordSlice) keep what they read.
 *  A follower's log shares the leader's columns (all but the attributes) while its records are the leader's, offset
 *  for offset: from its first fetch into an empty log, across the leader's growing, until either writes anything
 *  else (then it copies them first). Sound because no log ever writes below its own length in place (it appends;
 *  it shrinks into fresh columns), and a sharing log reads only below its own length. */
export class LogFile {
  /** Offset of index 0 (log start offset). */
  startOffset = 0;
  length = 0;
  /** Records [0, flushedLength) are on stable storage. */
  flushedLength = 0;
  epoch: ShortColumn = new Int16Array(INITIAL_CAPACITY);
  value: WideningColumn = new Int32Array(INITIAL_CAPACITY);
  key: ShortColumn = new Int16Array(INITIAL_CAPACITY);
  producerId: ShortColumn = new Int16Array(INITIAL_CAPACITY);
  sequence: Int32Array = new Int32Array(INITIAL_CAPACITY);
  appendUs: WideningColumn = new Int32Array(INITIAL_CAPACITY);
  /** Idempotent producer epoch of each record (-1 for none): the producer state is rebuilt from it. */
  producerEpoch: ShortColumn = new Int16Array(INITIAL_CAPACITY);
  /** Batch attributes of each record (sim/kafka/records.ts): transactional data, control records (markers). */
  attributes: Uint8Array = new Uint8Array(INITIAL_CAPACITY);

  /** Log end offset. */
  get endOffset(): number {
    return this.startOffset + this.length;
  }

  /** The columns but the attributes are a leader's (see the class comment). */
  private shared = false;
  /** The era of its columns: a token, the same while they only grow or widen (columns of one era hold the same
   *  records at the same indices: a log grows and widens by copying, never writing below its length), a new one
   *  when the log shrinks or stops sharing; a sharing log's is the era of the columns it shares. A follower sharing
   *  a leader's columns may move to the leader's newer ones of the same era (appendColumns). */
  private era: object = {};

  /** The era of the columns now (RecordSlice.era: what a follower's appendColumns compares). */
  get columnsEra(): object {
    return this.era;
  }

  private grow(): void {
    this.reallocate(nextCapacity(this.epoch.length), true);
  }

  /** Fresh columns of `cap` entries holding the first `length` records (each of its current type); `grown`: of the
   *  same era (not when the log shrank, nor when it stops sharing another's columns). */
  private reallocate(cap: number, grown: boolean): void {
    const n = this.length;
    if (!grown || this.shared) this.era = {};
    this.epoch = resized(this.epoch, cap, n);
    this.value = resized(this.value, cap, n);
    this.key = resized(this.key, cap, n);
    this.producerId = resized(this.producerId, cap, n);
    this.sequence = resized(this.sequence, cap, n);
    this.appendUs = resized(this.appendUs, cap, n);
    this.producerEpoch = resized(this.producerEpoch, cap, n);
    this.attributes = resized(this.attributes, cap, n);
    this.shared = false;
  }

  /** Before writing: columns of its own. */
  private unshare(): void {
    if (this.shared) this.reallocate(this.epoch.length, false);
  }

  /** Append one record; returns its offset. Arguments are positional to keep the hot path allocation-free. A narrow
   *  column reads back what it was given only if the value fits it. */
  append(epoch: number, value: number, key: number, producerId: number, sequence: number, appendUs: number, producerEpoch = -1, attributes = 0): number {
    this.unshare();
    if (this.length === this.epoch.length) this.grow();
    const i = this.length++;
    this.attributes[i] = attributes;
    this.epoch[i] = epoch;
    if (this.epoch[i] !== epoch) (this.epoch = to32(this.epoch, i))[i] = epoch;
    this.value[i] = value;
    if (this.value[i] !== value) (this.value = to64(this.value, i))[i] = value;
    this.key[i] = key;
    if (this.key[i] !== key) (this.key = to32(this.key, i))[i] = key;
    this.producerId[i] = producerId;
    if (this.producerId[i] !== producerId) (this.producerId = to32(this.producerId, i))[i] = producerId;
    this.sequence[i] = sequence;
    this.appendUs[i] = appendUs;
    if (this.appendUs[i] !== appendUs) (this.appendUs = to64(this.appendUs, i))[i] = appendUs;
    this.producerEpoch[i] = producerEpoch;
    if (this.producerEpoch[i] !== producerEpoch) (this.producerEpoch = to32(this.producerEpoch, i))[i] = producerEpoch;
    return this.startOffset + i;
  }

  /** Room for `n` more records (one reallocation however many are appended next). */
  private reserve(n: number): void {
    const need = this.length + n;
    if (need <= this.epoch.length) return;
    let cap = nextCapacity(this.epoch.length);
    while (cap < need) cap = nextCapacity(cap);
    this.reallocate(cap, true);
  }

  /** Append a leader's batch: one epoch, append time and producer for all; sequences from `baseSequence` (or -1
   *  for each when it is negative). Column-wise, so a batch costs a few native fills, not a call per record.
   *  Returns the first offset. */
  appendBatch(epoch: number, values: readonly number[], keys: readonly number[], producerId: number, baseSequence: number, appendUs: number, producerEpoch: number, attributes = 0): number {
    const n = values.length;
    this.unshare();
    this.reserve(n);
    const i0 = this.length;
    const end = i0 + n;
    if (n > 0) {
      // One value for the batch: widen first if it does not fit.
      this.epoch[i0] = epoch;
      if (this.epoch[i0] !== epoch) this.epoch = to32(this.epoch, i0);
      this.producerId[i0] = producerId;
      if (this.producerId[i0] !== producerId) this.producerId = to32(this.producerId, i0);
      this.appendUs[i0] = appendUs;
      if (this.appendUs[i0] !== appendUs) this.appendUs = to64(this.appendUs, i0);
      this.producerEpoch[i0] = producerEpoch;
      if (this.producerEpoch[i0] !== producerEpoch) this.producerEpoch = to32(this.producerEpoch, i0);
    }
    this.epoch.fill(epoch, i0, end);
    let vs = this.value;
    let ks = this.key;
    for (let i = 0; i < n; i++) {
      const v = values[i] as number;
      const k = keys[i] as number;
      vs[i0 + i] = v;
      ks[i0 + i] = k;
      if (vs[i0 + i] !== v) vs = this.value = to64(vs, i0 + i);
      if (ks[i0 + i] !== k) ks = this.key = to32(ks, i0 + i);
      vs[i0 + i] = v;
      ks[i0 + i] = k;
    }
    this.producerId.fill(producerId, i0, end);
    if (baseSequence < 0) this.sequence.fill(-1, i0, end);
    else for (let i = 0; i < n; i++) this.sequence[i0 + i] = baseSequence + i;
    this.appendUs.fill(appendUs, i0, end);
    this.producerEpoch.fill(producerEpoch, i0, end);
    this.attributes.fill(attributes, i0, end);
    this.length = end;
    return this.startOffset + i0;
  }

  /** Append `count` records from columns (a follower copying a fetch response), `at` their index there. */
  appendColumns(src: Omit<RecordSlice, "baseOffset" | "count" | "at">, at: number, count: number): void {
    if (at === this.length && this.adopt(src)) {
      // The records are in the shared columns already: only the attributes are this log's own.
      this.reserveAttributes(at + count);
      if (src.attributes !== undefined) this.attributes.set(src.attributes.subarray(at, at + count), at);
      else this.attributes.fill(0, at, at + count);
      this.length = at + count;
      return;
    }
    this.unshare();
    this.reserve(count);
    const i0 = this.length;
    const to = at + count;
    // Wider source columns (a leader's log that widened): this log widens too unless the range fits.
    if (src.epochs.BYTES_PER_ELEMENT > this.epoch.BYTES_PER_ELEMENT && !fits(src.epochs, at, count, this.epoch)) this.epoch = to32(this.epoch, i0);
    if (src.values.BYTES_PER_ELEMENT > this.value.BYTES_PER_ELEMENT && !fits(src.values, at, count, this.value as Int32Array)) this.value = to64(this.value, i0);
    if (src.keys.BYTES_PER_ELEMENT > this.key.BYTES_PER_ELEMENT && !fits(src.keys, at, count, this.key)) this.key = to32(this.key, i0);
    if (src.producerIds.BYTES_PER_ELEMENT > this.producerId.BYTES_PER_ELEMENT && !fits(src.producerIds, at, count, this.producerId)) this.producerId = to32(this.producerId, i0);
    if (src.appendUs.BYTES_PER_ELEMENT > this.appendUs.BYTES_PER_ELEMENT && !fits(src.appendUs, at, count, this.appendUs as Int32Array)) this.appendUs = to64(this.appendUs, i0);
    if (src.producerEpochs.BYTES_PER_ELEMENT > this.producerEpoch.BYTES_PER_ELEMENT && !fits(src.producerEpochs, at, count, this.producerEpoch)) this.producerEpoch = to32(this.producerEpoch, i0);
    const attrs = src.attributes;
    if (count < 64) {
      // Few records: a plain loop beats eight views and native copies.
      const { epochs, values, keys, producerIds, sequences, appendUs, producerEpochs } = src;
      for (let j = at, i = i0; j < to; j++, i++) {
        this.attributes[i] = attrs === undefined ? 0 : (attrs[j] as number);
        this.epoch[i] = epochs[j] as number;
        this.value[i] = values[j] as number;
        this.key[i] = keys[j] as number;
        this.producerId[i] = producerIds[j] as number;
        this.sequence[i] = sequences[j] as number;
        this.appendUs[i] = appendUs[j] as number;
        this.producerEpoch[i] = producerEpochs[j] as number;
      }
      this.length = i0 + count;
      return;
    }
    this.epoch.set(src.epochs.subarray(at, to), i0);
    this.value.set(src.values.subarray(at, to), i0);
    this.key.set(src.keys.subarray(at, to), i0);
    this.producerId.set(src.producerIds.subarray(at, to), i0);
    this.sequence.set(src.sequences.subarray(at, to), i0);
    this.appendUs.set(src.appendUs.subarray(at, to), i0);
    this.producerEpoch.set(src.producerEpochs.subarray(at, to), i0);
    if (attrs !== undefined) this.attributes.set(attrs.subarray(at, to), i0);
    else this.attributes.fill(0, i0, i0 + count);
    this.length = i0 + count;
  }

  /** Share `src`'s columns if this log's records are theirs (it is empty, or shares columns of their era: the same
 *  log's, grown or widened since): true when it now does. */
  private adopt(src: Omit<RecordSlice, "baseOffset" | "count" | "at">): boolean {
    if (this.length === 0) {
      // Empty: nothing of its own to keep.
    } else if (!this.shared || src.era === undefined || src.era !== this.era) {
      return false;
    }
    this.era = src.era ?? {};
    this.epoch = src.epochs;
    this.value = src.values;
    this.key = src.keys;
    this.producerId = src.producerIds;
    this.sequence = src.sequences;
    this.appendUs = src.appendUs;
    this.producerEpoch = src.producerEpochs;
    this.shared = true;
    return true;
  }

  /** The attributes (always this log's own) hold `n` records. */
  private reserveAttributes(n: number): void {
    if (n <= this.attributes.length) return;
    let cap = nextCapacity(this.attributes.length);
    while (cap < n) cap = nextCapacity(cap);
    this.attributes = resized(this.attributes, cap, this.length);
  }

  /** Remove every record at or above `offset`. Truncation is made durable at once (Kafka flushes on truncate). */
  truncateTo(offset: number): void {
    const len = Math.max(0, Math.min(this.length, offset - this.startOffset));
    if (len < this.length) this.shrinkTo(len);
    if (this.flushedLength > len) this.flushedLength = len;
  }

  flush(): void {
    this.flushedLength = this.length;
  }

  /** Records not yet on stable storage. */
  get unflushed(): number {
    return this.length - this.flushedLength;
  }

  epochAt(offset: number): number {
    return this.epoch[offset - this.startOffset] as number;
  }
  valueAt(offset: number): number {
    return this.value[offset - this.startOffset] as number;
  }
  record(offset: number): LogRecord {
    const i = offset - this.startOffset;
    return {
      epoch: this.epoch[i] as number,
      value: this.value[i] as number,
      key: this.key[i] as number,
      producerId: this.producerId[i] as number,
      sequence: this.sequence[i] as number,
      appendUs: this.appendUs[i] as number,
      attributes: this.attributes[i] as number,
    };
  }

  /** Power loss: the OS page cache is gone. */
  loseUnflushed(): void {
    if (this.flushedLength < this.length) this.shrinkTo(this.flushedLength);
  }

  /** Drop records from `len` on. The columns are copied first: fetch responses in flight are views of them
   *  (RecordSlice) and must keep the records they were answered with when new ones take those offsets. */
  private shrinkTo(len: number): void {
    this.length = len;
    this.reallocate(this.epoch.length, false);
  }
}

interface Blob<T> {
  current: T;
  flushed: T | undefined;
}

export class Disk {
  private readonly logs = new Map<string, LogFile>();
  private readonly blobs = new Map<string, Blob<unknown>>();
  /** Bytes per record for the cost model (roughly a small Kafka record with its batch overhead share). */
  static readonly BYTES_PER_RECORD = 100;

  log(name: string): LogFile {
    let l = this.logs.get(name);
    if (l === undefined) {
      l = new LogFile();
      this.logs.set(name, l);
    }
    return l;
  }
  hasLog(name: string): boolean {
    return this.logs.has(name);
  }
  logNames(): string[] {
    return [...this.logs.keys()];
  }

  /** Write a small file whole; durable only after flushBlob (or flush: true). */
  writeBlob<T>(name: string, value: T, opts: { readonly flush?: boolean } = {}): void {
    const b = this.blobs.get(name);
    if (b === undefined) this.blobs.set(name, { current: value, flushed: opts.flush ? value : undefined });
    else {
      b.current = value;
      if (opts.flush) b.flushed = value;
    }
  }
  readBlob<T>(name: string): T | undefined {
    return this.blobs.get(name)?.current as T | undefined;
  }
  flushBlob(name: string): void {
    const b = this.blobs.get(name);
    if (b !== undefined) b.flushed = b.current;
  }

  /** fsync everything (clean shutdown, or log.flush.interval.*). */
  flushAll(): void {
    for (const l of this.logs.values()) l.flush();
    for (const b of this.blobs.values()) b.flushed = b.current;
  }

  /** The process was killed: the page cache survives, nothing is lost. */
  kill(): void {}

  /** The machine lost power: only flushed data survives. Returns records lost per log. */
  powerLoss(): Map<string, number> {
    const lost = new Map<string, number>();
    for (const [name, l] of this.logs) {
      if (l.unflushed > 0) lost.set(name, l.unflushed);
      l.loseUnflushed();
    }
    for (const [name, b] of this.blobs) {
      if (b.flushed === undefined) this.blobs.delete(name);
      else b.current = b.flushed;
    }
    return lost;
  }

  /** Bytes stored (cost model). */
  bytes(): number {
    let n = 0;
    for (const l of this.logs.values()) n += l.length * Disk.BYTES_PER_RECORD;
    return n;
  }
}
