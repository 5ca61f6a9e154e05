// A transaction through the gateway, driven by hand with kafkajs's own encoders and decoders, down to the Fetch
// response's fields kafkajs does not look at: the last stable offset stops at an open transaction's first record
// for a read_committed fetch, which gets none of it; once the transaction is aborted, the read_committed answer lists
// it among its aborted transactions and carries its records in a transactional batch and its ABORT marker in a
// control batch (key: version 0, type 0; value: version 0, coordinator epoch); a read_uncommitted answer lists none.
import { describe, expect, it } from "vitest";
import { createWorld } from "../../world.ts";
import { buildScenario } from "../../scenario/defaults.ts";
import { msToUs, type TimeUs } from "../../core/time.ts";
import type { ApiName } from "../api-keys.ts";
import { kafkajsDecodeResponse, kafkajsRequestFrame } from "../testkit/kafkajs.ts";
import type { RecordSlice } from "../../kafka/protocol.ts";
import { ATTR_CONTROL, ATTR_TRANSACTIONAL, CONTROL_ABORT, CONTROL_COMMIT, markerValue } from "../../kafka/records.ts";
import { Gateway, RecordStore } from "./index.ts";

function harness() {
  const gw = new Gateway({ connections: 4, address: (b) => ({ host: `broker-${b}`, port: 9092 }), epochMs: 1_000_000, origin: "test" });
  const s = buildScenario({
    name: "gw-txn",
    seed: 5,
    broker: { "offsets.topic.num.partitions": 1 },
    topics: [
      { name: "orders", partitions: 1, replicaAssignment: [[1, 2, 3]] },
      { name: "__transaction_state", partitions: 1, replicaAssignment: [[1, 2, 3]] },
      { name: "__consumer_offsets", partitions: 1, replicaAssignment: [[1, 2, 3]] },
    ],
  });
  const world = createWorld(s, { outside: gw.outside() });
  gw.bind({ history: world.history, nextValue: world.nextValue });
  const rt = world.runtime;
  world.runTo(msToUs(3000)); // broker 1 leads orders-0, __transaction_state-0 and __consumer_offsets-0
  const frames: Buffer[] = [];
  const conn = gw.connect(1, { write: (b) => frames.push(Buffer.from(b)), connected: () => {}, closed: () => {} }, { handshake: false });
  let corr = 0;
  /** One request, answered within `ms` of virtual time: kafkajs's decoding of the answer. */
  const ask = async <T>(api: ApiName, version: number, args: object, ms = 300): Promise<T> => {
    const n = frames.length;
    conn.receive(await kafkajsRequestFrame(api, version, args, { correlationId: ++corr, clientId: "tx-client" }));
    world.runTo((rt.nowUs + msToUs(ms)) as TimeUs);
    if (frames.length !== n + 1) throw new Error(`${api}: ${frames.length - n} answers`);
    return (await kafkajsDecodeResponse(api, version, frames[n] as Buffer)).decoded as T;
  };
  return { ask, world, lastFrame: () => frames[frames.length - 1] as Buffer };
}

interface FetchedMessage {
  offset: string;
  key: Buffer | null;
  value: Buffer | null;
  isControlRecord: boolean;
  batchContext: { inTransaction: boolean; isControlBatch: boolean; producerId: string; firstSequence: number };
}
interface FetchedPartition {
  errorCode: number;
  highWatermark: string;
  lastStableOffset: string;
  abortedTransactions: { producerId: string; firstOffset: string }[] | null;
  messages: FetchedMessage[];
}

const fetchArgs = (isolationLevel: 0 | 1) => ({ replicaId: -1, maxWaitTime: 0, minBytes: 1, maxBytes: 1 << 20, isolationLevel, sessionId: 0, sessionEpoch: -1, rackId: "", topics: [{ topic: "orders", partitions: [{ partition: 0, currentLeaderEpoch: -1, fetchOffset: "0", logStartOffset: -1, maxBytes: 1 << 20 }] }] });

describe("a transaction through the wire gateway", () => {
  it("read_committed: the LSO stops at an open transaction; after its abort, the aborted transaction is listed and its marker is a control batch", async () => {
    const h = harness();
    // A key type that is neither group (0) nor transaction (1): INVALID_REQUEST (CoordinatorType.forId).
    expect((await h.ask<{ errorCode: number }>("FindCoordinator", 2, { groupId: "tx-1", coordinatorType: 2 })).errorCode).toBe(42);
    const coordinator = await h.ask<{ errorCode: number; coordinator: { nodeId: number } }>("FindCoordinator", 2, { groupId: "tx-1", coordinatorType: 1 });
    expect([coordinator.errorCode, coordinator.coordinator.nodeId]).toEqual([0, 1]);
    const init = await h.ask<{ errorCode: number; producerId: string; producerEpoch: number }>("InitProducerId", 1, { transactionalId: "tx-1", transactionTimeout: 30_000 });
    expect(init.errorCode).toBe(0);
    const ids = { transactionalId: "tx-1", producerId: Number(init.producerId), producerEpoch: init.producerEpoch };
    const added = await h.ask<{ errors: { partitionErrors: { errorCode: number }[] }[] }>("AddPartitionsToTxn", 1, { ...ids, topics: [{ topic: "orders", partitions: [0] }] });
    expect(added.errors.map((t) => t.partitionErrors.map((p) => p.errorCode))).toEqual([[0]]);
    const produced = await h.ask<{ topics: { partitions: { errorCode: number; baseOffset: string }[] }[] }>("Produce", 7, {
      acks: -1,
      timeout: 5000,
      compression: 0,
      ...ids,
      topicData: [{ topic: "orders", partitions: [{ partition: 0, firstSequence: 0, messages: ["x", "y"].map((value, i) => ({ key: null, value, timestamp: 1_000_000_000_000 + i, headers: {} })) }] }],
    });
    expect(produced.topics[0]?.partitions[0]).toMatchObject({ errorCode: 0, baseOffset: "0" });

    // Open: read_committed reads nothing (LSO 0, HW 2); read_uncommitted reads both records, in a transactional batch.
    const open = (await h.ask<{ responses: { partitions: FetchedPartition[] }[] }>("Fetch", 11, fetchArgs(1))).responses[0]?.partitions[0] as FetchedPartition;
    expect([open.errorCode, open.highWatermark, open.lastStableOffset, open.abortedTransactions, open.messages.length]).toEqual([0, "2", "0", [], 0]);
    // ListOffsets "latest": the LSO for read_committed, the HW for read_uncommitted.
    const latest = async (isolationLevel: 0 | 1) => (await h.ask<{ responses: { partitions: { offset: string }[] }[] }>("ListOffsets", 3, { replicaId: -1, isolationLevel, topics: [{ topic: "orders", partitions: [{ partition: 0, timestamp: -1 }] }] })).responses[0]?.partitions[0]?.offset;
    expect([await latest(1), await latest(0)]).toEqual(["0", "2"]);
    const dirty = (await h.ask<{ responses: { partitions: FetchedPartition[] }[] }>("Fetch", 11, fetchArgs(0))).responses[0]?.partitions[0] as FetchedPartition;
    // kafkajs reads a null array as []: the bytes say null (-1) — size, correlation id, throttle, error, session,
    // 1 topic "orders", 1 partition: index, error, HW, LSO, log start offset, then the aborted transactions.
    expect(h.lastFrame().readInt32BE(4 + 4 + 4 + 2 + 4 + 4 + 8 + 4 + 4 + 2 + 8 + 8 + 8)).toBe(-1);
    expect(dirty.messages.map((m) => [m.offset, m.value?.toString(), m.batchContext.inTransaction, m.isControlRecord])).toEqual([
      ["0", "x", true, false],
      ["1", "y", true, false],
    ]);

    const ended = await h.ask<{ errorCode: number }>("EndTxn", 1, { ...ids, transactionResult: false });
    expect(ended.errorCode).toBe(0);
    const after = (await h.ask<{ responses: { partitions: FetchedPartition[] }[] }>("Fetch", 11, fetchArgs(1))).responses[0]?.partitions[0] as FetchedPartition;
    expect([after.highWatermark, after.lastStableOffset, after.abortedTransactions]).toEqual(["3", "3", [{ producerId: init.producerId, firstOffset: "0" }]]);
    expect(after.messages.map((m) => [m.offset, m.batchContext.inTransaction, m.batchContext.isControlBatch, m.isControlRecord, m.batchContext.producerId])).toEqual([
      ["0", true, false, false, init.producerId],
      ["1", true, false, false, init.producerId],
      ["2", true, true, true, init.producerId],
    ]);
    const marker = after.messages[2] as FetchedMessage;
    // ControlRecordType ABORT (version 0, type 0); EndTransactionMarker (version 0, coordinator epoch: the leader
    // epoch of __transaction_state-0, 0 here); no sequence.
    expect([marker.key?.toString("hex"), marker.value?.toString("hex"), marker.batchContext.firstSequence]).toEqual(["00000000", "000000000000", -1]);

    // A committed transaction's marker: ControlRecordType COMMIT (version 0, type 1). Its Produce also names a
    // partition that does not exist: refused, that record is not in the transaction's end (txn-ended), only "z" is.
    await h.ask("AddPartitionsToTxn", 1, { ...ids, topics: [{ topic: "orders", partitions: [0] }] });
    const zMessage = (value: string) => [{ key: null, value, timestamp: 1_000_000_000_002, headers: {} }];
    const mixed = await h.ask<{ topics: { partitions: { partition: number; errorCode: number }[] }[] }>("Produce", 7, {
      acks: -1,
      timeout: 5000,
      compression: 0,
      ...ids,
      topicData: [{ topic: "orders", partitions: [{ partition: 0, firstSequence: 2, messages: zMessage("z") }, { partition: 7, firstSequence: 0, messages: zMessage("lost") }] }],
    });
    expect(mixed.topics[0]?.partitions.map((p) => [p.partition, p.errorCode])).toEqual([
      [0, 0],
      [7, 3],
    ]);
    expect((await h.ask<{ errorCode: number }>("EndTxn", 1, { ...ids, transactionResult: true })).errorCode).toBe(0);
    const ends = h.world.runtime.trace.evidence.flatMap((e) => (e.type === "txn-ended" ? [[e.commit, e.transactionalId, e.topic, e.values]] : []));
    // Record numbers: x 0, y 1 (aborted), z 2 ("lost" 3 was never written).
    expect(ends).toEqual([
      [false, "tx-1", "orders", [0, 1]],
      [true, "tx-1", "orders", [2]],
    ]);
    // sendOffsets, then an EndTxn(COMMIT) the coordinator refuses (a wrong epoch) and an EndTxn(ABORT): the commit of
    // the group's offsets, invoked with the COMMIT, fails with the ABORT.
    expect((await h.ask<{ errorCode: number }>("AddOffsetsToTxn", 1, { ...ids, groupId: "g" })).errorCode).toBe(0);
    const txnCommit = await h.ask<{ topics: { partitions: { errorCode: number }[] }[] }>("TxnOffsetCommit", 1, { ...ids, groupId: "g", topics: [{ topic: "orders", partitions: [{ partition: 0, offset: "1", metadata: null }] }] });
    expect(txnCommit.topics.map((t) => t.partitions.map((p) => p.errorCode))).toEqual([[0]]);
    expect((await h.ask<{ errorCode: number }>("EndTxn", 1, { ...ids, producerEpoch: ids.producerEpoch + 1, transactionResult: true })).errorCode).not.toBe(0);
    expect((await h.ask<{ errorCode: number }>("EndTxn", 1, { ...ids, transactionResult: false })).errorCode).toBe(0);
    const commits = h.world.history.ops.flatMap((o) => (o.f === "commit" ? [[o.type, o.value.group, o.value.offsets, o.type === "fail" ? o.value.error : null]] : []));
    expect(commits).toEqual([
      ["invoke", "g", [{ topic: "orders", partition: 0, offset: 1 }], null],
      ["fail", "g", [{ topic: "orders", partition: 0, offset: 1 }], "TRANSACTION_ABORTABLE"],
    ]);

    const committed = (await h.ask<{ responses: { partitions: FetchedPartition[] }[] }>("Fetch", 11, fetchArgs(1))).responses[0]?.partitions[0] as FetchedPartition;
    expect(committed.messages.slice(3).map((m) => [m.offset, m.value?.toString("hex"), m.key?.toString("hex"), m.isControlRecord])).toEqual([
      ["3", Buffer.from("z").toString("hex"), undefined, false],
      ["4", "000000000000", "00000001", true],
    ]);
  });

  it("serves each marker as a control batch of its own, without a sequence, its coordinator epoch in its value", () => {
    const store = new RecordStore(0);
    const T = ATTR_TRANSACTIONAL;
    const C = ATTR_CONTROL | ATTR_TRANSACTIONAL;
    // Producer 7: a transactional record, then two markers in a row (a transaction that added the partition and
    // wrote nothing there), the second's sequence column one past the first's batch (-1): nothing else keeps them
    // apart.
    const slice: RecordSlice = {
      baseOffset: 10,
      count: 3,
      at: 0,
      epochs: Int32Array.from([1, 1, 1]),
      values: Float64Array.from([5, markerValue(3), markerValue(4)]),
      keys: Int32Array.from([-1, CONTROL_COMMIT, CONTROL_ABORT]),
      producerIds: Int32Array.from([7, 7, 7]),
      sequences: Int32Array.from([0, 1, 0]),
      appendUs: Float64Array.from([0, 0, 0]),
      producerEpochs: Int32Array.from([0, 0, 0]),
      attributes: Uint8Array.from([T, C, C]),
    };
    const served = store.serve(slice, 1 << 20, true);
    expect(served.batches.map((b) => [b.baseOffset, b.records.length, b.isTransactional, b.isControl, b.baseSequence])).toEqual([
      [10, 1, true, false, 0],
      [11, 1, true, true, -1],
      [12, 1, true, true, -1],
    ]);
    expect(served.batches.slice(1).map((b) => [Buffer.from(b.records[0]?.key as Uint8Array).toString("hex"), Buffer.from(b.records[0]?.value as Uint8Array).toString("hex")])).toEqual([
      ["00000001", "000000000003"],
      ["00000000", "000000000004"],
    ]);
  });
});
