import { describe, it, expect } from "vitest";
import { consumerSpec, producerSpec } from "../scenario/defaults.ts";
import type { ConsumerInput, ProducerInput } from "../scenario/defaults.ts";
import { msToUs } from "../core/time.ts";
import { FakeCluster } from "./testkit.ts";
import type { ConsumerHandler, ProducerLogic } from "./user-code.ts";
import type { HistoryOp, ProcessValue, SendValue } from "../history.ts";

const TOPIC = "orders";
const group = { "session.timeout.ms": 1000, "heartbeat.interval.ms": 200, "auto.offset.reset": "earliest", "enable.auto.commit": false } as const;

function world(c: ConsumerInput, p: Partial<ProducerInput> = {}): FakeCluster {
  return new FakeCluster({
    topics: [{ name: TOPIC, partitions: 1 }, { name: `${TOPIC}.dlt`, partitions: 1 }],
    producers: [producerSpec({ id: "p1", topic: TOPIC, ratePerSec: 100, messages: 20, ...p })],
    consumers: [consumerSpec(c)],
  });
}
const results = (ops: readonly HistoryOp[]) => ops.filter((o) => o.f === "process" && o.type !== "invoke").map((o) => o.value as ProcessValue);

describe("processing model", () => {
  it("failed attempts are retried with backoff; after the retries the record is skipped", () => {
    const c = world({ group: "g1", topics: [TOPIC], config: group, processing: { failureProb: 0.5, retries: 2, retryBackoffMs: 10 } });
    c.run(5000);
    const r = results(c.ops(undefined, "g1/0"));
    expect(r.length).toBe(20);
    expect(r.some((x) => x.result === "ok" && (x.attempts ?? 0) > 1)).toBe(true);
    expect(r.some((x) => x.result === "failed" && x.attempts === 3)).toBe(true);
    for (const x of r) if (x.result === "failed") expect(x.attempts).toBe(3);
  });

  it("a record that keeps failing goes to the dead-letter topic", () => {
    const c = world({ group: "g1", topics: [TOPIC], config: group, processing: { failureProb: 1, retries: 1, retryBackoffMs: 5, onFailure: "dead-letter" } });
    c.run(5000);
    const r = results(c.ops(undefined, "g1/0"));
    expect(r.length).toBe(20);
    for (const x of r) expect(x.result).toBe("dead-letter");
    expect(c.values(`${TOPIC}.dlt`).sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i));
  });

  it("a failing downstream fails every attempt until it recovers", () => {
    const c = world({ group: "g1", topics: [TOPIC], config: group, processing: { retries: 0, timeMs: 2 } }, { messages: 40, ratePerSec: 20 });
    c.rt.call(msToUs(700), () => c.downstreamUntilUs.set("g1", msToUs(1200)));
    c.run(5000);
    const ops = c.ops(undefined, "g1/0").filter((o) => o.f === "process" && o.type !== "invoke");
    const failed = ops.filter((o) => (o.value as ProcessValue).result === "failed");
    expect(failed.length).toBeGreaterThan(0);
    for (const o of failed) expect(o.timeUs >= msToUs(700) && o.timeUs <= msToUs(1200) + 2000).toBe(true);
    expect(ops.filter((o) => (o.value as ProcessValue).result === "ok").length).toBe(40 - failed.length);
  });
});

describe("user code", () => {
  it("eachMessage decides the outcome and the time of each attempt", () => {
    const seen: number[] = [];
    const handler: ConsumerHandler = {
      eachMessage: ({ message, attempt }) => {
        seen.push(message.offset);
        return message.value % 5 === 0 && attempt < 2 ? { processMs: 3, ok: false } : { processMs: 1 };
      },
    };
    const c = world({ group: "g1", topics: [TOPIC], config: group, handler, processing: { retries: 3, retryBackoffMs: 1 } });
    c.run(5000);
    const r = results(c.ops(undefined, "g1/0"));
    expect(r.length).toBe(20);
    for (const x of r) expect(x.attempts).toBe(x.value % 5 === 0 ? 2 : 1);
    expect(seen.length).toBe(24);
  });

  it("eachBatch: only resolved offsets count as processed; the rest is fetched again", () => {
    let calls = 0;
    const handler: ConsumerHandler = {
      eachBatch: ({ batch, resolveOffset, commitOffsetsIfNecessary }) => {
        calls++;
        // Resolve at most 3 records per call.
        for (const m of batch.messages.slice(0, 3)) resolveOffset(m.offset);
        commitOffsetsIfNecessary();
        return { processMs: 2 };
      },
    };
    const c = world({ group: "g1", topics: [TOPIC], config: group, handler, processing: { commit: "auto" } }, { ratePerSec: 1000 });
    c.run(5000);
    const ok = results(c.ops(undefined, "g1/0")).map((x) => x.value);
    expect(ok).toEqual(Array.from({ length: 20 }, (_, i) => i));
    expect(calls).toBeGreaterThanOrEqual(7);
    const commits = c.ops("commit", "g1/0").filter((o) => o.type === "ok");
    expect(commits.length).toBeGreaterThan(0);
  });

  it("producer logic chooses keys and skips ticks", () => {
    let tick = 0;
    const logic: ProducerLogic = () => (tick++ % 2 === 1 ? null : { key: 42 });
    const c = new FakeCluster({ topics: [{ name: TOPIC, partitions: 4 }], producers: [producerSpec({ id: "p1", topic: TOPIC, ratePerSec: 100, messages: 10, logic })] });
    c.run(3000);
    const oks = c.ops("send").filter((o) => o.type === "ok").map((o) => o.value as SendValue);
    expect(oks.length).toBe(10);
    expect(new Set(oks.map((v) => v.partition)).size).toBe(1);
    for (const v of oks) expect(v.key).toBe(42);
    expect(tick).toBeGreaterThanOrEqual(19);
  });
});
