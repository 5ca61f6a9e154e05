// The real kafkajs (2.2.4, unmodified) as a transactional producer against the simulated cluster, through the wire
// gateway: its transactions commit and abort on the simulated brokers' transaction coordinator, the partition
// leaders write the markers, and its consumers read them as they would from Kafka — read_committed ones only the
// committed records, read_uncommitted ones all of them, neither a marker; sendOffsets commits a group's offsets with
// the transaction, and only then.
import { describe, expect, it } from "vitest";
import { buildScenario } from "../../scenario/defaults.ts";
import type { Scenario } from "../../scenario/types.ts";
import { runKafkajs, type KafkajsSim } from "./host.ts";
import { Kafka, logLevel } from "./testkit.ts";

interface KjsTransaction {
  send(o: object): Promise<unknown>;
  sendOffsets(o: object): Promise<void>;
  commit(): Promise<void>;
  abort(): Promise<void>;
}
interface KjsTxnProducer {
  connect(): Promise<void>;
  transaction(): Promise<KjsTransaction>;
  disconnect(): Promise<void>;
}
interface KjsAdmin {
  connect(): Promise<void>;
  fetchOffsets(o: object): Promise<{ topic: string; partitions: { partition: number; offset: string }[] }[]>;
  disconnect(): Promise<void>;
}
type KafkaWithTxn = { producer(o: object): KjsTxnProducer; consumer(o: object): { connect(): Promise<void>; subscribe(o: object): Promise<void>; run(o: object): Promise<void>; disconnect(): Promise<void> }; admin(): KjsAdmin };

/** The kafkajs-real cluster, with the transaction state topic (Kafka creates it on the first FindCoordinator of key
 *  type transaction; a simulated cluster declares it up front). */
function scenario(seed: number): Scenario {
  return buildScenario({
    name: "kafkajs-real-txn",
    seed,
    protocol: "3.7",
    durationMs: 60_000,
    drainMs: 25_000,
    broker: { "offsets.topic.num.partitions": 1, "group.initial.rebalance.delay.ms": 0 },
    topics: [
      { name: "orders", partitions: 3 },
      { name: "receipts", partitions: 1 },
      { name: "__transaction_state", partitions: 1 },
    ],
  });
}

const messages = (prefix: string) => [0, 1, 2, 3].map((i) => ({ key: `k${i}`, value: `${prefix}-${i}` }));

/** Read `orders` from the beginning in `groupId` until `want` records came, then 1 s more (nothing else may come). */
async function readAll(sim: KafkajsSim, groupId: string, readUncommitted: boolean, want: number): Promise<{ values: string[]; keys: string[] }> {
  // One client.id for both readers (as two consumers of one Kafka instance): each group keeps its own isolation level.
  const kafka = new Kafka({ ...sim.config("reader"), logLevel: logLevel.NOTHING }) as unknown as KafkaWithTxn;
  const consumer = kafka.consumer({ groupId, readUncommitted, sessionTimeout: 10_000, heartbeatInterval: 1000 });
  await consumer.connect();
  await consumer.subscribe({ topics: ["orders"], fromBeginning: true });
  const values: string[] = [];
  const keys: string[] = [];
  await new Promise<void>((resolve, reject) => {
    consumer
      .run({
        eachMessage: async ({ message }: { message: { key: Buffer | null; value: Buffer | null } }) => {
          values.push(message.value?.toString() ?? "<null>");
          keys.push(message.key?.toString("hex") ?? "<null>");
          if (values.length === want) resolve();
        },
      })
      .catch(reject);
  });
  await sim.sleep(1000);
  await consumer.disconnect();
  return { values: values.sort(), keys };
}

describe("the real kafkajs's transactions through the wire gateway, in virtual time", () => {
  it("a committed, an aborted and a committed transaction: read_committed reads the two committed, read_uncommitted all three, neither a marker", async () => {
    const run = await runKafkajs(scenario(21), async (sim) => {
      const kafka = new Kafka({ ...sim.config("shop"), logLevel: logLevel.NOTHING }) as unknown as KafkaWithTxn;
      const producer = kafka.producer({ transactionalId: "shop-tx", maxInFlightRequests: 1, idempotent: true });
      await producer.connect();
      for (const [prefix, commit] of [["a", true], ["b", false], ["c", true]] as const) {
        const txn = await producer.transaction();
        await txn.send({ topic: "orders", messages: messages(prefix) });
        if (commit) await txn.commit();
        else await txn.abort();
      }
      await producer.disconnect();
      const committed = await readAll(sim, "committed", false, 8);
      const everything = await readAll(sim, "everything", true, 12);
      return { committed, everything };
    });
    if (run.error !== undefined) throw run.error;
    const { committed, everything } = run.value as { committed: { values: string[]; keys: string[] }; everything: { values: string[]; keys: string[] } };
    expect(committed.values).toEqual([...messages("a"), ...messages("c")].map((m) => m.value).sort());
    expect(everything.values).toEqual([...messages("a"), ...messages("b"), ...messages("c")].map((m) => m.value).sort());
    // A marker would come as a record whose key is its ControlRecordType (0000 abort, 0001 commit).
    for (const k of [...committed.keys, ...everything.keys]) expect(k).toMatch(/^6b3[0-3]$/);

    // The evidence the checkers read: each transaction's end, with its values.
    const ended = run.result.evidence.flatMap((e) => (e.type === "txn-ended" ? [{ commit: e.commit, n: e.values.length, producer: e.producer, topic: e.topic }] : []));
    expect(ended).toEqual([true, false, true].map((commit) => ({ commit, n: 4, producer: "shop", topic: "orders" })));
    // The history: the committed group polled the 8 committed records only, the other group all 12.
    const polls = (group: string) => run.result.history.flatMap((o) => (o.f === "poll" && o.type === "ok" && o.value.group === group ? o.value.records : []));
    expect(polls("committed").length).toBe(8);
    expect(polls("everything").length).toBe(12);
    // No reset: the client's next fetch starts where the answer (markers and aborted records included) ended.
    expect(run.result.history.filter((o) => o.f === "reset").length).toBe(0);
    // The specs the gateway saw: a transactional producer, a read_committed and a read_uncommitted group.
    expect(run.result.scenario.producers.map((p) => [p.id, p.config["transactional.id"]])).toEqual([["shop", "shop-tx"]]);
    expect(run.result.scenario.consumers.map((c) => [c.group, c.config["isolation.level"]])).toEqual([
      ["committed", "read_committed"],
      ["everything", "read_uncommitted"],
    ]);
  }, 60_000);

  it("sendOffsets commits the group's offsets with the transaction, and an aborted transaction's offsets are not committed; the same seed gives the same run", async () => {
    const pipe = async (sim: KafkajsSim) => {
      const kafka = new Kafka({ ...sim.config("pipe"), logLevel: logLevel.NOTHING }) as unknown as KafkaWithTxn;
      const producer = kafka.producer({ transactionalId: "pipe-tx", maxInFlightRequests: 1, idempotent: true });
      await producer.connect();
      const committed = await producer.transaction();
      await committed.send({ topic: "receipts", messages: messages("r") });
      await committed.sendOffsets({ consumerGroupId: "billing", topics: [{ topic: "orders", partitions: [{ partition: 0, offset: "2" }, { partition: 1, offset: "7" }] }] });
      await committed.commit();
      const aborted = await producer.transaction();
      await aborted.send({ topic: "receipts", messages: messages("x") });
      await aborted.sendOffsets({ consumerGroupId: "billing", topics: [{ topic: "orders", partitions: [{ partition: 0, offset: "5" }] }] });
      await aborted.abort();
      await producer.disconnect();
      const admin = kafka.admin();
      await admin.connect();
      const offsets = await admin.fetchOffsets({ groupId: "billing", topics: ["orders"] });
      await admin.disconnect();
      return offsets;
    };
    const run = await runKafkajs(scenario(22), pipe);
    if (run.error !== undefined) throw run.error;
    // A transactional run is a function of its seed too: the same trace hash (every frame both ways) and history.
    const again = await runKafkajs(scenario(22), pipe);
    expect(again.result.traceHash).toBe(run.result.traceHash);
    expect(JSON.stringify(again.result.history)).toBe(JSON.stringify(run.result.history));
    expect(JSON.stringify(again.result.evidence)).toBe(JSON.stringify(run.result.evidence));
    const offsets = run.value as { topic: string; partitions: { partition: number; offset: string }[] }[];
    expect(offsets.map((t) => [t.topic, [...t.partitions].sort((a, b) => a.partition - b.partition).map((p) => [p.partition, p.offset])])).toEqual([
      [
        "orders",
        [
          [0, "2"],
          [1, "7"],
          [2, "-1"],
        ],
      ],
    ]);
    // The history: one commit, invoked with the EndTxn(COMMIT) and ok with its answer; the aborted one is none.
    const commits = run.result.history.filter((o) => o.f === "commit").map((o) => [o.type, o.f === "commit" ? o.value.group : "", o.f === "commit" ? o.value.offsets : []]);
    expect(commits).toEqual([
      [
        "invoke",
        "billing",
        [
          { topic: "orders", partition: 0, offset: 2 },
          { topic: "orders", partition: 1, offset: 7 },
        ],
      ],
      [
        "ok",
        "billing",
        [
          { topic: "orders", partition: 0, offset: 2 },
          { topic: "orders", partition: 1, offset: 7 },
        ],
      ],
    ]);
  }, 60_000);
});
