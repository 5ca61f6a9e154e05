// A digest of the metadata records a node's listener is handed (metadata-batch events): the checkers compare what
// each node saw at each offset without holding the records. 32-bit FNV-1a of each record's JSON, cached per record
// object (followers copy the leader's payload objects, so each record is hashed once per run).
import type { RaftBatch } from "../raft/log.ts";
import type { RaftRecord } from "../raft/messages.ts";

const CACHE = new WeakMap<object, number>();

function fnv(text: string, h = 0x811c9dc5): number {
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/** The digest of one record. */
export function recordDigest<T>(r: RaftRecord<T>): number {
  let d = CACHE.get(r);
  if (d === undefined) {
    d = fnv(JSON.stringify(r));
    CACHE.set(r, d);
  }
  return d;
}

/** The digest of a batch: its records' digests folded in order with its epoch. */
export function batchDigest<T>(b: RaftBatch<T>): number {
  return foldDigests(b.epoch, b.records.map((r) => recordDigest(r)));
}

/** A batch's digest from its epoch and its records' digests (what the checkers recompute from final logs). */
export function foldDigests(epoch: number, recordDigests: readonly number[]): number {
  let h = fnv(String(epoch));
  for (const d of recordDigests) h = fnv(String(d), h);
  return h;
}
