// The real kafkajs (2.2.4, unmodified) in the simulation, judged by the checkers, through the package's public
// exports: "what can kafkajs lose with acks=1 under a leader kill" is one scenario, and what kafkajs does unlike the
// Java client shows in the trace.
import { createRequire } from "node:module";
import { describe, expect, it } from "vitest";
import { buildScenario, runKafkajs, runScenario, type KafkajsSim, type ScenarioInput } from "kafkasim";
import { judge } from "kafkasim/properties";

const require = createRequire(import.meta.url);
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- kafkajs ships no types for require()
const { Kafka, logLevel } = require("kafkajs") as any;

/** The followers stop fetching at 2 s (the leader keeps acknowledging alone), the leader dies at 3 s while the
 *  ISR still lists them (the library's acks1-leader-crash, with kafkajs as the producer). */
const leaderCrash: ScenarioInput = {
  name: "kafkajs-leader-crash",
  seed: 1,
  protocol: "3.7", // as the library's acks1-leader-crash (ZooKeeper era: zookeeper.session.timeout.ms below)
  durationMs: 30_000,
  drainMs: 25_000,
  broker: { "replica.lag.time.max.ms": 30_000, "zookeeper.session.timeout.ms": 1500, "replica.fetch.backoff.ms": 100, "replica.socket.timeout.ms": 1000, "offsets.topic.num.partitions": 1 },
  topics: [{ name: "orders", partitions: 1, "replication.factor": 3 }],
  faults: [
    { atMs: 2000, action: { kind: "partition-oneway", from: [{ broker: 1 }, { broker: 2 }, { broker: 3 }], to: [{ leaderOf: "orders-0" }] } },
    { atMs: 3000, action: { kind: "kill", target: { leaderOf: "orders-0" } } },
  ],
};

/** Our producer: one order every 5 ms for 6 s; a send that kafkajs gives up on is counted, not retried. */
function ordersApi(producerConfig: object, acks: number) {
  return async (sim: KafkajsSim): Promise<{ sent: number; failed: number }> => {
    const kafka = new Kafka({ ...sim.config("orders-api"), logLevel: logLevel.NOTHING, retry: { retries: 10 } });
    const producer = kafka.producer(producerConfig);
    await producer.connect();
    let sent = 0;
    let failed = 0;
    while (sim.nowMs() < 6000) {
      try {
        await producer.send({ topic: "orders", acks, messages: [{ value: `order-${sent}` }] });
      } catch {
        failed++;
      }
      sent++;
      await sim.sleep(5);
    }
    await producer.disconnect();
    return { sent, failed };
  };
}

describe("the real kafkajs, judged", () => {
  it("acks=1 loses acknowledged orders when the leader dies before its followers fetched them", async () => {
    const run = await runKafkajs(buildScenario(leaderCrash), ordersApi({ idempotent: false }, 1));
    if (run.error !== undefined) throw run.error;
    const j = judge(run.result);
    expect(j.verdict).toBe("allowed");
    const lost = j.anomalies.filter((a) => a.type === "lost-write");
    expect(lost.length).toBe(179); // of this seed's run (deterministic: same seed, same count)
    expect(new Set(lost.map((a) => a.allowedBecause?.rule))).toEqual(new Set(["acks1-leader-change"]));
    expect(lost[0]?.allowedBecause?.sentence).toMatch(/the record's producer has acks=1/);
    // Under faults too, the run is a function of its seed: again, the same trace hash and the same losses.
    const again = await runKafkajs(buildScenario(leaderCrash), ordersApi({ idempotent: false }, 1));
    expect(again.result.traceHash).toBe(run.result.traceHash);
    expect(JSON.stringify(judge(again.result).anomalies)).toBe(JSON.stringify(j.anomalies));
  });

  it("acks=all with idempotence loses nothing under the same faults", async () => {
    const run = await runKafkajs(buildScenario(leaderCrash), ordersApi({ idempotent: true, maxInFlightRequests: 1 }, -1));
    if (run.error !== undefined) throw run.error;
    const j = judge(run.result);
    expect(j.anomalies.filter((a) => !a.allowed)).toEqual([]);
    expect(j.anomalies.filter((a) => a.type === "lost-write" || a.type === "duplicate")).toEqual([]);
    expect(j.stats.acked).toBe(523);
    // Every send kafkajs resolved is an acknowledged send in the history, and no other.
    const { sent, failed } = run.value as { sent: number; failed: number };
    expect(j.stats.acked).toBe(sent - failed);
  });

  it("kafkajs heartbeats from its fetch loops: when every one is busy, a handler slower than session.timeout.ms loses the member (the Java client's heartbeat thread keeps it)", async () => {
    // Each broker leads one partition of orders, so each of kafkajs's fetchers (one per broker) has records to
    // hand over: while the handler sleeps on the first record, none of them goes round its loop to heartbeat.
    const s: ScenarioInput = {
      name: "slow-handler",
      seed: 4,
      protocol: "3.7", // timed for the ZooKeeper-era start (leaders within ~0.1 s)
      durationMs: 60_000,
      drainMs: 25_000,
      broker: { "offsets.topic.num.partitions": 1, "group.initial.rebalance.delay.ms": 0 },
      topics: [{ name: "orders", replicaAssignment: [[1, 2, 3], [2, 3, 1], [3, 1, 2]] }],
    };
    const run = await runKafkajs(buildScenario(s), async (sim) => {
      const kafka = new Kafka({ ...sim.config("billing-app"), logLevel: logLevel.NOTHING });
      const producer = kafka.producer();
      await producer.connect();
      await producer.send({ topic: "orders", messages: [0, 1, 2].flatMap((partition) => [{ partition, value: "a" }, { partition, value: "b" }]) });
      await producer.disconnect();
      const consumer = kafka.consumer({ groupId: "billing", sessionTimeout: 6000, heartbeatInterval: 1000 });
      await consumer.connect();
      await consumer.subscribe({ topics: ["orders"], fromBeginning: true });
      let done = 0;
      await new Promise<void>((resolve) => {
        void consumer.run({
          eachMessage: async () => {
            if (done === 0) await sim.sleep(9000); // one slow record: 9 s, the session is 6 s
            if (++done === 6) resolve();
          },
        });
      });
      await consumer.disconnect();
    });
    if (run.error !== undefined) throw run.error;
    const reasons = run.result.evidence.flatMap((e) => (e.type === "member-left" ? [e.reason] : []));
    expect(reasons).toContain("session-timeout");

    // The modelled Java consumer with the same 9 s per record heartbeats from its own thread (KIP-62): its
    // session holds; only max.poll.interval.ms (5 min) could end the membership.
    const java = runScenario(
      buildScenario({
        ...s,
        producers: [{ id: "p1", topic: "orders", ratePerSec: 10, messages: 6 }],
        consumers: [{ group: "billing", topics: ["orders"], config: { "session.timeout.ms": 6000, "heartbeat.interval.ms": 1000, "auto.offset.reset": "earliest" }, processing: { timeMs: 9000 } }],
      }),
    );
    expect(java.evidence.filter((e) => e.type === "member-left")).toEqual([]);
  });

  it("a transactional kafkajs producer that commits, aborts and commits, read by a read_committed and a read_uncommitted group on one client.id: the checkers find nothing", async () => {
    const s = buildScenario({
      name: "kafkajs-transactions",
      seed: 21,
      protocol: "3.7",
      durationMs: 60_000,
      drainMs: 25_000,
      broker: { "offsets.topic.num.partitions": 1, "group.initial.rebalance.delay.ms": 0 },
      topics: [
        { name: "orders", partitions: 3 },
        { name: "__transaction_state", partitions: 1 },
      ],
    });
    const run = await runKafkajs(s, async (sim) => {
      const kafka = new Kafka({ ...sim.config("shop"), logLevel: logLevel.NOTHING });
      const producer = kafka.producer({ transactionalId: "shop-tx", maxInFlightRequests: 1, idempotent: true });
      await producer.connect();
      for (const [prefix, commit] of [["a", true], ["b", false], ["c", true]] as const) {
        const txn = await producer.transaction();
        await txn.send({ topic: "orders", messages: [0, 1, 2, 3].map((i) => ({ key: `k${i}`, value: `${prefix}-${i}` })) });
        await (commit ? txn.commit() : txn.abort());
      }
      await producer.disconnect();
      for (const [groupId, readUncommitted, want] of [["committed", false, 8], ["everything", true, 12]] as const) {
        const consumer = kafka.consumer({ groupId, readUncommitted, sessionTimeout: 10_000, heartbeatInterval: 1000 });
        await consumer.connect();
        await consumer.subscribe({ topics: ["orders"], fromBeginning: true });
        let n = 0;
        await new Promise<void>((resolve) => void consumer.run({ eachMessage: async () => void (++n === want && resolve()) }));
        await sim.sleep(1000);
        await consumer.disconnect();
      }
    });
    if (run.error !== undefined) throw run.error;
    const j = judge(run.result);
    // The read_committed group skipped the markers and the aborted records (no poll-skip), the aborted records are
    // not lost writes, and no committed record is missing (lost-transaction).
    expect(j.anomalies).toEqual([]);
    expect(j.verdict).toBe("valid");
    expect([j.stats.acked, j.stats.polled]).toEqual([12, 20]);
  });
});
