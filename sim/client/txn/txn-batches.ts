// The batches of a transactional client's open transaction and what a produce answer does to them (Kafka's
// RecordAccumulator + Sender, their transactional side): the batch, its wire form, the produce request per leader,
// each partition's outcome (acknowledged, fenced, retriable, abortable) and the records' history ops.
import type { KafkaErrorCode } from "../../kafka/errors.ts";
import { isRetriable } from "../../kafka/errors.ts";
import type { ProduceBatch, ProduceResponse } from "../../kafka/protocol.ts";
import type { ClientEnv } from "../env.ts";
import type { Ctx } from "./requests.ts";

/** One partition's batch of the open transaction. */
export interface TxnBatch {
  readonly topic: string;
  readonly partition: number;
  readonly values: number[];
  readonly keys: number[];
  baseSequence: number;
  acked: boolean;
  /** Failed by delivery.timeout.ms (its records failed; an answer to a copy still in flight is ignored). */
  expired: boolean;
  /** When the batch was created: delivery.timeout.ms counts from here. */
  readonly createdUs: number;
}

export function newBatch(topic: string, partition: number, createdUs: number): TxnBatch {
  return { topic, partition, values: [], keys: [], baseSequence: -1, acked: false, expired: false, createdUs };
}

/** What a produce answer means for one transactional batch (Sender.completeBatch with TransactionManager):
 *  acknowledged (DUPLICATE_SEQUENCE_NUMBER too: written before), fenced (fatal), retriable, or an abortable error
 *  (TransactionManager.transitionToAbortableError: the transaction will be aborted). */
export type ProduceOutcome = "acked" | "fenced" | "retriable" | "abortable";

export function produceOutcome(error: KafkaErrorCode): ProduceOutcome {
  if (error === "NONE" || error === "DUPLICATE_SEQUENCE_NUMBER") return "acked";
  if (error === "PRODUCER_FENCED" || error === "INVALID_PRODUCER_EPOCH") return "fenced";
  return isRetriable(error) ? "retriable" : "abortable";
}

/** The answer for batch `i` of a request: one result per batch, in the request's order (two batches of one
 *  partition get one each), else the partition's. */
export function resultFor(msg: ProduceResponse, b: TxnBatch, i: number): ProduceResponse["partitions"][number] | undefined {
  const at = msg.partitions[i];
  if (at !== undefined && at.topic === b.topic && at.partition === b.partition) return at;
  return msg.partitions.find((p) => p.topic === b.topic && p.partition === b.partition);
}

export function wireBatches(batches: readonly TxnBatch[]): ProduceBatch[] {
  return batches.map((b) => ({ topic: b.topic, partition: b.partition, baseSequence: b.baseSequence, values: b.values, keys: b.keys }));
}

/** The batches by their partition's leader (broker id), leaders in the order their first batch is met; a batch
 *  whose leader is unknown is left out and `onUnknown` told. */
export function byLeader(batches: Iterable<TxnBatch>, leaderOf: (topic: string, partition: number) => number | null, onUnknown: () => void): Map<number, TxnBatch[]> {
  const out = new Map<number, TxnBatch[]>();
  for (const b of batches) {
    const leader = leaderOf(b.topic, b.partition);
    if (leader === null) {
      onUnknown();
      continue;
    }
    const l = out.get(leader);
    if (l === undefined) out.set(leader, [b]);
    else l.push(b);
  }
  return out;
}

/** The batch's records acknowledged at `baseOffset` (-1: unknown) by `broker`. */
export function recordAcked(ctx: Ctx, env: ClientEnv, process: string, b: TxnBatch, baseOffset: number, broker: number): void {
  for (let i = 0; i < b.values.length; i++) env.history.recordSendOk(ctx.nowUs, process, b.topic, b.keys[i] as number, b.values[i] as number, b.partition, baseOffset < 0 ? -1 : baseOffset + i, broker);
}

/** The batch's records failed for good (certainly not written, or aborted with their transaction). */
export function failRecords(ctx: Ctx, env: ClientEnv, process: string, b: TxnBatch, error: KafkaErrorCode): void {
  for (let i = 0; i < b.values.length; i++) {
    const key = b.keys[i] as number;
    env.history.record({ timeUs: ctx.nowUs, process, type: "fail", f: "send", value: { topic: b.topic, key: key < 0 ? null : key, value: b.values[i] as number, partition: b.partition, error, policy: "log" } });
  }
}
