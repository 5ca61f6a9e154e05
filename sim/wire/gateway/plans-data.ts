// Plans for the data APIs: Produce, Fetch, ListOffsets, Metadata, ApiVersions, InitProducerId.
import { RecordFilter } from "../../client/consumer/isolation.ts";
import type { FetchResponse as SimFetchResponse, Message, ProduceBatch } from "../../kafka/protocol.ts";
import type { PolledRecord } from "../../history.ts";
import type { KafkaErrorCode } from "../../kafka/errors.ts";
import { API_KEY } from "../api-keys.ts";
import { supportedApiVersions } from "../apis/api-versions.ts";
import type { FetchPartitionResponse, FetchRequest, FetchResponse } from "../apis/fetch.ts";
import type { InitProducerIdRequest } from "../apis/init-producer-id.ts";
import type { ListOffsetsPartitionResponse, ListOffsetsRequest } from "../apis/list-offsets.ts";
import type { MetadataRequest, MetadataTopic } from "../apis/metadata.ts";
import type { ProducePartitionResponse, ProduceRequest } from "../apis/produce.ts";
import type { WireErrorName } from "../error-codes.ts";
import { answerOf, wireError, type Plan, type RequestContext } from "./plan.ts";
import { planTxnInitProducerId } from "./plans-txn.ts";

/** Kafka's internal topic (Metadata marks it isInternal). */
const OFFSETS_TOPIC_NAME = "__consumer_offsets";
const LIST_OFFSETS_EARLIEST = -2;
const LIST_OFFSETS_LATEST = -1;
/** FetchRequest / ListOffsetsRequest isolation_level (IsolationLevel.READ_COMMITTED). */
const READ_COMMITTED = 1;

/** One partition of a Produce request as the gateway sent it. */
interface SentBatch {
  readonly topic: string;
  readonly partition: number;
  readonly values: number[];
  readonly keys: number[];
}

export function planProduce(req: ProduceRequest, rc: RequestContext): Plan {
  const { shared, client, nowUs } = rc;
  const local = new Map<string, WireErrorName>();
  const sent: SentBatch[] = [];
  const batches: ProduceBatch[] = [];
  let producerId = -1;
  let producerEpoch = -1;
  let idempotent = true;
  const txn = req.transactionalId === null ? null : shared.txns.of(req.transactionalId, client);
  for (const t of req.topics) {
    for (const p of t.partitions) {
      const tp = `${t.name}\u0000${p.index}`;
      if (!p.records.ok) {
        local.set(tp, p.records.error);
        continue;
      }
      const b = p.records.batch;
      if (b.records.length === 0) {
        local.set(tp, "INVALID_RECORD");
        continue;
      }
      if (b.producerId < 0) idempotent = false;
      else if (producerId < 0) {
        producerId = b.producerId;
        producerEpoch = b.producerEpoch;
      }
      const values: number[] = [];
      const keys: number[] = [];
      const retried: number[] = [];
      let retry: { attempt: number; error: KafkaErrorCode } | null = null;
      for (let i = 0; i < b.records.length; i++) {
        const rec = b.records[i] as (typeof b.records)[number];
        const sequence = b.baseSequence < 0 ? -1 : b.baseSequence + i;
        const id = shared.records.identify(rec, b.baseTimestamp + rec.timestampDelta, { client, topic: t.name, partition: p.index, producerId: b.producerId, producerEpoch: b.producerEpoch, sequence }, shared.nextValue);
        const key = shared.records.keyId(rec.key);
        values.push(id.value);
        keys.push(key);
        if (id.isNew) shared.clients.sendInvoke(nowUs, client, t.name, key, id.value, p.index);
        else {
          const r = shared.records.retried(id.value);
          retry ??= r;
          retried.push(id.value);
        }
      }
      // The evidence the oracle reads for a duplicate or a reorder: the client sent records again.
      if (retry !== null) rc.emit({ type: "produce-retry", producer: client, tp: `${t.name}-${p.index}`, error: retry.error, attempt: retry.attempt - 1, values: retried });
      sent.push({ topic: t.name, partition: p.index, values, keys });
      batches.push({ topic: t.name, partition: p.index, baseSequence: b.producerId >= 0 ? b.baseSequence : -1, values, keys });
    }
  }
  const firstTopic = req.topics[0]?.name;
  if (firstTopic !== undefined) shared.clients.produceRequest(client, firstTopic, req.acks, idempotent && producerId >= 0, rc.producesInFlight, req.transactionalId);
  // A transactional producer's request carries its transactional.id: the leader writes its batches transactional.
  const transactional = req.transactionalId === null ? {} : { transactionalId: req.transactionalId };
  const messages: Message[] = batches.length === 0 ? [] : [{ type: "produce", corr: shared.corr(), acks: req.acks, timeoutMs: req.timeoutMs, producerId, producerEpoch, batches, ...transactional }];
  if (req.acks === 0) {
    // acks=0: the client is done once it has written the request (as the modelled producer records it).
    for (const s of sent) {
      for (let i = 0; i < s.values.length; i++) if (shared.records.acknowledged(s.values[i] as number)) shared.clients.sendOk(nowUs, client, s.topic, s.keys[i] as number, s.values[i] as number, s.partition, -1, rc.broker);
    }
    return { messages, awaitAnswers: false, respond: () => null };
  }
  const results = new Map<string, { error: WireErrorName; baseOffset: number }>();
  return {
    messages,
    awaitAnswers: messages.length > 0,
    respond(answers) {
      const r = answerOf(answers, "produce-response");
      for (const x of r?.partitions ?? []) {
        results.set(`${x.topic}\u0000${x.partition}`, { error: wireError(x.error), baseOffset: x.baseOffset });
        if (x.error !== "NONE") for (const v of sent.find((s) => s.topic === x.topic && s.partition === x.partition)?.values ?? []) shared.records.failedAttempt(v, x.error);
      }
      return {
        apiKey: API_KEY.Produce,
        throttleTimeMs: 0,
        topics: req.topics.map((t) => ({
          name: t.name,
          partitions: t.partitions.map((p): ProducePartitionResponse => {
            const tp = `${t.name}\u0000${p.index}`;
            const res = results.get(tp) ?? { error: local.get(tp) ?? "UNKNOWN_SERVER_ERROR", baseOffset: -1 };
            return { index: p.index, error: res.error, baseOffset: res.error === "NONE" ? res.baseOffset : -1, logAppendTimeMs: -1, logStartOffset: res.error === "NONE" ? 0 : -1 };
          }),
        })),
      };
    },
    released(timeUs) {
      for (const s of sent) {
        const res = results.get(`${s.topic}\u0000${s.partition}`);
        if (res === undefined || res.error !== "NONE" || res.baseOffset < 0) continue;
        for (let i = 0; i < s.values.length; i++) {
          const value = s.values[i] as number;
          // Written in the transaction: what its end (txn-ended) covers; a record never acknowledged is not.
          if (txn !== null) shared.txns.sent(txn, s.topic, value);
          // An answer to a retry of what was acknowledged already (the broker's duplicate answer) is no news.
          if (shared.records.acknowledged(value)) shared.clients.sendOk(timeUs, client, s.topic, s.keys[i] as number, value, s.partition, res.baseOffset + i, rc.broker);
        }
      }
    },
  };
}

export function planFetch(req: FetchRequest, rc: RequestContext): Plan {
  const { shared, client } = rc;
  const partitions = req.topics.flatMap((t) => t.partitions.map((p) => ({ topic: t.topic, partition: p.partition, fetchOffset: p.fetchOffset, currentLeaderEpoch: p.currentLeaderEpoch, lastFetchedEpoch: -1 })));
  const readCommitted = req.isolationLevel === READ_COMMITTED;
  shared.clients.fetchWait(req.maxWaitMs, client, readCommitted, partitions);
  const served: { topic: string; partition: number; fetchOffset: number; records: PolledRecord[]; endOffset: number }[] = [];
  const isolation = readCommitted ? { isolationLevel: READ_COMMITTED as 1 } : {};
  return {
    messages: [{ type: "fetch", corr: shared.corr(), replicaId: -1, brokerEpoch: -1, maxWaitMs: req.maxWaitMs, partitions, ...isolation }],
    awaitAnswers: true,
    respond(answers) {
      const r = answerOf(answers, "fetch-response");
      const byTp = new Map<string, SimFetchResponse["partitions"][number]>();
      for (const x of r?.partitions ?? []) byTp.set(`${x.topic}\u0000${x.partition}`, x);
      let total = 0;
      const responses = req.topics.map((t) => ({
        topic: t.topic,
        partitions: t.partitions.map((p): FetchPartitionResponse => {
          const x = byTp.get(`${t.topic}\u0000${p.partition}`);
          if (x === undefined) return { partitionIndex: p.partition, error: "UNKNOWN_SERVER_ERROR", highWatermark: -1, lastStableOffset: -1, logStartOffset: -1, abortedTransactions: null, preferredReadReplica: -1, records: [] };
          // read_committed: the broker's last stable offset and the aborted transactions the records overlap (a list,
          // maybe empty); read_uncommitted: null (Partition.fetchRecords, FetchResponse).
          const aborted = readCommitted ? (x.abortedTransactions ?? []).map((a) => ({ producerId: a.producerId, firstOffset: a.firstOffset })) : null;
          const base = { partitionIndex: p.partition, error: wireError(x.error), highWatermark: x.highWatermark, lastStableOffset: x.lastStableOffset ?? x.highWatermark, logStartOffset: x.logStartOffset, abortedTransactions: aborted, preferredReadReplica: -1 };
          if (x.records === null || x.records.count === 0 || total >= req.maxBytes) return { ...base, records: [] };
          // partition_max_bytes and max_bytes, with the first record always returned (KIP-74).
          const s = shared.records.serve(x.records, Math.min(p.partitionMaxBytes, req.maxBytes - total), total === 0);
          total += s.bytes;
          const slice = x.records;
          const polled: PolledRecord[] = [];
          // What the client hands its application: no marker, and no aborted record when it reads committed
          // (kafkajs's Batch, the Java client's CompletedFetch: the modelled consumer's RecordFilter).
          const filter = RecordFilter.needed(slice) ? new RecordFilter(slice, x) : null;
          for (let i = 0; i < s.count; i++) {
            const j = slice.at + i;
            const offset = slice.baseOffset + i;
            if (filter !== null && filter.skip(j, offset)) continue;
            const key = slice.keys[j] as number;
            polled.push({ topic: t.topic, partition: p.partition, offset, value: slice.values[j] as number, key: key < 0 ? null : key });
          }
          served.push({ topic: t.topic, partition: p.partition, fetchOffset: p.fetchOffset, records: polled, endOffset: slice.baseOffset + s.count });
          return { ...base, records: s.batches };
        }),
      }));
      const res: FetchResponse = { apiKey: API_KEY.Fetch, throttleTimeMs: 0, error: "NONE", sessionId: 0, responses };
      return res;
    },
    released(timeUs) {
      for (const s of served) shared.clients.served(timeUs, client, s.topic, s.partition, s.fetchOffset, s.records, s.endOffset);
    },
  };
}

export function planListOffsets(req: ListOffsetsRequest, rc: RequestContext): Plan {
  const partitions: { topic: string; partition: number; timestamp: "earliest" | "latest"; currentLeaderEpoch: number }[] = [];
  for (const t of req.topics) {
    for (const p of t.partitions) {
      if (p.timestamp === LIST_OFFSETS_EARLIEST || p.timestamp === LIST_OFFSETS_LATEST) partitions.push({ topic: t.name, partition: p.partitionIndex, timestamp: p.timestamp === LIST_OFFSETS_EARLIEST ? "earliest" : "latest", currentLeaderEpoch: -1 });
    }
  }
  // read_committed: "latest" is the last stable offset.
  const isolation = req.isolationLevel === READ_COMMITTED ? { isolationLevel: READ_COMMITTED as 1 } : {};
  const messages: Message[] = partitions.length === 0 ? [] : [{ type: "list-offsets", corr: rc.shared.corr(), partitions, ...isolation }];
  return {
    messages,
    awaitAnswers: messages.length > 0,
    respond(answers) {
      const r = answerOf(answers, "list-offsets-response");
      const byTp = new Map((r?.partitions ?? []).map((x) => [`${x.topic}\u0000${x.partition}`, x]));
      return {
        apiKey: API_KEY.ListOffsets,
        throttleTimeMs: 0,
        topics: req.topics.map((t) => ({
          name: t.name,
          partitions: t.partitions.map((p): ListOffsetsPartitionResponse => {
            const x = byTp.get(`${t.name}\u0000${p.partitionIndex}`);
            // A timestamp search needs a time index: the simulated logs keep none.
            if (x === undefined) return { partitionIndex: p.partitionIndex, error: p.timestamp >= 0 ? "INVALID_REQUEST" : "UNKNOWN_SERVER_ERROR", oldStyleOffsets: [], timestamp: -1, offset: -1 };
            const error = wireError(x.error);
            return { partitionIndex: p.partitionIndex, error, oldStyleOffsets: error === "NONE" ? [x.offset] : [], timestamp: -1, offset: error === "NONE" ? x.offset : -1 };
          }),
        })),
      };
    },
  };
}

export function planMetadata(req: MetadataRequest, rc: RequestContext): Plan {
  const { shared } = rc;
  return {
    messages: [{ type: "metadata", corr: shared.corr(), topics: req.topics }],
    awaitAnswers: true,
    respond(answers) {
      const r = answerOf(answers, "metadata-response");
      const live = r?.brokers ?? [];
      const topics = new Map<string, MetadataTopic & { partitions: MetadataTopic["partitions"][number][] }>();
      for (const pm of r?.partitions ?? []) {
        let t = topics.get(pm.topic);
        if (t === undefined) {
          t = { error: pm.partition < 0 ? wireError(pm.error) : "NONE", name: pm.topic, isInternal: pm.topic === OFFSETS_TOPIC_NAME, partitions: [] };
          topics.set(pm.topic, t);
        }
        if (pm.partition < 0) continue;
        // A partition without a leader: LEADER_NOT_AVAILABLE and leader -1 (MetadataCache.getPartitionMetadata).
        const error: WireErrorName = pm.leader === null ? "LEADER_NOT_AVAILABLE" : wireError(pm.error);
        t.partitions.push({ error, partitionIndex: pm.partition, leaderId: pm.leader ?? -1, replicaNodes: pm.replicas, isrNodes: pm.isr, offlineReplicas: pm.replicas.filter((b) => !live.includes(b)) });
      }
      for (const t of topics.values()) t.partitions.sort((a, b) => a.partitionIndex - b.partitionIndex);
      return {
        apiKey: API_KEY.Metadata,
        throttleTimeMs: 0,
        brokers: [...live].sort((a, b) => a - b).map((b) => ({ nodeId: b, ...shared.address(b), rack: null })),
        clusterId: shared.clusterId,
        controllerId: r?.controller ?? -1,
        topics: [...topics.values()],
      };
    },
  };
}

export function planApiVersions(rc: RequestContext): Plan {
  return { messages: [{ type: "api-versions", corr: rc.shared.corr() }], awaitAnswers: true, respond: () => supportedApiVersions() };
}

export function planInitProducerId(req: InitProducerIdRequest, rc: RequestContext): Plan {
  // With a transactional.id: its transaction coordinator's answer (plans-txn.ts).
  if (req.transactionalId !== null) return planTxnInitProducerId({ ...req, transactionalId: req.transactionalId }, rc);
  return {
    messages: [{ type: "group.init-producer-id", corr: rc.shared.corr() }],
    awaitAnswers: true,
    respond(answers) {
      const r = answerOf(answers, "group.init-producer-id-response");
      return { apiKey: API_KEY.InitProducerId, throttleTimeMs: 0, error: r === undefined ? "UNKNOWN_SERVER_ERROR" : wireError(r.error), producerId: r?.producerId ?? -1, producerEpoch: r?.producerEpoch ?? -1 };
    },
  };
}
