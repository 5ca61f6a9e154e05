// Plans for a transactional producer's APIs (KIP-98): InitProducerId with a transactional.id, AddPartitionsToTxn,
// AddOffsetsToTxn and EndTxn (the transaction coordinator: sim/broker/txn/), TxnOffsetCommit (the group
// coordinator). The broker the client sent them to answers (a broker that does not coordinate the transactional.id
// or group answers NOT_COORDINATOR, and the client looks it up again, as in Kafka). What they mean for the history
// and the checkers' evidence is kept in txns.ts.
import type { InitProducerIdRequest } from "../apis/init-producer-id.ts";
import type { AddOffsetsToTxnRequest, AddPartitionsToTxnRequest, EndTxnRequest, TopicPartitionErrors, TxnOffsetCommitRequest } from "../apis/txn.ts";
import { API_KEY } from "../api-keys.ts";
import type { WireErrorName } from "../error-codes.ts";
import { answerOf, wireError, type Plan, type RequestContext } from "./plan.ts";

export function planTxnInitProducerId(req: InitProducerIdRequest & { readonly transactionalId: string }, rc: RequestContext): Plan {
  const { shared, client } = rc;
  let answered: { producerId: number; producerEpoch: number } | null = null;
  return {
    messages: [{ type: "group.init-producer-id", corr: shared.corr(), transactionalId: req.transactionalId, transactionTimeoutMs: req.transactionTimeoutMs }],
    awaitAnswers: true,
    respond(answers) {
      const r = answerOf(answers, "group.init-producer-id-response");
      const error: WireErrorName = r === undefined ? "UNKNOWN_SERVER_ERROR" : wireError(r.error);
      if (r !== undefined && error === "NONE") answered = { producerId: r.producerId, producerEpoch: r.producerEpoch };
      return { apiKey: API_KEY.InitProducerId, throttleTimeMs: 0, error, producerId: r?.producerId ?? -1, producerEpoch: r?.producerEpoch ?? -1 };
    },
    released() {
      if (answered !== null) shared.txns.initialized(req.transactionalId, client, answered.producerId, answered.producerEpoch);
    },
  };
}

/** Per-partition errors in the request's topic order (a partition the answer lacks: UNKNOWN_SERVER_ERROR). */
function partitionErrors(topics: readonly { readonly name: string; readonly partitions: readonly number[] }[], errorOf: (topic: string, partition: number) => WireErrorName | undefined): TopicPartitionErrors[] {
  return topics.map((t) => ({ name: t.name, partitions: t.partitions.map((p) => ({ partitionIndex: p, error: errorOf(t.name, p) ?? "UNKNOWN_SERVER_ERROR" })) }));
}

export function planAddPartitionsToTxn(req: AddPartitionsToTxnRequest, rc: RequestContext): Plan {
  const partitions = req.topics.flatMap((t) => t.partitions.map((partition) => ({ topic: t.name, partition })));
  return {
    messages: [{ type: "txn.add-partitions", corr: rc.shared.corr(), transactionalId: req.transactionalId, producerId: req.producerId, producerEpoch: req.producerEpoch, partitions }],
    awaitAnswers: true,
    respond(answers) {
      const r = answerOf(answers, "txn.add-partitions-response");
      const byTp = new Map((r?.results ?? []).map((x) => [`${x.topic}\u0000${x.partition}`, wireError(x.error)]));
      return { apiKey: API_KEY.AddPartitionsToTxn, throttleTimeMs: 0, results: partitionErrors(req.topics, (t, p) => byTp.get(`${t}\u0000${p}`)) };
    },
  };
}

export function planAddOffsetsToTxn(req: AddOffsetsToTxnRequest, rc: RequestContext): Plan {
  return {
    messages: [{ type: "txn.add-offsets", corr: rc.shared.corr(), transactionalId: req.transactionalId, producerId: req.producerId, producerEpoch: req.producerEpoch, groupId: req.groupId }],
    awaitAnswers: true,
    respond(answers) {
      const r = answerOf(answers, "txn.add-offsets-response");
      return { apiKey: API_KEY.AddOffsetsToTxn, throttleTimeMs: 0, error: r === undefined ? "UNKNOWN_SERVER_ERROR" : wireError(r.error) };
    },
  };
}

export function planTxnOffsetCommit(req: TxnOffsetCommitRequest, rc: RequestContext): Plan {
  const { shared, client } = rc;
  const offsets = req.topics.flatMap((t) => t.partitions.map((p) => ({ topic: t.name, partition: p.partitionIndex, offset: p.committedOffset })));
  let error: WireErrorName = "UNKNOWN_SERVER_ERROR";
  return {
    // TxnOffsetCommit v0-2 carry no group metadata (KIP-447 came with v3): generation -1, member "".
    messages: [{ type: "txn.offset-commit", corr: shared.corr(), transactionalId: req.transactionalId, groupId: req.groupId, producerId: req.producerId, producerEpoch: req.producerEpoch, generation: -1, memberId: "", offsets }],
    awaitAnswers: true,
    respond(answers) {
      const r = answerOf(answers, "txn.offset-commit-response");
      // The group coordinator answers one error for the request: every partition gets it.
      error = r === undefined ? "UNKNOWN_SERVER_ERROR" : wireError(r.error);
      return { apiKey: API_KEY.TxnOffsetCommit, throttleTimeMs: 0, topics: partitionErrors(req.topics.map((t) => ({ name: t.name, partitions: t.partitions.map((p) => p.partitionIndex) })), () => error) };
    },
    released() {
      if (error === "NONE") shared.txns.offsetsCommitted(shared.txns.of(req.transactionalId, client), req.groupId, shared.clients.processIn(client, req.groupId), offsets);
    },
  };
}

export function planEndTxn(req: EndTxnRequest, rc: RequestContext): Plan {
  const { shared, client, nowUs } = rc;
  const t = shared.txns.of(req.transactionalId, client);
  if (req.committed && t.committing.length === 0) {
    // From the EndTxn(COMMIT) on, the coordinator may commit the transaction's offsets even if the client never
    // hears: the commit is invoked now (as the modelled pipeline records it).
    t.committing = [...t.offsets.values()];
    for (const o of t.committing) shared.clients.commitInvoke(nowUs, o.process, o.group, -1, o.offsets);
  }
  let error: WireErrorName = "UNKNOWN_SERVER_ERROR";
  return {
    messages: [{ type: "txn.end", corr: shared.corr(), transactionalId: req.transactionalId, producerId: req.producerId, producerEpoch: req.producerEpoch, commit: req.committed }],
    awaitAnswers: true,
    respond(answers) {
      const r = answerOf(answers, "txn.end-response");
      error = r === undefined ? "UNKNOWN_SERVER_ERROR" : wireError(r.error);
      return { apiKey: API_KEY.EndTxn, throttleTimeMs: 0, error };
    },
    released(timeUs) {
      // An error leaves the transaction as it was: the client retries the EndTxn, or is fenced (the next
      // InitProducerId of the transactional.id starts afresh; an invoked commit stays indeterminate).
      if (error !== "NONE") return;
      // COMMIT: the offsets are the group's. ABORT after a COMMIT that failed: they certainly are not.
      for (const o of t.committing) shared.clients.commitDone(timeUs, o.process, o.group, -1, o.offsets, req.committed ? "NONE" : "TRANSACTION_ABORTABLE");
      for (const [topic, values] of t.values) rc.emit({ type: "txn-ended", producer: client, transactionalId: req.transactionalId, producerId: req.producerId, producerEpoch: req.producerEpoch, topic, commit: req.committed, values: [...values] });
      shared.txns.clear(t);
    },
  };
}
