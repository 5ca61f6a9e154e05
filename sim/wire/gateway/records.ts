// The records of real clients beside the simulated logs. A simulated log holds one number per record (its value,
// unique in the run: what the checkers track) and a key number; a real client sends bytes. The store keeps, per
// value number, the bytes a client produced (key, value, headers, timestamp), and serves them back when a fetch
// reads that offset. It also tells a retry from a new send, so a retried record keeps its number (and a duplicate
// in the log is seen as one):
//   - an idempotent producer's record is (producer id, epoch, topic, partition, sequence): what the broker itself
//     deduplicates by;
//   - any other record is its content (topic, key, value, headers, not the timestamp: kafkajs re-encodes a retry
//     with a new one) from the same client while an earlier record with that content is still unacknowledged.
//     Two identical records a client sends before the first is acknowledged count as one send and its retry.
// Records written by the modelled producers have no bytes here: they are served as their numbers in decimal
// (value, and key when they have one), timestamped with their append time. Transaction markers (the log's control
// records) are served as control batches of one record each, as Kafka writes them (MemoryRecords
// .withEndTransactionMarker: transactional and control attributes, no sequence; key ControlRecordType, value
// EndTransactionMarker), and a transactional producer's records in batches flagged transactional, so a real client
// skips the markers and, reading committed, drops the aborted records.
import { crc32c } from "../crc32c.ts";
import { ATTR_CONTROL, ATTR_TRANSACTIONAL, markerCoordinatorEpoch } from "../../kafka/records.ts";
import type { BatchRecord, RecordBatch, RecordHeader } from "../record-batch.ts";
import type { RecordSlice } from "../../kafka/protocol.ts";
import type { KafkaErrorCode } from "../../kafka/errors.ts";

export interface StoredRecord {
  readonly key: Uint8Array | null;
  readonly value: Uint8Array | null;
  readonly headers: readonly RecordHeader[];
  readonly timestampMs: number;
}

/** The first records of a slice that fit a byte budget, as record batches. */
export interface ServedRecords {
  readonly batches: RecordBatch[];
  /** Records included, from slice.baseOffset. */
  readonly count: number;
  readonly bytes: number;
}

interface OpenBatch {
  readonly base: number;
  readonly epoch: number;
  readonly pid: number;
  readonly pepoch: number;
  readonly seq0: number;
  /** Batch attributes (sim/kafka/records.ts): transactional, control. */
  readonly attrs: number;
  readonly ts0: number;
  maxTs: number;
  readonly recs: StoredRecord[];
}

const EMPTY_HEADERS: readonly RecordHeader[] = Object.freeze([]);
const NO_RECORDS: ServedRecords = { batches: [], count: 0, bytes: 0 };

function sameBytes(a: Uint8Array | null, b: Uint8Array | null): boolean {
  if (a === null || b === null) return a === b;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function sameContent(a: StoredRecord, b: StoredRecord): boolean {
  if (!sameBytes(a.key, b.key) || !sameBytes(a.value, b.value) || a.headers.length !== b.headers.length) return false;
  for (let i = 0; i < a.headers.length; i++) {
    const x = a.headers[i] as RecordHeader;
    const y = b.headers[i] as RecordHeader;
    if (x.key !== y.key || !sameBytes(x.value, y.value)) return false;
  }
  return true;
}

function contentHash(r: StoredRecord): number {
  let h = r.key === null ? 1 : crc32c(r.key) ^ r.key.length;
  h = (Math.imul(h, 31) + (r.value === null ? 7 : crc32c(r.value) ^ r.value.length)) | 0;
  for (const x of r.headers) h = (Math.imul(h, 31) + x.key.length + (x.value === null ? 3 : crc32c(x.value))) | 0;
  return h;
}

/** A copy (decoded requests hold views of their frame). */
function own(b: Uint8Array | null): Uint8Array | null {
  return b === null ? null : Uint8Array.prototype.slice.call(b);
}

/** ControlRecordType's key (version 0, type) and EndTransactionMarker's value (version 0, coordinator epoch). */
function markerRecord(controlType: number, coordinatorEpoch: number, timestampMs: number): StoredRecord {
  const key = new Uint8Array(4);
  new DataView(key.buffer).setInt16(2, controlType);
  const value = new Uint8Array(6);
  new DataView(value.buffer).setInt32(2, coordinatorEpoch);
  return { key, value, headers: EMPTY_HEADERS, timestampMs };
}

function recordBytes(r: StoredRecord): number {
  let n = 10 + (r.key?.length ?? 0) + (r.value?.length ?? 0);
  for (const h of r.headers) n += 4 + h.key.length + (h.value?.length ?? 0);
  return n;
}

export class RecordStore {
  private readonly payloads = new Map<number, StoredRecord>();
  private readonly keyIds = new Map<string, number>();
  /** Idempotent identity → value, until acknowledged. */
  private readonly bySequence = new Map<string, number>();
  /** Content identity (client, topic, hash) → unacknowledged values with that hash. */
  private readonly byContent = new Map<string, number[]>();
  private readonly identityOf = new Map<number, string>();
  /** Unacknowledged values: how often they were sent, and the error of the last answer (none yet: the answer never
   *  came, as far as the gateway saw: NETWORK_EXCEPTION). */
  private readonly attempts = new Map<number, { n: number; error: KafkaErrorCode }>();
  private readonly encoder = new TextEncoder();

  constructor(
    /** Date.now() of virtual time 0, for the timestamps of records the modelled producers wrote. */
    private readonly epochMs: number,
  ) {}

  get size(): number {
    return this.payloads.size;
  }

  payload(value: number): StoredRecord | undefined {
    return this.payloads.get(value);
  }

  /** A small number for a key (what the log's key column holds); -1 for none. */
  keyId(key: Uint8Array | null): number {
    if (key === null) return -1;
    const k = Buffer.from(key.buffer, key.byteOffset, key.byteLength).toString("latin1");
    let id = this.keyIds.get(k);
    if (id === undefined) {
      id = this.keyIds.size;
      this.keyIds.set(k, id);
    }
    return id;
  }

  /** The value number of a produced record: the number of its earlier attempt when this is a retry (see above),
   *  else a fresh one from `fresh`. `isNew` is false for a retry. */
  identify(
    rec: BatchRecord,
    timestampMs: number,
    where: { readonly client: string; readonly topic: string; readonly partition: number; readonly producerId: number; readonly producerEpoch: number; readonly sequence: number },
    fresh: () => number,
  ): { readonly value: number; readonly isNew: boolean } {
    const stored: StoredRecord = { key: own(rec.key), value: own(rec.value), headers: rec.headers.length === 0 ? EMPTY_HEADERS : rec.headers.map((h) => ({ key: h.key, value: own(h.value) })), timestampMs };
    if (where.producerId >= 0 && where.sequence >= 0) {
      const id = `${where.producerId}/${where.producerEpoch}/${where.topic}/${where.partition}/${where.sequence}`;
      const known = this.bySequence.get(id);
      if (known !== undefined) return { value: known, isNew: false };
      const value = fresh();
      this.payloads.set(value, stored);
      this.bySequence.set(id, value);
      this.identityOf.set(value, id);
      return { value, isNew: true };
    }
    const id = `${where.client}\u0000${where.topic}\u0000${contentHash(stored)}`;
    const candidates = this.byContent.get(id);
    if (candidates !== undefined) {
      for (const v of candidates) if (sameContent(this.payloads.get(v) as StoredRecord, stored)) return { value: v, isNew: false };
    }
    const value = fresh();
    this.payloads.set(value, stored);
    if (candidates === undefined) this.byContent.set(id, [value]);
    else candidates.push(value);
    this.identityOf.set(value, id);
    return { value, isNew: true };
  }

  /** How a retry of `value` goes: its attempt number (2 for the first retry) and the error that preceded it. */
  retried(value: number): { readonly attempt: number; readonly error: KafkaErrorCode } {
    const a = this.attempts.get(value) ?? { n: 1, error: "NETWORK_EXCEPTION" };
    a.n++;
    this.attempts.set(value, a);
    const out = { attempt: a.n, error: a.error };
    a.error = "NETWORK_EXCEPTION";
    return out;
  }

  /** An attempt of `value` was answered with an error (the client may retry it). */
  failedAttempt(value: number, error: KafkaErrorCode): void {
    const a = this.attempts.get(value);
    if (a === undefined) this.attempts.set(value, { n: 1, error });
    else a.error = error;
  }

  /** The record was acknowledged: a later identical record is a new send. False when it had been already (an
   *  answer to a retry of it: the broker's duplicate answer). */
  acknowledged(value: number): boolean {
    this.attempts.delete(value);
    const id = this.identityOf.get(value);
    if (id === undefined) return false;
    this.identityOf.delete(value);
    if (this.bySequence.get(id) === value) {
      this.bySequence.delete(id);
      return true;
    }
    const list = this.byContent.get(id);
    if (list === undefined) return true;
    const i = list.indexOf(value);
    if (i >= 0) list.splice(i, 1);
    if (list.length === 0) this.byContent.delete(id);
    return true;
  }

  /** What a modelled producer's record looks like on the wire: its numbers in decimal, its append time. */
  private modelled(value: number, key: number, appendUs: number): StoredRecord {
    return { key: key < 0 ? null : this.encoder.encode(String(key)), value: this.encoder.encode(String(value)), headers: EMPTY_HEADERS, timestampMs: this.epochMs + Math.floor(appendUs / 1000) };
  }

  /** Records of `slice` from its start, as batches (a batch per run of records with the same leader epoch,
   *  producer and attributes, and consecutive sequences; a control batch per marker), up to `maxBytes` — but at least one record when `atLeastOne`, as Kafka
   *  returns the first batch even when it is larger than the limit (KIP-74). */
  serve(slice: RecordSlice, maxBytes: number, atLeastOne: boolean): ServedRecords {
    if (slice.count === 0) return NO_RECORDS;
    const batches: RecordBatch[] = [];
    let bytes = 0;
    let n = 0;
    let cur: OpenBatch | null = null;
    const close = (c: OpenBatch | null): void => {
      if (c === null) return;
      const records: BatchRecord[] = c.recs.map((r, i) => ({ timestampDelta: r.timestampMs - c.ts0, offsetDelta: i, key: r.key, value: r.value, headers: r.headers }));
      batches.push({
        baseOffset: c.base,
        partitionLeaderEpoch: c.epoch,
        timestampType: "CreateTime",
        isTransactional: (c.attrs & ATTR_TRANSACTIONAL) !== 0,
        isControl: (c.attrs & ATTR_CONTROL) !== 0,
        hasDeleteHorizonMs: false,
        lastOffsetDelta: records.length - 1,
        baseTimestamp: c.ts0,
        maxTimestamp: c.maxTs,
        producerId: c.pid,
        producerEpoch: c.pepoch,
        baseSequence: c.seq0,
        records,
      });
    };
    for (let i = 0; i < slice.count; i++) {
      const at = slice.at + i;
      const value = slice.values[at] as number;
      const attrs = slice.attributes === undefined ? 0 : (slice.attributes[at] as number);
      const control = (attrs & ATTR_CONTROL) !== 0;
      const rec = control ? markerRecord(slice.keys[at] as number, markerCoordinatorEpoch(value), this.epochMs + Math.floor((slice.appendUs[at] as number) / 1000)) : (this.payloads.get(value) ?? this.modelled(value, slice.keys[at] as number, slice.appendUs[at] as number));
      const size = recordBytes(rec);
      if (bytes + size > maxBytes && (n > 0 || !atLeastOne)) break;
      bytes += size;
      const epoch = slice.epochs[at] as number;
      const pid = slice.producerIds[at] as number;
      const pepoch = slice.producerEpochs[at] as number;
      const seq = slice.sequences[at] as number;
      const c: OpenBatch | null = cur;
      let open: OpenBatch;
      // A control record is a batch of its own.
      if (!control && c !== null && c.attrs === attrs && c.epoch === epoch && c.pid === pid && (pid < 0 || (c.pepoch === pepoch && seq === c.seq0 + c.recs.length))) open = c;
      else {
        close(c);
        open = { base: slice.baseOffset + i, epoch, pid, pepoch: pid < 0 ? -1 : pepoch, seq0: pid < 0 || control ? -1 : seq, attrs, ts0: rec.timestampMs, maxTs: rec.timestampMs, recs: [] };
        cur = open;
      }
      open.recs.push(rec);
      if (rec.timestampMs > open.maxTs) open.maxTs = rec.timestampMs;
      n++;
    }
    close(cur);
    return { batches, count: n, bytes };
  }
}
