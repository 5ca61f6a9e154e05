import { describe, it, expect } from "vitest";
import { producerSpec } from "../scenario/defaults.ts";
import type { ProducerInput } from "../scenario/defaults.ts";
import { FakeCluster } from "./testkit.ts";
import type { SendValue } from "../history.ts";
import { brokerNode, nodeId } from "../core/ids.ts";
import type { Producer } from "./producer.ts";

const TOPIC = "orders";

function cluster(p: ProducerInput, opts: { partitions?: number; workloadMs?: number } = {}): FakeCluster {
  return new FakeCluster({ topics: [{ name: TOPIC, partitions: opts.partitions ?? 1 }, { name: `${TOPIC}.dlt`, partitions: 1 }], producers: [producerSpec(p)], workloadMs: opts.workloadMs ?? 1000 });
}

function counts(values: readonly number[]): Map<number, number> {
  const m = new Map<number, number>();
  for (const v of values) m.set(v, (m.get(v) ?? 0) + 1);
  return m;
}

describe("producer basics", () => {
  it("sends every record once and records invoke/ok with partition and offset", () => {
    const c = cluster({ id: "p1", topic: TOPIC, ratePerSec: 100, messages: 20 }, { partitions: 3 });
    c.run(3000);
    expect(c.values(TOPIC).length).toBe(20);
    const oks = c.ops("send").filter((o) => o.type === "ok");
    expect(oks.length).toBe(20);
    for (const o of oks) {
      const v = o.value as SendValue;
      expect(c.log(TOPIC, v.partition as number).values[v.offset as number]).toBe(v.value);
    }
  });
});

/** The first produce attempt of the record with value 0 is appended, then the connection dies silently: its
 *  response and every later one for 300 ms are lost. */
function loseFirstResponse(c: FakeCluster): void {
  let done = false;
  c.produceHook = (_b, _req, batch) => {
    if (!done && batch.values.includes(0)) {
      done = true;
      return { kind: "append-drop-response", muteMs: 300 };
    }
    return { kind: "normal" };
  };
}

/** The first attempt of the batch holding value 0 fails with a retriable error, not appended. */
function failFirstAttempt(c: FakeCluster): void {
  let done = false;
  c.produceHook = (_b, _req, batch) => {
    if (!done && batch.values.includes(0)) {
      done = true;
      return { kind: "error", error: "NOT_ENOUGH_REPLICAS" };
    }
    return { kind: "normal" };
  };
}

const fast = { "request.timeout.ms": 200, "retry.backoff.ms": 50, "batch.size": 100 } as const;

describe("retries without idempotence (fact 18)", () => {
  it("a lost response followed by a retry writes a duplicate", () => {
    const c = cluster({ id: "p1", topic: TOPIC, ratePerSec: 50, messages: 10, config: { ...fast, "enable.idempotence": false } });
    loseFirstResponse(c);
    c.run(3000);
    expect(counts(c.values(TOPIC)).get(0)).toBe(2);
    // The client saw one ok for value 0 (the retry's), at the second offset.
    const ok0 = c.ops("send").filter((o) => o.type === "ok" && (o.value as SendValue).value === 0);
    expect(ok0.length).toBe(1);
  });

  it("with in-flight 5, a failed batch retried after later ones succeeded lands out of order", () => {
    const c = cluster({ id: "p1", topic: TOPIC, ratePerSec: 5000, messages: 20, config: { ...fast, "enable.idempotence": false, "max.in.flight.requests.per.connection": 5 } });
    failFirstAttempt(c);
    c.run(3000);
    const log = c.values(TOPIC);
    expect(log.length).toBe(20);
    expect(log[0]).not.toBe(0);
    expect(log.indexOf(0)).toBeGreaterThan(log.indexOf(1));
  });

  it("with in-flight 1 the same failure keeps the order", () => {
    const c = cluster({ id: "p1", topic: TOPIC, ratePerSec: 5000, messages: 20, config: { ...fast, "enable.idempotence": false, "max.in.flight.requests.per.connection": 1 } });
    failFirstAttempt(c);
    c.run(3000);
    const log = c.values(TOPIC);
    expect(log.length).toBe(20);
    expect(log).toEqual([...log].sort((a, b) => a - b));
  });
});

describe("idempotence (fact 19)", () => {
  it("a lost response and a retry write no duplicate", () => {
    const c = cluster({ id: "p1", topic: TOPIC, ratePerSec: 50, messages: 10, config: { ...fast } });
    loseFirstResponse(c);
    c.run(3000);
    const log = c.values(TOPIC);
    expect(log.length).toBe(10);
    expect(counts(log).get(0)).toBe(1);
    expect(c.ops("send").filter((o) => o.type === "ok").length).toBe(10);
  });

  it("a failed batch with later ones in flight does not reorder (OUT_OF_ORDER_SEQUENCE_NUMBER → retried in order)", () => {
    const c = cluster({ id: "p1", topic: TOPIC, ratePerSec: 5000, messages: 20, config: { ...fast, "max.in.flight.requests.per.connection": 5 } });
    failFirstAttempt(c);
    c.run(3000);
    const log = c.values(TOPIC);
    expect(log).toEqual(Array.from({ length: 20 }, (_, i) => i));
  });

  it("bumps its epoch when a batch may have been written and then expired", () => {
    const c = cluster({ id: "p1", topic: TOPIC, ratePerSec: 20, messages: 6, config: { ...fast, "delivery.timeout.ms": 300 } });
    let n = 0;
    c.produceHook = (_b, _req, batch) => (batch.values.includes(0) && n++ < 10 ? { kind: "append-drop-response" } : { kind: "normal" });
    c.run(3000);
    const info0 = c.ops("send").find((o) => o.type === "info" && (o.value as SendValue).value === 0);
    expect(info0).toBeDefined();
    expect(c.rt.trace.events.some((e) => e.type === "producer-epoch-bump")).toBe(true);
    // The other records still got through after the bump.
    expect(c.ops("send").filter((o) => o.type === "ok").length).toBe(5);
  });
});

describe("records that fail for good: the four policies", () => {
  /** Value 3 is refused with a non-retriable error (never appended). */
  function refuse3(c: FakeCluster): void {
    c.produceHook = (_b, _req, batch) => (batch.topic === TOPIC && batch.values.includes(3) ? { kind: "error", error: "MESSAGE_TOO_LARGE" } : { kind: "normal" });
  }
  const run = (policy: "drop" | "log" | "halt" | "dead-letter"): FakeCluster => {
    const c = cluster({ id: "p1", topic: TOPIC, ratePerSec: 50, messages: 10, onFailure: policy, config: { ...fast } });
    refuse3(c);
    c.run(3000);
    return c;
  };
  const failOf = (c: FakeCluster) => c.ops("send").filter((o) => o.type === "fail");

  for (const policy of ["drop", "log"] as const) {
    it(`${policy}: the record is recorded as failed (definitely not written) and the producer goes on`, () => {
      const c = run(policy);
      const fails = failOf(c);
      expect(fails.map((o) => o.value as SendValue)).toEqual([{ topic: TOPIC, key: null, value: 3, partition: 0, error: "MESSAGE_TOO_LARGE", policy }]);
      expect(c.values(TOPIC).length).toBe(9);
      expect(c.rt.trace.events.filter((e) => e.type === "send-failed").length).toBe(1);
    });
  }

  it("halt: no more sends after the failure", () => {
    const c = run("halt");
    expect((failOf(c)[0]?.value as SendValue).policy).toBe("halt");
    const invokes = c.ops("send").filter((o) => o.type === "invoke").map((o) => (o.value as SendValue).value);
    expect(Math.max(...invokes)).toBeLessThan(9);
    expect(c.values(TOPIC)).not.toContain(3);
    expect(c.rt.trace.events.some((e) => e.type === "producer-halted")).toBe(true);
  });

  it("dead-letter: the record goes to the dead-letter topic", () => {
    const c = run("dead-letter");
    expect((failOf(c)[0]?.value as SendValue).policy).toBe("dead-letter");
    expect(c.values(`${TOPIC}.dlt`)).toEqual([3]);
    expect(c.ops("send").some((o) => o.type === "ok" && (o.value as SendValue).topic === `${TOPIC}.dlt`)).toBe(true);
    expect(c.values(TOPIC).length).toBe(9);
  });

  it("a record that timed out after an attempt that may have appended it ends as info, not fail", () => {
    const c = cluster({ id: "p1", topic: TOPIC, ratePerSec: 50, messages: 3, config: { ...fast, "enable.idempotence": false, "delivery.timeout.ms": 500 } });
    c.produceHook = () => ({ kind: "append-drop-response" });
    c.run(3000);
    const ends = c.ops("send").filter((o) => o.type !== "invoke");
    expect(ends.length).toBe(3);
    for (const o of ends) expect(o.type).toBe("info");
  });
});

describe("producer config rules (fact 16)", () => {
  it("explicit enable.idempotence=true with acks=1 is a config error naming the key", () => {
    expect(() => cluster({ id: "p1", topic: TOPIC, config: { "enable.idempotence": true, acks: 1 } })).toThrow(/acks/);
  });
  it("explicit idempotence with in-flight 6 or retries 0 is an error", () => {
    expect(() => cluster({ id: "p1", topic: TOPIC, config: { "enable.idempotence": true, "max.in.flight.requests.per.connection": 6 } })).toThrow(/max.in.flight/);
    expect(() => cluster({ id: "p1", topic: TOPIC, config: { "enable.idempotence": true, retries: 0 } })).toThrow(/retries/);
  });
  it("default idempotence with acks=1 is silently turned off (a lost response then duplicates)", () => {
    const c = cluster({ id: "p1", topic: TOPIC, ratePerSec: 50, messages: 10, config: { ...fast, acks: 1 } });
    loseFirstResponse(c);
    c.run(3000);
    expect(counts(c.values(TOPIC)).get(0)).toBe(2);
  });
  it("acks=0 records ok with offset -1 at once", () => {
    const c = cluster({ id: "p1", topic: TOPIC, ratePerSec: 50, messages: 5, config: { acks: 0 } });
    c.run(2000);
    const oks = c.ops("send").filter((o) => o.type === "ok");
    expect(oks.length).toBe(5);
    for (const o of oks) expect((o.value as SendValue).offset).toBe(-1);
  });
});

describe("partitioning", () => {
  it("keyed records of one key always go to one partition; unkeyed batches stick", () => {
    const c = cluster({ id: "p1", topic: TOPIC, ratePerSec: 100, messages: 40, keys: 4 }, { partitions: 3 });
    c.run(3000);
    const byKey = new Map<number, Set<number>>();
    for (const o of c.ops("send").filter((x) => x.type === "ok")) {
      const v = o.value as SendValue;
      const s = byKey.get(v.key as number) ?? new Set<number>();
      s.add(v.partition as number);
      byKey.set(v.key as number, s);
    }
    for (const s of byKey.values()) expect(s.size).toBe(1);
  });
});

describe("leaders and connections", () => {
  it("a moved leader answers NOT_LEADER_OR_FOLLOWER; the producer refreshes metadata and goes on", () => {
    const c = cluster({ id: "p1", topic: TOPIC, ratePerSec: 50, messages: 20, config: { ...fast } });
    const from = c.log(TOPIC, 0).leader;
    c.rt.call(200_000, () => c.moveLeader(TOPIC, 0, (from % 3) + 1));
    c.run(3000);
    expect(c.values(TOPIC)).toEqual(Array.from({ length: 20 }, (_, i) => i));
    expect(c.rt.trace.events.filter((e) => e.type === "metadata-refresh").length).toBeGreaterThan(1);
  });

  it("a killed broker fails the requests in flight on its connection at once, without waiting for the request timeout", () => {
    const c = cluster({ id: "p1", topic: TOPIC, ratePerSec: 50, messages: 5, config: { "enable.idempotence": false, "request.timeout.ms": 30_000, "retry.backoff.ms": 50 } });
    const leader = c.log(TOPIC, 0).leader;
    let done = false;
    c.produceHook = (_b, _req, batch) => {
      if (!done && batch.values.includes(0)) {
        done = true;
        return { kind: "append-drop-response" };
      }
      return { kind: "normal" };
    };
    c.rt.call(10_000, () => c.rt.kill(`broker-${leader}` as never));
    c.rt.call(300_000, () => c.rt.restart(`broker-${leader}` as never));
    c.run(2000);
    const ok0 = c.ops("send").find((o) => o.type === "ok" && (o.value as SendValue).value === 0);
    expect(ok0).toBeDefined();
    expect((ok0 as { timeUs: number }).timeUs).toBeLessThan(1_000_000);
    expect(counts(c.values(TOPIC)).get(0)).toBe(2);
  });
});

describe("request timeouts close the connection (NetworkClient.handleTimedOutRequests)", () => {
  it("the retry goes on a new connection: acknowledged before the timed-out request's retransmission lands", () => {
    // The produce request of value 0 is lost once on a flaky link (TCP retransmits it after the 200 ms RTO); the
    // request times out at 100 ms, the producer closes the connection and retries on a new one.
    const c = cluster({ id: "p1", topic: TOPIC, ratePerSec: 100, messages: 1, startMs: 10, config: { "enable.idempotence": false, acks: 1, "request.timeout.ms": 100, "retry.backoff.ms": 10, "max.in.flight.requests.per.connection": 1 } });
    const p1 = c.rt.index(nodeId("p1"));
    const leader = c.rt.index(brokerNode(c.log(TOPIC, 0).leader));
    c.rt.call(9_000, () => c.rt.network.flaky(p1, leader, 1));
    c.rt.call(11_000, () => c.rt.network.flaky(p1, leader, 0));
    c.run(1000);
    const ok0 = c.ops("send").find((o) => o.type === "ok" && (o.value as SendValue).value === 0) as { timeUs: number } | undefined;
    expect(ok0).toBeDefined();
    // Sent at 10 ms, timed out at 110 ms, retried after the 10 ms backoff: acked well before the RTO expires at
    // 210 ms (on the old connection the retry would have waited behind the original).
    expect(ok0?.timeUs).toBeGreaterThan(110_000);
    expect(ok0?.timeUs).toBeLessThan(200_000);
    // The original still reached the broker later: written twice (no idempotence).
    expect(counts(c.values(TOPIC)).get(0)).toBe(2);
    expect(c.rt.network.stats.retransmitted).toBe(1);
  });
});

describe("retries=0", () => {
  it("a retriable error on the only attempt fails the record for good (fail: it was not appended)", () => {
    const c = cluster({ id: "p1", topic: TOPIC, ratePerSec: 50, messages: 5, config: { ...fast, "enable.idempotence": false, retries: 0 } });
    failFirstAttempt(c);
    c.run(2000);
    const fails = c.ops("send").filter((o) => o.type === "fail");
    expect(fails.map((o) => (o.value as SendValue).value)).toEqual([0]);
    expect((fails[0]?.value as SendValue).error).toBe("NOT_ENOUGH_REPLICAS");
    expect(c.values(TOPIC)).toEqual([1, 2, 3, 4]);
  });
});

describe("metadata (KafkaProducer.waitOnMetadata, Sender.sendProducerData)", () => {
  it("a record whose topic has no metadata fails after max.block.ms with METADATA_TIMEOUT (not after delivery.timeout.ms)", () => {
    const c = cluster({ id: "p1", topic: "ghost", ratePerSec: 10, messages: 2, config: { "max.block.ms": 300 } });
    c.run(2000);
    const ends = c.ops("send").filter((o) => o.type !== "invoke");
    expect(ends.map((o) => [o.type, (o.value as SendValue).error, o.timeUs])).toEqual([
      ["fail", "METADATA_TIMEOUT", 300_000],
      ["fail", "METADATA_TIMEOUT", 400_000],
    ]);
  });

  it("a partition with no known leader asks for metadata at once and wakes itself: a lone record is acknowledged", () => {
    const c = cluster({ id: "p1", topic: TOPIC, ratePerSec: 10, messages: 1, startMs: 50, config: { ...fast } });
    const p = c.rt.actor(nodeId("p1")) as Producer;
    // At 40 ms the producer's view loses the partition's leader while no refresh is wanted (as when a topic's
    // metadata expires from the cache); the one record comes at 50 ms.
    c.rt.call(40_000, () => {
      p.metadata.topics.set(TOPIC, { partitions: 1, leaders: [null] });
      p.metadata.stale = false;
    });
    c.run(1000);
    const ok = c.ops("send").find((o) => o.type === "ok");
    expect(ok?.timeUs).toBeLessThan(60_000);
  });
});

describe("retry backoff (ProducerBatch.reenqueued)", () => {
  it("counts from the failure, not from the last send: a timed-out request is retried retry.backoff.ms after the timeout", () => {
    const c = cluster({ id: "p1", topic: TOPIC, ratePerSec: 10, messages: 1, config: { "enable.idempotence": false, "request.timeout.ms": 200, "retry.backoff.ms": 500 } });
    const seenUs: number[] = [];
    c.produceHook = (_b, _req, batch) => {
      if (!batch.values.includes(0)) return { kind: "normal" };
      seenUs.push(c.rt.nowUs);
      return seenUs.length === 1 ? { kind: "append-drop-response" } : { kind: "normal" };
    };
    c.run(3000);
    expect(seenUs.length).toBe(2);
    // Sent at t, timed out at t + 200 ms, retried 500 ms later (the broker sees both after the same 0.5 ms).
    expect((seenUs[1] as number) - (seenUs[0] as number)).toBe(700_000);
  });
});

describe("evidence in the trace: produce-retry and producer-disconnect", () => {
  it("an error answer re-enqueues the batch: produce-retry with the error, the attempt and the batch's values", () => {
    const c = cluster({ id: "p1", topic: TOPIC, ratePerSec: 50, messages: 3, config: { ...fast, "enable.idempotence": false } });
    failFirstAttempt(c);
    c.run(2000);
    expect(c.rt.trace.events.filter((e) => e.type === "produce-retry")).toEqual([{ type: "produce-retry", producer: "p1", tp: "orders-0", error: "NOT_ENOUGH_REPLICAS", attempt: 1, values: [0], timeUs: expect.any(Number) }]);
    expect(c.rt.trace.events.some((e) => e.type === "producer-disconnect")).toBe(false);
  });

  it("a request timeout closes the connection (producer-disconnect request-timeout) and retries what was in flight on it", () => {
    const c = cluster({ id: "p1", topic: TOPIC, ratePerSec: 10, messages: 1, config: { "enable.idempotence": false, "request.timeout.ms": 200, "retry.backoff.ms": 50 } });
    let n = 0;
    c.produceHook = () => (n++ < 2 ? { kind: "append-drop-response" } : { kind: "normal" });
    c.run(2000);
    const leader = c.log(TOPIC, 0).leader;
    const evs = c.rt.trace.events.filter((e) => e.type === "produce-retry" || e.type === "producer-disconnect").map(({ timeUs: _t, ...e }) => e);
    expect(evs).toEqual([
      { type: "producer-disconnect", producer: "p1", broker: leader, reason: "request-timeout" },
      { type: "produce-retry", producer: "p1", tp: "orders-0", error: "NETWORK_EXCEPTION", attempt: 1, values: [0] },
      { type: "producer-disconnect", producer: "p1", broker: leader, reason: "request-timeout" },
      { type: "produce-retry", producer: "p1", tp: "orders-0", error: "NETWORK_EXCEPTION", attempt: 2, values: [0] },
    ]);
  });

  it("a killed leader resets the connection (producer-disconnect disconnected); its batches in flight are retried", () => {
    const c = cluster({ id: "p1", topic: TOPIC, ratePerSec: 50, messages: 5, config: { "enable.idempotence": false, "request.timeout.ms": 30_000, "retry.backoff.ms": 50 } });
    const leader = c.log(TOPIC, 0).leader;
    c.produceHook = (_b, _req, batch) => (batch.values.includes(0) && c.rt.nowUs < 10_000 ? { kind: "append-drop-response" } : { kind: "normal" });
    c.rt.call(10_000, () => c.rt.kill(brokerNode(leader)));
    c.rt.call(300_000, () => c.rt.restart(brokerNode(leader)));
    c.run(2000);
    // The fake cluster keeps the dead broker as the leader: the retries that follow meet resets too. The kill's own:
    const evs = c.rt.trace.events.filter((e) => (e.type === "produce-retry" || e.type === "producer-disconnect") && e.timeUs < 50_000).map(({ timeUs: _t, ...e }) => e);
    expect(evs).toEqual([
      { type: "producer-disconnect", producer: "p1", broker: leader, reason: "disconnected" },
      { type: "produce-retry", producer: "p1", tp: "orders-0", error: "NETWORK_EXCEPTION", attempt: 1, values: [0] },
    ]);
    expect(c.ops("send").filter((o) => o.type === "ok").length).toBe(5);
  });
});
