// User messages on the side. The simulator and its checkers track every record by a unique number (its value in
// the history, sim/history.ts SendValue.value); the bytes of a kafkajs message — key, value, headers, timestamp —
// are kept here, by that number, and handed back to consumers as kafkajs gives them: Buffers, with offset,
// timestamp and the batch's high watermark as strings. Keys are interned: equal key bytes get one key id, the
// number the history and the brokers' logs carry.
import { murmur2 } from "../partitioner.ts";

export type Headers = Record<string, Buffer | string | (Buffer | string)[] | undefined>;

/** A message as user code passes it to producer.send (kafkajs's Message). */
export interface Message {
  readonly key?: Buffer | string | null;
  readonly value: Buffer | string | null;
  readonly partition?: number;
  readonly headers?: Headers;
  readonly timestamp?: string;
}

/** A message as eachMessage / eachBatch see it (kafkajs's RecordBatchEntry). */
export interface KafkaMessage {
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly timestamp: string;
  readonly attributes: number;
  readonly offset: string;
  readonly headers: Record<string, Buffer | Buffer[] | undefined>;
}

interface Stored {
  /** murmur2 of the key bytes (kafkajs's DefaultPartitioner hashes them); 0 without a key. */
  readonly keyHash: number;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly headers: Record<string, Buffer | Buffer[] | undefined>;
  readonly timestamp: string;
}

const NO_HEADERS: Record<string, Buffer | Buffer[] | undefined> = Object.freeze({});

function toBuffer(x: Buffer | string): Buffer {
  return typeof x === "string" ? Buffer.from(x) : x;
}

/** A prepared record: its key id (null: no key) and the murmur2 hash of its key bytes (kafkajs's partitioner). */
export interface Prepared {
  readonly keyId: number | null;
  readonly keyHash: number;
  readonly partition: number | null;
}

export class MessageStore {
  private readonly byValue: (Stored | undefined)[] = [];
  private readonly keyIds = new Map<string, number>();

  /** Keep a message's bytes under its record number; returns its key id and key hash. */
  put(value: number, m: Message, nowMs: number): Prepared {
    const key = m.key === undefined || m.key === null ? null : toBuffer(m.key);
    let headers = NO_HEADERS;
    if (m.headers !== undefined) {
      const h: Record<string, Buffer | Buffer[] | undefined> = {};
      for (const [k, v] of Object.entries(m.headers)) h[k] = v === undefined ? undefined : Array.isArray(v) ? v.map(toBuffer) : toBuffer(v);
      headers = h;
    }
    const keyHash = key === null ? 0 : murmur2(key);
    this.byValue[value] = { keyHash, key, value: m.value === null ? null : toBuffer(m.value), headers, timestamp: m.timestamp ?? String(nowMs) };
    if (key === null) return { keyId: null, keyHash: 0, partition: m.partition ?? null };
    const bytes = key.toString("latin1");
    let id = this.keyIds.get(bytes);
    if (id === undefined) this.keyIds.set(bytes, (id = this.keyIds.size));
    return { keyId: id, keyHash, partition: m.partition ?? null };
  }

  /** The murmur2 hash of a kept record's key bytes. */
  keyHash(value: number): number {
    return this.byValue[value]?.keyHash ?? 0;
  }

  /** Forget a record that was refused before it was sent. */
  drop(value: number): void {
    this.byValue[value] = undefined;
  }

  /** The message at `offset` as a consumer sees it. A record that came from a modelled producer (no bytes kept)
   *  shows its numbers as decimal strings. */
  message(value: number, key: number | null, offset: number): KafkaMessage {
    const s = this.byValue[value];
    if (s !== undefined) return { key: s.key, value: s.value, timestamp: s.timestamp, attributes: 0, offset: String(offset), headers: s.headers };
    return { key: key === null ? null : Buffer.from(String(key)), value: Buffer.from(String(value)), timestamp: "0", attributes: 0, offset: String(offset), headers: NO_HEADERS };
  }
}
