import { describe, it, expect } from "vitest";
import { consumerSpec, producerSpec } from "../scenario/defaults.ts";
import type { ConsumerInput } from "../scenario/defaults.ts";
import { nodeId } from "../core/ids.ts";
import { msToUs } from "../core/time.ts";
import { FakeCluster } from "./testkit.ts";
import type { CommitValue, HistoryOp, ProcessValue } from "../history.ts";

const TOPIC = "orders";

function world(c: ConsumerInput, opts: { messages?: number; rate?: number; partitions?: number; producerStartMs?: number; keys?: number } = {}): FakeCluster {
  return new FakeCluster({
    topics: [{ name: TOPIC, partitions: opts.partitions ?? 1 }],
    producers: [producerSpec({ id: "p1", topic: TOPIC, ratePerSec: opts.rate ?? 100, messages: opts.messages ?? 50, keys: opts.keys ?? 0, ...(opts.producerStartMs !== undefined ? { startMs: opts.producerStartMs } : {}) })],
    consumers: [consumerSpec(c)],
  });
}

const processedOk = (ops: readonly HistoryOp[]): number[] => ops.filter((o) => o.f === "process" && o.type === "ok").map((o) => (o.value as ProcessValue).value);
const polled = (ops: readonly HistoryOp[]): number[] => ops.filter((o) => o.f === "poll" && o.type === "ok").flatMap((o) => (o.value as unknown as { records: { value: number }[] }).records.map((r) => r.value));

describe("consumer group basics", () => {
  it("joins, gets assigned, consumes everything once and commits after processing", () => {
    const c = world({ group: "g1", topics: [TOPIC], config: { "auto.offset.reset": "earliest", "enable.auto.commit": false } }, { partitions: 2 });
    c.run(5000);
    const ops = c.ops(undefined, "g1/0");
    expect(ops.some((o) => o.f === "assign")).toBe(true);
    expect(processedOk(ops).sort((a, b) => a - b)).toEqual(Array.from({ length: 50 }, (_, i) => i));
    const commits = ops.filter((o) => o.f === "commit" && o.type === "ok");
    expect(commits.length).toBeGreaterThan(0);
  });
});

const fastGroup = { "session.timeout.ms": 1000, "heartbeat.interval.ms": 200, "auto.offset.reset": "earliest" } as const;

/** Kill the member at `killMs` and restart it at `restartMs`. */
function crash(c: FakeCluster, member: string, killMs: number, restartMs: number): void {
  c.rt.call(msToUs(killMs), () => c.rt.kill(nodeId(member)));
  c.rt.call(msToUs(restartMs), () => c.rt.restart(nodeId(member)));
}

describe("commit strategies and crashes", () => {
  it("commit before processing + a crash mid-batch skips records (at most once)", () => {
    const c = world({ group: "g1", topics: [TOPIC], config: { ...fastGroup, "enable.auto.commit": false }, processing: { commit: "before-processing", commitEvery: "batch", timeMs: 20 } }, { messages: 50, rate: 1000 });
    crash(c, "g1/0", 400, 500);
    c.run(6000);
    const ops = c.ops(undefined, "g1/0");
    expect(ops.some((o) => o.f === "crash")).toBe(true);
    const done = new Set(processedOk(ops));
    const skipped = Array.from({ length: 50 }, (_, i) => i).filter((v) => !done.has(v));
    expect(skipped.length).toBeGreaterThan(0);
    // Every skipped record had been polled and covered by a successful commit.
    const polledSet = new Set(polled(ops));
    for (const v of skipped) expect(polledSet.has(v)).toBe(true);
  });

  it("commit after processing + a crash mid-batch processes records twice (at least once), loses none", () => {
    const c = world({ group: "g1", topics: [TOPIC], config: { ...fastGroup, "enable.auto.commit": false }, processing: { commit: "after-processing", commitEvery: "batch", timeMs: 20 } }, { messages: 50, rate: 1000 });
    crash(c, "g1/0", 400, 500);
    c.run(6000);
    const ok = processedOk(c.ops(undefined, "g1/0"));
    expect(new Set(ok).size).toBe(50);
    expect(ok.length).toBeGreaterThan(50);
  });

  it("auto-commit commits records handed out but not yet processed (async processing)", () => {
    const c = world({ group: "g1", topics: [TOPIC], config: { ...fastGroup, "enable.auto.commit": true, "auto.commit.interval.ms": 100 }, processing: { commit: "auto", async: true, timeMs: 20 } }, { messages: 50, rate: 1000 });
    c.run(4000);
    const ops = c.ops(undefined, "g1/0");
    let maxProcessed = -1;
    let ahead = false;
    for (const o of ops) {
      if (o.f === "process" && o.type === "ok") maxProcessed = Math.max(maxProcessed, (o.value as ProcessValue).offset);
      if (o.f === "commit" && o.type === "ok" && (o.value as CommitValue).mode === "auto") {
        const off = (o.value as CommitValue).offsets[0]?.offset ?? -1;
        if (off > maxProcessed + 1) ahead = true;
      }
    }
    expect(ahead).toBe(true);
  });

  it("auto-commit with async processing + a crash loses records for good", () => {
    const c = world({ group: "g1", topics: [TOPIC], config: { ...fastGroup, "enable.auto.commit": true, "auto.commit.interval.ms": 100 }, processing: { commit: "auto", async: true, timeMs: 20 } }, { messages: 50, rate: 1000 });
    crash(c, "g1/0", 500, 600);
    c.run(6000);
    expect(new Set(processedOk(c.ops(undefined, "g1/0"))).size).toBeLessThan(50);
  });

  it("state kept in memory is lost on a crash; stored state survives with the commit", () => {
    const sums: number[] = [];
    for (const state of ["memory", "stored"] as const) {
      const c = world({ group: "g1", topics: [TOPIC], config: { ...fastGroup, "enable.auto.commit": false }, processing: { commit: "after-processing", commitEvery: "record", timeMs: 5, state } }, { messages: 50, rate: 1000 });
      crash(c, "g1/0", 150, 200);
      c.run(5000);
      const actor = c.rt.actor(nodeId("g1/0")) as unknown as { state: { sum: number } };
      sums.push(actor.state.sum);
    }
    const total = (49 * 50) / 2;
    expect(sums[0]).toBeLessThan(total);
    expect(sums[1]).toBe(total);
  });
});

describe("rebalances", () => {
  it("a rebalance in the middle of processing: the member finishes, commits, then rejoins and takes over", () => {
    const c = world({ group: "g1", members: 2, topics: [TOPIC], config: { ...fastGroup, "enable.auto.commit": false, "max.poll.records": 50 }, processing: { commit: "after-processing", commitEvery: "batch", timeMs: 40 } }, { messages: 80, rate: 1000, partitions: 2, keys: 8 });
    c.rt.call(msToUs(600), () => c.rt.kill(nodeId("g1/1")));
    c.run(10_000);
    const m0 = c.ops(undefined, "g1/0");
    const assigns = m0.filter((o) => o.f === "assign");
    expect(assigns.length).toBeGreaterThanOrEqual(2);
    const last = assigns[assigns.length - 1] as HistoryOp;
    expect((last.value as unknown as { partitions: unknown[] }).partitions.length).toBe(2);
    const rebalance = c.rt.trace.events.filter((e) => e.type === "rebalance");
    const secondStartUs = (rebalance[rebalance.length - 1] as { timeUs: number }).timeUs;
    // Member 0 was still processing after member 1 died and before it rejoined (the rebalance waited for it).
    expect(m0.some((o) => o.f === "process" && o.timeUs > msToUs(600) + 1000 && o.timeUs < secondStartUs)).toBe(true);
    // Every record was processed by someone.
    const all = new Set([...processedOk(m0), ...processedOk(c.ops(undefined, "g1/1"))]);
    expect(all.size).toBe(80);
  });

  it("a member that does not poll within max.poll.interval.ms leaves; its later commit fails (CommitFailed)", () => {
    const c = world({ group: "g1", topics: [TOPIC], config: { ...fastGroup, "enable.auto.commit": false, "max.poll.interval.ms": 500, "max.poll.records": 5 }, processing: { commit: "after-processing", commitEvery: "batch", timeMs: 150 } }, { messages: 20, rate: 1000 });
    c.run(8000);
    const ops = c.ops(undefined, "g1/0");
    expect(c.rt.trace.events.some((e) => e.type === "poll-timeout")).toBe(true);
    const failed = ops.filter((o) => o.f === "commit" && o.type === "fail");
    expect(failed.some((o) => (o.value as CommitValue).error === "COMMIT_FAILED")).toBe(true);
  });

  it("the coordinator moves: the member finds the new one, which loaded the group and its offsets", () => {
    const c = world({ group: "g1", topics: [TOPIC], config: { ...fastGroup, "enable.auto.commit": false }, processing: { commit: "after-processing", commitEvery: "batch", timeMs: 5 } }, { messages: 60, rate: 20 });
    const p = c.groupPartition("g1");
    const from = c.log("__consumer_offsets", p).leader;
    c.rt.call(msToUs(1500), () => c.moveLeader("__consumer_offsets", p, (from % 3) + 1));
    c.run(6000);
    const ops = c.ops(undefined, "g1/0");
    const ok = processedOk(ops);
    expect(new Set(ok).size).toBe(60);
    // Group metadata was loaded with the offsets: same generation, commits keep succeeding, nothing redelivered.
    expect(ok.length).toBe(60);
    expect(c.ops("assign", "g1/0").length).toBe(1);
    expect(ops.some((o) => o.f === "commit" && o.type === "ok" && o.timeUs > msToUs(1600))).toBe(true);
  });
});

describe("auto.offset.reset (fact 24)", () => {
  const resets = (c: FakeCluster) => c.ops("reset", "g1/0").map((o) => o.value as { offset: number; reason: string; strategy: string });

  it("a new group starts at the earliest or the latest offset", () => {
    for (const strategy of ["earliest", "latest"] as const) {
      const c = world({ group: "g1", topics: [TOPIC], startMs: 600, config: { ...fastGroup, "auto.offset.reset": strategy } }, { messages: 60, rate: 50 });
      c.run(4000);
      const r = resets(c)[0];
      expect(r?.reason).toBe("no-committed-offset");
      const got = polled(c.ops(undefined, "g1/0"));
      if (strategy === "earliest") {
        expect(r?.offset).toBe(0);
        expect(got.length).toBe(60);
      } else {
        expect(r?.offset).toBeGreaterThan(20);
        expect(got.length).toBe(60 - (r?.offset ?? 0));
      }
    }
  });

  it("after truncation the committed position is out of range and is reset", () => {
    for (const strategy of ["earliest", "latest"] as const) {
      const c = world({ group: "g1", topics: [TOPIC], config: { ...fastGroup, "auto.offset.reset": strategy, "enable.auto.commit": false }, processing: { commit: "after-processing" } }, { messages: 30, rate: 1000 });
      c.run(1000);
      c.truncate(TOPIC, 0, 10);
      c.run(4000);
      const r = resets(c).find((x) => x.reason === "out-of-range");
      expect(r).toBeDefined();
      expect(r?.offset).toBe(strategy === "earliest" ? 0 : 10);
    }
  });
});

describe("more commit paths", () => {
  it("auto-commit also commits right before rejoining a rebalance (onJoinPrepare)", () => {
    const c = world({ group: "g1", members: 2, topics: [TOPIC], config: { ...fastGroup, "enable.auto.commit": true, "auto.commit.interval.ms": 60_000 }, processing: { commit: "auto" } }, { messages: 60, rate: 50, partitions: 2 });
    c.rt.call(msToUs(600), () => c.rt.kill(nodeId("g1/1")));
    c.run(5000);
    const ops = c.ops(undefined, "g1/0");
    const assigns = ops.filter((o) => o.f === "assign");
    expect(assigns.length).toBe(2);
    const secondUs = (assigns[1] as HistoryOp).timeUs;
    const autoCommits = ops.filter((o) => o.f === "commit" && o.type === "ok" && (o.value as CommitValue).mode === "auto");
    // The interval (60 s) never elapsed: the only auto-commit is the one before the rejoin.
    expect(autoCommits.length).toBe(1);
    expect((autoCommits[0] as HistoryOp).timeUs).toBeLessThan(secondUs);
    expect((autoCommits[0] as HistoryOp).timeUs).toBeGreaterThan(msToUs(600));
  });

  it("asynchronous manual commits do not block processing and are recorded with mode async", () => {
    const c = world({ group: "g1", topics: [TOPIC], config: { ...fastGroup, "enable.auto.commit": false }, processing: { commit: "after-processing", commitEvery: "record", commitMode: "async" } }, { messages: 20, rate: 100 });
    c.run(3000);
    const commits = c.ops("commit", "g1/0").filter((o) => o.type === "ok");
    expect(commits.length).toBe(20);
    for (const o of commits) expect((o.value as CommitValue).mode).toBe("async");
  });

  it("auto.offset.reset=none: a new group's partition is not consumed and the reset is recorded as failed", () => {
    const c = world({ group: "g1", topics: [TOPIC], config: { ...fastGroup, "auto.offset.reset": "none" } }, { messages: 20, rate: 100 });
    c.run(3000);
    const resets = c.ops("reset", "g1/0");
    expect(resets.length).toBe(1);
    expect(resets[0]?.type).toBe("fail");
    expect(polled(c.ops(undefined, "g1/0")).length).toBe(0);
  });
});

describe("clean stop", () => {
  it("a stopped member leaves the group (KafkaConsumer.close): the other takes its partitions before the session timeout", () => {
    const c = world({ group: "g1", members: 2, topics: [TOPIC], config: { ...fastGroup, "session.timeout.ms": 30_000, "enable.auto.commit": false } }, { messages: 40, rate: 20, partitions: 2 });
    c.rt.call(msToUs(800), () => c.rt.stop(nodeId("g1/1")));
    c.run(4000);
    const assigns = c.ops("assign", "g1/0");
    const last = assigns[assigns.length - 1] as HistoryOp;
    expect((last.value as unknown as { partitions: unknown[] }).partitions.length).toBe(2);
    expect(last.timeUs).toBeLessThan(msToUs(4000));
  });
});

describe("request timeouts close the connection (NetworkClient.handleTimedOutRequests)", () => {
  it("a fetch whose response is stuck in retransmission times out; the next fetch goes on a new connection", () => {
    const c = world({ group: "g1", topics: [TOPIC], config: { ...fastGroup, "enable.auto.commit": false, "request.timeout.ms": 100, "fetch.max.wait.ms": 20, "retry.backoff.ms": 10 } }, { messages: 1, producerStartMs: 500 });
    const member = c.rt.index(nodeId("g1/0"));
    const leader = c.rt.index(nodeId(`broker-${c.log(TOPIC, 0).leader}`));
    // Every transmission from the leader to the member is lost between 480 and 530 ms: the first one lost is
    // retransmitted 200 ms later and everything after it on that connection waits behind it.
    c.rt.call(msToUs(480), () => c.rt.network.flaky(leader, member, 1));
    c.rt.call(msToUs(530), () => c.rt.network.flaky(leader, member, 0));
    c.run(2000);
    // The stuck response was abandoned with the connection the member closed.
    expect(c.rt.network.stats.droppedBroken).toBeGreaterThan(0);
    const poll0 = c.ops("poll", "g1/0").find((o) => o.type === "ok" && (o.value as unknown as { records: { value: number }[] }).records.some((r) => r.value === 0));
    expect(poll0).toBeDefined();
    // Produced at 500 ms; the stuck connection would have delivered it only after the retransmission (≥ 680 ms).
    expect(poll0?.timeUs).toBeLessThan(msToUs(640));
    expect(processedOk(c.ops(undefined, "g1/0"))).toEqual([0]);
  });
});
