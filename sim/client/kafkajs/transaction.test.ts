// kafkajs transactions over the simulated transaction coordinator (eos.ts, transaction.ts): a zombie fenced with the
// errors kafkajs's own producer throws (compared with kafkajs 2.2.x driven by a stand-in cluster giving the same
// broker answers), a send outside a transaction, a producer process that dies mid-transaction, and kafkajs's
// OffsetFetch without require_stable.
import { createRequire } from "node:module";
import { describe, expect, it } from "vitest";
import { createSimulation } from "./simulation.ts";
import type { KafkaJSProducer } from "./producer.ts";

const require = createRequire(import.meta.url);
const BROKER = { "offsets.topic.num.partitions": 1, "transaction.state.log.num.partitions": 1, "group.initial.rebalance.delay.ms": 0 } as const;

type Outcome = string | { readonly name: string; readonly type?: string; readonly retriable?: boolean; readonly message: string };

/** What a step did: "ok" (or its value), or the error's name, type, retriable flag and message. */
async function outcome(f: () => unknown): Promise<Outcome> {
  try {
    const v = await f();
    return typeof v === "boolean" ? String(v) : "ok";
  } catch (e) {
    const x = e as { name: string; type?: string; retriable?: boolean; message: string };
    return { name: x.name, ...(x.type !== undefined ? { type: x.type } : {}), ...(x.retriable !== undefined ? { retriable: x.retriable } : {}), message: x.message };
  }
}

/** The steps, given a producer without transactionalId, one with it, and a way to fence the latter. */
async function zombieSteps(plain: { transaction(): Promise<unknown> }, p: { transaction(): Promise<unknown> }, fence: () => Promise<void>): Promise<Outcome[]> {
  type Txn = { send(r: object): Promise<unknown>; sendOffsets(o: object): Promise<unknown>; commit(): Promise<void>; abort(): Promise<void>; isActive(): boolean };
  const out: Outcome[] = [];
  out.push(await outcome(() => plain.transaction()));
  const t = (await p.transaction()) as Txn;
  out.push(await outcome(() => p.transaction()));
  out.push(await outcome(() => t.send({ topic: "out", messages: [{ value: "zombie-1", partition: 0 }] })));
  await fence();
  out.push(await outcome(() => t.send({ topic: "out", messages: [{ value: "zombie-2", partition: 1 }] })));
  out.push(await outcome(() => t.sendOffsets({ consumerGroupId: "g", topics: [{ topic: "out", partitions: [{ partition: 0, offset: "1" }] }] })));
  out.push(await outcome(() => t.commit()));
  out.push(await outcome(() => t.isActive()));
  out.push(await outcome(() => t.abort()));
  out.push(await outcome(() => p.transaction()));
  return out;
}

/** kafkajs's own producer (src/producer/index.js) on a stand-in cluster: one broker that leads everything and
 *  coordinates; once fenced, the coordinator answers INVALID_PRODUCER_EPOCH (47), as Kafka answers kafkajs's
 *  request versions. */
async function realKafkajs(): Promise<Outcome[]> {
  const createProducer = require("kafkajs/src/producer/index.js") as (o: object) => { connect(): Promise<void>; transaction(): Promise<unknown> };
  const { createErrorFromCode } = require("kafkajs/src/protocol/error.js") as { createErrorFromCode: (code: number) => Error };
  const { createLogger, LEVELS } = require("kafkajs/src/loggers/index.js") as { createLogger: (o: object) => unknown; LEVELS: { NOTHING: number } };
  const logger = createLogger({ level: LEVELS.NOTHING, logCreator: () => () => {} });
  let fenced = false;
  const refuse = async (): Promise<void> => {
    if (fenced) throw createErrorFromCode(47);
  };
  const broker = {
    nodeId: 1,
    initProducerId: async () => ({ producerId: 7, producerEpoch: 0 }),
    addPartitionsToTxn: refuse,
    addOffsetsToTxn: refuse,
    endTxn: refuse,
    txnOffsetCommit: async () => {},
    produce: async ({ topicData }: { topicData: { topic: string; partitions: { partition: number }[] }[] }) => ({ topics: topicData.map((t) => ({ topicName: t.topic, partitions: t.partitions.map((x) => ({ partition: x.partition, errorCode: 0, baseOffset: "0", logAppendTime: "-1", logStartOffset: "0" })) })) }),
  };
  const cluster = {
    retry: { retries: 2, initialRetryTime: 1 },
    connect: async () => {},
    refreshMetadataIfNecessary: async () => {},
    refreshMetadata: async () => {},
    findGroupCoordinator: async () => broker,
    findControllerBroker: async () => broker,
    addMultipleTargetTopics: async () => {},
    findTopicPartitionMetadata: () => [0, 1].map((partitionId) => ({ partitionId, leader: 1 })),
    findLeaderForPartitions: (_t: string, ps: string[]) => ({ 1: ps.map(Number) }),
    findBroker: async () => broker,
    isConnected: () => true,
    markOffsetAsCommitted: () => {},
  };
  const plain = createProducer({ cluster, logger });
  const p = createProducer({ cluster, logger, transactionalId: "tx", idempotent: true });
  await p.connect();
  return zombieSteps(plain, p, async () => {
    fenced = true;
  });
}

describe("kafkajs transactions", () => {
  it("a zombie (a second producer with the same transactionalId took over) fails with the errors kafkajs throws, and its records stay invisible", async () => {
    const sim = createSimulation({ seed: 1, durationMs: 10_000, drainMs: 10_000, broker: BROKER, topics: [{ name: "out", partitions: 2 }] });
    const kafka = sim.kafka();
    const plain = kafka.producer();
    const zombie = kafka.producer({ transactionalId: "tx", idempotent: true, maxInFlightRequests: 1, id: "zombie" });
    const successor = kafka.producer({ transactionalId: "tx", idempotent: true, maxInFlightRequests: 1, id: "successor" });
    const reader = kafka.consumer({ groupId: "reader" });
    const seen: string[] = [];
    let ours: Outcome[] = [];
    const result = await sim.run(async () => {
      await reader.subscribe({ topic: "out", fromBeginning: true });
      await reader.run({ eachMessage: async ({ message }) => void seen.push(message.value!.toString()) });
      for (const p of [plain, zombie, successor]) await p.connect();
      ours = await zombieSteps(plain, zombie, async () => {
        // The successor's InitProducerId bumps the epoch: the coordinator aborts the zombie's open transaction.
        const t = await successor.transaction();
        await t.send({ topic: "out", messages: [{ value: "successor", partition: 1 }] });
        await t.commit();
      });
    });
    expect(ours).toEqual(await realKafkajs());
    expect(ours[3]).toEqual({ name: "KafkaJSProtocolError", type: "INVALID_PRODUCER_EPOCH", retriable: false, message: expect.stringContaining("old epoch") });
    expect(ours[8]).toEqual({ name: "KafkaJSNonRetriableError", retriable: false, message: 'Transaction state exception: Cannot call "beginTransaction" in state "COMMITTING"' });
    // The zombie's first record was written, then aborted by the successor's InitProducerId: a read_committed reader
    // (kafkajs's default) never sees it.
    expect(seen).toEqual(["successor"]);
    const ended = result.evidence.filter((e) => e.type === "txn-ended").map((e) => [e.producer, e.commit, e.producerEpoch]);
    // The successor's epoch: 0 bumped three times — to fence the zombie, again by the coordinator's abort of its
    // transaction (on 4.1 transaction.version is 2 and a coordinator-initiated abort uses the server's version:
    // TransactionCoordinator.handleInitProducerId, TransactionMetadata.prepareAbortOrCommit), and once for the
    // successor's own InitProducerId retried after CONCURRENT_TRANSACTIONS.
    expect(ended).toEqual([["successor", true, 3]]);
    // Noted as the modelled transactional producer notes it (once per producer).
    expect(result.evidence.filter((e) => e.type === "producer-fenced").map((e) => [e.producer, e.error])).toEqual([["zombie", "PRODUCER_FENCED"]]);
  });

  it("transactionTimeout: a transaction left open longer is aborted by its coordinator, and the producer is fenced", async () => {
    const sim = createSimulation({ seed: 5, durationMs: 10_000, drainMs: 5_000, broker: { ...BROKER, "transaction.abort.timed.out.transaction.cleanup.interval.ms": 1000 }, topics: [{ name: "out", partitions: 1 }] });
    const kafka = sim.kafka();
    const p = kafka.producer({ transactionalId: "slow", idempotent: true, maxInFlightRequests: 1, transactionTimeout: 2000 });
    const reader = kafka.consumer({ groupId: "reader" });
    const seen: string[] = [];
    let commit: Outcome = "";
    await sim.run(async () => {
      await reader.subscribe({ topic: "out", fromBeginning: true });
      await reader.run({ eachMessage: async ({ message }) => void seen.push(message.value!.toString()) });
      await p.connect();
      const t = await p.transaction();
      await t.send({ topic: "out", messages: [{ value: "too-slow" }] });
      await sim.sleep(4000); // > transactionTimeout, and a cleanup sweep after it
      commit = await outcome(() => t.commit());
    });
    expect(commit).toEqual({ name: "KafkaJSProtocolError", type: "INVALID_PRODUCER_EPOCH", retriable: false, message: expect.stringContaining("expired by the broker") });
    expect(seen).toEqual([]);
  });

  it("producer.send on a transactional producer is a plain send outside the transaction (kafkajs sends it non-transactionally)", async () => {
    const sim = createSimulation({ seed: 2, durationMs: 8_000, drainMs: 8_000, broker: BROKER, topics: [{ name: "out", partitions: 1 }] });
    const kafka = sim.kafka();
    const p = kafka.producer({ transactionalId: "tx", idempotent: true, maxInFlightRequests: 1 });
    const reader = kafka.consumer({ groupId: "reader" });
    const seen: string[] = [];
    await sim.run(async () => {
      await reader.subscribe({ topic: "out", fromBeginning: true });
      await reader.run({ eachMessage: async ({ message }) => void seen.push(message.value!.toString()) });
      await p.connect();
      const t = await p.transaction();
      await t.send({ topic: "out", messages: [{ value: "in-aborted-txn" }] });
      await p.send({ topic: "out", messages: [{ value: "plain" }] });
      await t.abort();
      const t2 = await p.transaction();
      await t2.sendBatch({ topicMessages: [{ topic: "out", messages: [{ value: "in-committed-txn" }] }] });
      await t2.commit();
    });
    expect(seen).toEqual(["plain", "in-committed-txn"]);
  });

  it("a producer process that dies mid-transaction fails its calls; restarted, it begins anew and its open transaction is aborted", async () => {
    const sim = createSimulation({
      seed: 3,
      durationMs: 10_000,
      drainMs: 10_000,
      broker: BROKER,
      topics: [{ name: "out", partitions: 1 }],
      faults: [
        { atMs: 4000, action: { kind: "kill", target: { client: "p" } } },
        { atMs: 4500, action: { kind: "restart", target: { client: "p" } } },
      ],
    });
    const kafka = sim.kafka();
    const p: KafkaJSProducer = kafka.producer({ transactionalId: "tx", idempotent: true, maxInFlightRequests: 1, id: "p" });
    const reader = kafka.consumer({ groupId: "reader" });
    const seen: string[] = [];
    const steps: Outcome[] = [];
    const result = await sim.run(async () => {
      await reader.subscribe({ topic: "out", fromBeginning: true });
      await reader.run({ eachMessage: async ({ message }) => void seen.push(message.value!.toString()) });
      await p.connect();
      const t = await p.transaction();
      await t.send({ topic: "out", messages: [{ value: "before-the-crash" }] });
      await sim.sleep(3999.9 - sim.now()); // the process dies at 4 s, while this send is in flight
      steps.push(await outcome(() => t.send({ topic: "out", messages: [{ value: "during-the-crash" }] })));
      steps.push(await outcome(() => t.isActive()));
      steps.push(await outcome(() => t.commit()));
      await sim.sleep(1000);
      const t2 = await p.transaction();
      await t2.send({ topic: "out", messages: [{ value: "after-the-restart" }] });
      await t2.commit();
    });
    expect(steps).toEqual([{ name: "KafkaJSConnectionError", retriable: true, message: "Connection error: the process of producer p died" }, "false", { name: "KafkaJSNonRetriableError", retriable: false, message: "Cannot continue to use transaction once ended" }]);
    expect(seen).toEqual(["after-the-restart"]);
    // The restarted process's InitProducerId aborted the open transaction (epoch 0 → 1 to fence it, 2 by the abort
    // on 4.1's transaction.version 2, 3 for itself).
    expect(result.evidence.filter((e) => e.type === "txn-ended").map((e) => [e.commit, e.producerEpoch])).toEqual([[true, 3]]);
  });

  it("a kafkajs consumer's OffsetFetch does not ask for stable offsets (no KIP-447): a pending transaction's offsets are not waited for", async () => {
    const sim = createSimulation({ seed: 4, durationMs: 10_000, drainMs: 10_000, broker: BROKER, topics: [{ name: "in", partitions: 1 }] });
    const kafka = sim.kafka();
    const input = kafka.producer({ idempotent: true });
    const p = kafka.producer({ transactionalId: "tx", idempotent: true, maxInFlightRequests: 1 });
    const late = kafka.consumer({ groupId: "g" });
    const firstOffsets: string[] = [];
    await sim.run(async () => {
      await input.connect();
      await input.send({ topic: "in", messages: [0, 1, 2, 3, 4].map((i) => ({ value: `m${i}` })) });
      await p.connect();
      // Offset 3 of group g, committed with a transaction that stays open for 3 s.
      const t = await p.transaction();
      await t.sendOffsets({ consumerGroupId: "g", topics: [{ topic: "in", partitions: [{ partition: 0, offset: "3" }] }] });
      await late.subscribe({ topic: "in", fromBeginning: true });
      await late.run({ eachMessage: async ({ message }) => void firstOffsets.push(message.offset) });
      await sim.sleep(3000);
      await t.commit();
    });
    // The Java client (read_committed, 2.5+) would get UNSTABLE_OFFSET_COMMIT and start at 3 once the transaction
    // committed; kafkajs reads the last stable commit (none: fromBeginning) and starts at 0.
    expect(firstOffsets.slice(0, 5)).toEqual(["0", "1", "2", "3", "4"]);
  });
});
