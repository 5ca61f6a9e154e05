// A transactional id's state as its coordinator keeps it (TransactionMetadata.scala) and its record in
// __transaction_state (TransactionLog.scala: key = the transactional.id, value = producer id and epoch, timeout,
// state, partitions, start time). Records are numeric in kafkasim: the key and the value are interned strings.
import type { TxnState } from "./events.ts";

export interface TxnMetadata {
  readonly transactionalId: string;
  producerId: number;
  producerEpoch: number;
  timeoutMs: number;
  state: TxnState;
  /** "topic-partition" keys of the partitions in the transaction. */
  partitions: Set<string>;
  /** When the transaction started (txnStartTimestamp), µs. */
  startUs: number;
  /** A transition is being written to the log (TransactionMetadata.pendingState): requests get
   *  CONCURRENT_TRANSACTIONS meanwhile. */
  pending: TxnState | null;
  /** The transaction.version of the client's last EndTxn (TransactionMetadata.clientTransactionVersion): 2 bumps the
   *  epoch at every EndTxn, and a retried EndTxn is recognised by its epoch being one below. */
  clientTransactionVersion: number;
}

/** What a transition writes: the state after it. */
export interface TxnTransit {
  readonly producerId: number;
  readonly producerEpoch: number;
  readonly timeoutMs: number;
  readonly state: TxnState;
  readonly partitions: readonly string[];
  readonly startUs: number;
  /** Written only when 2 (Kafka's flexible transaction log value carries it from TV_1 on). */
  readonly clientTransactionVersion?: number;
}

const KEY_PREFIX = "txn:";
const VALUE_PREFIX = "txn-metadata:";

export function txnKeyName(transactionalId: string): string {
  return KEY_PREFIX + transactionalId;
}

export function txnValueName(t: TxnTransit): string {
  return VALUE_PREFIX + JSON.stringify(t);
}

/** The transactional id of a record key, or undefined for another kind of record. */
export function transactionalIdOfKey(name: string | undefined): string | undefined {
  return name !== undefined && name.startsWith(KEY_PREFIX) ? name.slice(KEY_PREFIX.length) : undefined;
}

export function decodeTransit(name: string | undefined): TxnTransit | undefined {
  if (name === undefined || !name.startsWith(VALUE_PREFIX)) return undefined;
  return JSON.parse(name.slice(VALUE_PREFIX.length)) as TxnTransit;
}

export function transitOf(m: TxnMetadata): TxnTransit {
  return { producerId: m.producerId, producerEpoch: m.producerEpoch, timeoutMs: m.timeoutMs, state: m.state, partitions: [...m.partitions], startUs: m.startUs, ...tvField(m.clientTransactionVersion) };
}

/** The transit's clientTransactionVersion field: present only for 2, so classic runs write what they always did. */
export function tvField(clientTransactionVersion: number): { readonly clientTransactionVersion?: number } {
  return clientTransactionVersion >= 2 ? { clientTransactionVersion } : {};
}

export function metadataFrom(transactionalId: string, t: TxnTransit): TxnMetadata {
  return { transactionalId, producerId: t.producerId, producerEpoch: t.producerEpoch, timeoutMs: t.timeoutMs, state: t.state, partitions: new Set(t.partitions), startUs: t.startUs, pending: null, clientTransactionVersion: t.clientTransactionVersion ?? 0 };
}

/** TransactionMetadata.completeTransitionTo: apply a written transition. */
export function applyTransit(m: TxnMetadata, t: TxnTransit): void {
  m.producerId = t.producerId;
  m.producerEpoch = t.producerEpoch;
  m.timeoutMs = t.timeoutMs;
  m.state = t.state;
  m.partitions = new Set(t.partitions);
  m.startUs = t.startUs;
  m.clientTransactionVersion = t.clientTransactionVersion ?? 0;
  m.pending = null;
}
