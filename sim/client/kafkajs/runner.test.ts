// The kafkajs consumer's runner as kafkajs runs it (kafka-facts KJ1–KJ8): retry and crash, heartbeats only between
// messages, commits, eachBatch, seek, pause, concurrency.
import { describe, expect, it } from "vitest";
import type { ScenarioInput } from "../../scenario/defaults.ts";
import type { HistoryOp } from "../../history.ts";
import type { TraceEvent } from "../../events.ts";
import type { RunResult } from "../../result.ts";
import { runScenario } from "../../world.ts";
import { buildScenario } from "../../scenario/defaults.ts";
import { createSimulation } from "./simulation.ts";
import type { ConsumerRunConfig } from "./consumer.ts";
import type { KafkaJSConsumerConfig } from "./kafka.ts";

const BROKER = { "offsets.topic.num.partitions": 1, "group.initial.rebalance.delay.ms": 0 } as const;

/** One consumer (group g1) reading `orders`, a producer sending `n` keyed messages from t=0 (`perSend` a call). */
function setup(opts: { n: number; perSend?: number; every?: number; partitions?: number; scenario?: ScenarioInput; consumer?: Partial<KafkaJSConsumerConfig>; run: (sim: ReturnType<typeof createSimulation>) => ConsumerRunConfig }) {
  const sim = createSimulation({ seed: 1, durationMs: 20_000, drainMs: 20_000, broker: BROKER, topics: [{ name: "orders", partitions: opts.partitions ?? 1 }], ...opts.scenario });
  const kafka = sim.kafka();
  const producer = kafka.producer();
  const consumer = kafka.consumer({ groupId: "g1", ...opts.consumer });
  const result = sim.run(async () => {
    await consumer.subscribe({ topic: "orders", fromBeginning: true });
    await consumer.run(opts.run(sim));
    await producer.connect();
    const per = opts.perSend ?? 1;
    for (let i = 0; i < opts.n; i += per) {
      await producer.send({ topic: "orders", messages: Array.from({ length: Math.min(per, opts.n - i) }, (_, k) => ({ key: `k${i + k}`, value: `${i + k}` })) });
      await sim.sleep(opts.every ?? 10);
    }
  });
  return { sim, consumer, producer, result };
}

const events = <T extends TraceEvent["type"]>(r: RunResult, type: T): (Extract<TraceEvent, { type: T }> & { readonly timeUs: number })[] => r.evidence.filter((e) => e.type === type) as never;
type ProcessOp = Extract<HistoryOp, { f: "process" }>;
const processOk = (r: RunResult): ProcessOp[] => r.history.filter((op): op is ProcessOp => op.f === "process" && op.type === "ok");

describe("kafkajs runner: a handler that throws", () => {
  it("is retried after 300 ms × 2^n (±20 %), from the failed message; after 5 retries the consumer crashes, leaves its group and restarts", async () => {
    const { result } = setup({ n: 3, run: () => ({ eachMessage: async ({ message }) => {
      if (message.value?.toString() === "1") throw new Error("poison");
    } }) });
    const r = await result;
    const errors = events(r, "handler-error");
    // The poison message (offset 1) over and over: 6 attempts per fetch-manager run, then a crash.
    expect(errors.slice(0, 6).map((e) => e.offset)).toEqual([1, 1, 1, 1, 1, 1]);
    const gaps = errors.slice(0, 6).map((e, i, a) => (i === 0 ? 0 : (e.timeUs - (a[i - 1] as typeof e).timeUs) / 1000)).slice(1);
    // Waits of 300, 600, 1200, 2400, 4800 ms randomised ±20 % and compounded, plus a refetch of a few ms.
    let lo = 240;
    let hi = 360;
    for (const g of gaps) {
      expect(g).toBeGreaterThanOrEqual(lo);
      expect(g).toBeLessThan(hi + 20);
      lo *= 0.8 * 2;
      hi *= 1.2 * 2;
    }
    const crash = events(r, "kafkajs-crash")[0];
    expect(crash?.error).toMatch(/^KafkaJSNumberOfRetriesExceeded: poison/);
    expect(crash?.restart).toBe(true);
    expect(crash?.timeUs).toBe((errors[5] as (typeof errors)[number]).timeUs);
    // It left the group at once (LeaveGroup), and joined again as a new member after the retry time.
    const left = events(r, "member-left").find((e) => e.timeUs >= (crash?.timeUs ?? 0));
    expect(left?.reason).toBe("leave-group");
    const rejoined = events(r, "member-joined").find((e) => e.timeUs > (crash?.timeUs ?? 0));
    expect(rejoined?.reason).toBe("rejoin");
    // Offset 0 was processed once (committed before the first throw), the poison never.
    expect(processOk(r).map((op) => op.value.offset)).toEqual([0]);
  });

  it("a non-retriable error (a TypeError) crashes the consumer for good; restartOnFailure can also say no", async () => {
    const typeError = await setup({ n: 2, run: () => ({ eachMessage: async ({ message }) => {
      if (message.value?.toString() === "0") (undefined as unknown as { x: () => void }).x();
    } }) }).result;
    expect(events(typeError, "handler-error")).toHaveLength(1);
    expect(events(typeError, "kafkajs-crash").map((e) => [e.error.split(":")[0], e.restart])).toEqual([["KafkaJSNonRetriableError", false]]);
    expect(processOk(typeError)).toHaveLength(0);

    let asked = 0;
    const refused = await setup({
      n: 2,
      consumer: { retry: { retries: 1, restartOnFailure: async () => (asked++, false) } },
      run: () => ({ eachMessage: async () => {
        throw new Error("always");
      } }),
    }).result;
    expect(asked).toBe(1);
    expect(events(refused, "handler-error")).toHaveLength(2);
    expect(events(refused, "kafkajs-crash").map((e) => e.restart)).toEqual([false]);
  });
});

describe("kafkajs runner: heartbeats only between messages (no heartbeat thread)", () => {
  it("a handler that runs longer than sessionTimeout loses the member its partition; the Java client's heartbeat thread keeps it", async () => {
    const { result } = setup({ n: 2, consumer: { sessionTimeout: 10_000, heartbeatInterval: 3_000 }, run: (sim) => ({ eachMessage: async () => sim.sleep(15_000) }) });
    const r = await result;
    const left = events(r, "member-left");
    expect(left.map((e) => e.reason)).toContain("session-timeout");
    // The modelled Java consumer with 15 s per record and the same timeouts stays in its group.
    const java = runScenario(
      buildScenario({
        seed: 1,
        durationMs: 20_000,
        drainMs: 20_000,
        broker: BROKER,
        producers: [{ id: "p1", topic: "orders", ratePerSec: 100, messages: 2 }],
        consumers: [{ group: "g1", topics: ["orders"], config: { "session.timeout.ms": 10_000, "heartbeat.interval.ms": 3_000, "max.poll.interval.ms": 60_000, "auto.offset.reset": "earliest" }, processing: { timeMs: 15_000 } }],
      }),
    );
    expect(events(java, "member-left")).toHaveLength(0);
  });
});

describe("kafkajs runner: commits", () => {
  it("autoCommit commits the resolved offsets at the end of each batch, and within it every autoCommitThreshold records", async () => {
    const commits = (r: RunResult): number[][] =>
      r.history.filter((op): op is Extract<HistoryOp, { f: "commit" }> => op.f === "commit" && op.type === "ok").map((op) => op.value.offsets.map((o) => o.offset));
    // 10 records in one send: one batch.
    const atEnd = await setup({ n: 10, perSend: 10, run: () => ({ eachMessage: async () => {} }) }).result;
    expect(commits(atEnd)).toEqual([[10]]);
    const threshold = await setup({ n: 10, perSend: 10, run: () => ({ autoCommitThreshold: 4, eachMessage: async () => {} }) }).result;
    expect(commits(threshold)).toEqual([[4], [8], [10]]);
    const manual = await setup({ n: 10, perSend: 10, run: () => ({ autoCommit: false, eachMessage: async () => {} }) }).result;
    expect(commits(manual)).toEqual([]);
  });

  it("commitOffsets commits the offsets it is given; stop() ends the run after the current message (no more are handed over)", async () => {
    const commits = (r: RunResult): number[][] =>
      r.history.filter((op): op is Extract<HistoryOp, { f: "commit" }> => op.f === "commit" && op.type === "ok").map((op) => op.value.offsets.map((o) => o.offset));
    let committedAtHandler = false;
    const manual = setup({
      n: 10,
      perSend: 10,
      run: () => ({
        autoCommit: false,
        eachMessage: async ({ message }) => {
          if (message.offset === "4") {
            await manual.consumer.commitOffsets([{ topic: "orders", partition: 0, offset: "5" }]);
            committedAtHandler = true;
          }
        },
      }),
    });
    const m = await manual.result;
    expect(committedAtHandler).toBe(true);
    expect(commits(m)).toEqual([[5]]);
    expect(processOk(m)).toHaveLength(10);

    const stopped = setup({
      n: 10,
      perSend: 10,
      run: () => ({
        eachMessage: async ({ message }) => {
          if (message.offset === "2") void stopped.consumer.stop();
        },
      }),
    });
    const s = await stopped.result;
    expect(processOk(s).map((op) => op.value.offset)).toEqual([0, 1, 2]);
    // What was resolved is committed as the batch ends (autoCommit).
    expect(commits(s)).toEqual([[3]]);
  });

  it("eachBatch: records count as processed when resolved; a throw commits what was resolved and refetches the rest", async () => {
    let calls = 0;
    const r = await setup({
      n: 10,
      perSend: 10,
      run: (sim) => ({
        eachBatchAutoResolve: false,
        eachBatch: async ({ batch, resolveOffset }) => {
          calls++;
          for (const m of batch.messages) {
            await sim.sleep(5);
            if (calls === 1 && m.offset === "4") throw new Error("stop at 4");
            resolveOffset(m.offset);
          }
        },
      }),
    }).result;
    const ok = processOk(r);
    expect(ok.map((op) => op.value.offset)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    // Resolved one at a time, 5 ms apart (never all at the batch's end).
    expect(ok[1]!.timeUs - ok[0]!.timeUs).toBe(5000);
    const seeks = r.history.filter((op) => op.f === "seek");
    expect(seeks.map((op) => (op as Extract<HistoryOp, { f: "seek" }>).value.offset)).toEqual([4]);
    expect(calls).toBe(2);
  });
});

describe("kafkajs runner: seek, pause, concurrency", () => {
  it("seek moves the next fetch; with autoCommit the offset is committed", async () => {
    let sought = false;
    const { consumer, result } = setup({ n: 6, perSend: 6, run: () => ({ eachMessage: async ({ message }) => {
      if (message.offset === "3" && !sought) {
        sought = true;
        consumer.seek({ topic: "orders", partition: 0, offset: "1" });
      }
    } }) });
    const r = await result;
    expect(processOk(r).map((op) => op.value.offset)).toEqual([0, 1, 2, 3, 1, 2, 3, 4, 5]);
    const seeks = r.history.filter((op): op is Extract<HistoryOp, { f: "seek" }> => op.f === "seek");
    expect(seeks.map((op) => [op.value.offset, op.value.reason])).toEqual([[1, "seek"]]);
    const committed = r.history.find((op): op is Extract<HistoryOp, { f: "commit" }> => op.f === "commit" && op.type === "invoke" && op.timeUs === seeks[0]?.timeUs && op.value.offsets[0]?.offset === 1);
    expect(committed).toBeDefined();
  });

  it("a paused partition is not consumed until resumed", async () => {
    const { consumer, result, sim } = setup({
      n: 6,
      every: 100,
      run: (s) => ({ eachMessage: async ({ message }) => {
        if (message.offset === "1") {
          consumer.pause([{ topic: "orders" }]);
          void s.sleep(2000).then(() => consumer.resume([{ topic: "orders" }]));
        }
      } }),
    });
    const r = await result;
    const ok = processOk(r);
    expect(ok.map((op) => op.value.offset)).toEqual([0, 1, 2, 3, 4, 5]);
    const gap = (ok[2]!.timeUs - ok[1]!.timeUs) / 1000;
    expect(gap).toBeGreaterThanOrEqual(2000);
    expect(sim.scenario.consumers[0]?.members).toBe(1);
  });

  it("partitionsConsumedConcurrently runs several partitions' batches at once, each partition's messages in order", async () => {
    const most: number[] = [];
    const run = async (concurrency: number): Promise<RunResult> => {
      let now = 0;
      let max = 0;
      const r = await setup({
        n: 30,
        perSend: 30,
        partitions: 3,
        run: (sim) => ({
          partitionsConsumedConcurrently: concurrency,
          eachMessage: async () => {
            max = Math.max(max, ++now);
            await sim.sleep(100);
            now--;
          },
        }),
      }).result;
      most.push(max);
      return r;
    };
    const one = await run(1);
    const three = await run(3);
    const span = (r: RunResult): number => {
      const ok = processOk(r);
      return (ok[ok.length - 1]!.timeUs - ok[0]!.timeUs) / 1000;
    };
    // 30 records of 100 ms: about 3 s one at a time; three at a time, three handlers run at once (when the three
    // partitions' records have arrived: a follower's fetch backoff can hold one partition back at the start).
    expect(most).toEqual([1, 3]);
    expect(span(one)).toBeGreaterThan(2800);
    expect(span(three)).toBeLessThan(span(one) - 1000);
    for (const r of [one, three]) {
      const byPartition = new Map<number, number[]>();
      for (const op of processOk(r)) byPartition.set(op.value.partition, [...(byPartition.get(op.value.partition) ?? []), op.value.offset]);
      for (const offsets of byPartition.values()) expect(offsets).toEqual([...offsets].sort((a, b) => a - b));
    }
  });
});
