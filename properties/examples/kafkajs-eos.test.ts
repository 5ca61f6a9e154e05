// Exactly-once with the kafkajs API: a consume-transform-produce program as kafkajs's documentation writes it — each
// input message's output sent in a transaction with the input's offset (transaction.sendOffsets), committed
// together — run against the simulated cluster while the leader of an output partition is killed. A read_committed
// reader of the output (kafkajs's default, readUncommitted: false) sees every input's output exactly once and never
// a record of an aborted transaction; a readUncommitted reader sees the aborted ones too.
import { describe, expect, it } from "vitest";
import { createSimulation, type RunResult } from "kafkasim";
import { judge } from "kafkasim/properties";

const INPUTS = 48;

async function eosPipeline(seed: number): Promise<{ result: RunResult; outputs: Map<string, number>; uncommitted: Map<string, number>; aborts: number; committers: Set<string> }> {
  const sim = createSimulation({
    seed,
    durationMs: 20_000,
    drainMs: 40_000,
    topics: [
      { name: "payments", partitions: 3 },
      { name: "ledger", partitions: 3 },
    ],
    broker: { "min.insync.replicas": 2, "offsets.topic.num.partitions": 1, "transaction.state.log.num.partitions": 1, "group.initial.rebalance.delay.ms": 0 },
    faults: [{ atMs: 10_000, action: { kind: "kill", target: { leaderOf: "ledger-0" } } }],
  });
  const kafka = sim.kafka({ clientId: "bank" });
  const input = kafka.producer({ idempotent: true });
  // One transactional producer per member of the transforming group (kafkajs's EOS pattern).
  const members = [0, 1, 2].map((i) => ({
    id: `ledger-writer-${i}`,
    consumer: kafka.consumer({ groupId: "ledger-writer" }),
    producer: kafka.producer({ transactionalId: `ledger-writer-${i}`, idempotent: true, maxInFlightRequests: 1 }),
  }));
  const audit = kafka.consumer({ groupId: "audit" }); // readUncommitted: false → read_committed
  const peek = kafka.consumer({ groupId: "peek", readUncommitted: true });
  const outputs = new Map<string, number>();
  const uncommitted = new Map<string, number>();
  const committers = new Set<string>();
  const refused = new Set<string>();
  let aborts = 0;
  const result = await sim.run(async () => {
    const start = async ({ id, consumer, producer }: (typeof members)[number]): Promise<void> => {
      await producer.connect();
      await consumer.subscribe({ topic: "payments", fromBeginning: true });
      await consumer.run({
        autoCommit: false,
        eachMessage: async ({ topic, partition, message }) => {
          const transaction = await producer.transaction();
          try {
            const payment = message.value!.toString();
            await transaction.send({ topic: "ledger", messages: [{ key: message.key, value: `entry-${payment}` }] });
            // Every 12th payment is refused, once, after its entry was written: that transaction is aborted.
            if (Number(payment.slice(4)) % 12 === 5 && !refused.has(payment)) {
              refused.add(payment);
              throw new Error(`payment ${payment} refused`);
            }
            await transaction.sendOffsets({ consumerGroupId: "ledger-writer", topics: [{ topic, partitions: [{ partition, offset: String(Number(message.offset) + 1) }] }] });
            await transaction.commit();
            committers.add(id);
          } catch (e) {
            if (transaction.isActive()) {
              aborts++;
              await transaction.abort();
            }
            throw e; // kafkajs retries the message
          }
        },
      });
    };
    await start(members[0]!);
    await start(members[1]!);
    // A third member joins mid-run: a rebalance hands partitions to it, which resume from the offsets committed
    // by the transactions.
    setTimeout(() => void start(members[2]!), 12_000);
    await audit.subscribe({ topic: "ledger", fromBeginning: true });
    await audit.run({ eachMessage: async ({ message }) => void outputs.set(message.value!.toString(), (outputs.get(message.value!.toString()) ?? 0) + 1) });
    await peek.subscribe({ topic: "ledger", fromBeginning: true });
    await peek.run({ eachMessage: async ({ message }) => void uncommitted.set(message.value!.toString(), (uncommitted.get(message.value!.toString()) ?? 0) + 1) });
    await input.connect();
    for (let i = 0; i < INPUTS; i++) {
      await input.send({ topic: "payments", messages: [{ key: `acct-${i % 10}`, value: `pay-${i}` }] });
      await sim.sleep(250);
    }
  });
  return { result, outputs, uncommitted, aborts, committers };
}

describe("kafkajs exactly-once pipeline (transactions + sendOffsets)", () => {
  it("under a broker kill and a rebalance, a read_committed reader sees every payment's entry once and no aborted one; a readUncommitted reader sees the aborted ones", async () => {
    const { result, outputs, uncommitted, aborts, committers } = await eosPipeline(3);
    // The leader of ledger-0 was killed while the pipeline ran: transactions committed before and after it.
    const kill = result.evidence.find((e) => e.type === "node-kill");
    const ended = result.evidence.filter((e) => e.type === "txn-ended");
    expect(kill?.timeUs).toBe(10_000_000);
    expect(ended.some((e) => e.commit && e.timeUs < 10_000_000) && ended.some((e) => e.commit && e.timeUs > 10_000_000)).toBe(true);
    // The third member took partitions over mid-run (and resumed from the transactions' offsets).
    expect(committers).toEqual(new Set(["ledger-writer-0", "ledger-writer-1", "ledger-writer-2"]));

    // Four payments were refused after their entry was written: four transactions aborted, then retried.
    expect(aborts).toBe(4);
    expect(ended.filter((e) => !e.commit).length).toBe(4);
    // audit (readUncommitted: false, kafkajs's default: read_committed) saw each entry exactly once.
    expect(outputs.size).toBe(INPUTS);
    expect([...outputs.values()].every((n) => n === 1)).toBe(true);
    // peek (readUncommitted: true) saw the aborted entries too: the refused payments' entries twice.
    expect([...uncommitted].filter(([, n]) => n === 2).map(([v]) => v).sort()).toEqual(["entry-pay-17", "entry-pay-29", "entry-pay-41", "entry-pay-5"]);
    expect(uncommitted.size).toBe(INPUTS);

    // The checkers judge the run as any: nothing lost, no aborted read, no hanging or lost transaction.
    const j = judge(result);
    expect(j.verdict).toBe("valid");
    expect(j.anomalies).toEqual([]);
    expect(result.scenario.consumers.find((c) => c.group === "audit")?.config["isolation.level"]).toBe("read_committed");
    expect(result.scenario.consumers.find((c) => c.group === "peek")?.config["isolation.level"]).toBe("read_uncommitted");
  }, 60_000);
});
