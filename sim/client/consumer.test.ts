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

  it("auto-commit with synchronous processing commits what earlier polls handed out, all processed: a member killed mid-batch of a backlog loses nothing (fact 21)", () => {
    // A backlog (60 records at once), 3 records per poll, 40 ms each: a batch takes 120 ms, and every poll is due
    // to auto-commit (interval 50 ms). ConsumerCoordinator.maybeAutoCommitOffsetsAsync commits
    // subscriptions.allConsumed() at the start of poll(): the end of the previous batch, which sync processing
    // has finished. Committing the positions of the records this poll hands out would commit 3 unprocessed ones.
    const c = world({ group: "g1", topics: [TOPIC], config: { ...fastGroup, "enable.auto.commit": true, "auto.commit.interval.ms": 50, "max.poll.records": 3 }, processing: { commit: "auto", timeMs: 40 } }, { messages: 60, rate: 10_000 });
    crash(c, "g1/0", 1010, 1100);
    c.run(8000);
    const ops = c.ops(undefined, "g1/0");
    let processedUpTo = 0; // next offset after the records processed so far, since the last (re)start
    const autoCommits: { offset: number; processedUpTo: number; timeUs: number }[] = [];
    for (const o of ops) {
      if (o.f === "restart") processedUpTo = 0;
      if (o.f === "process" && o.type === "ok") processedUpTo = Math.max(processedUpTo, (o.value as ProcessValue).offset + 1);
      if (o.f === "commit" && o.type === "invoke" && (o.value as CommitValue).mode === "auto") autoCommits.push({ offset: (o.value as CommitValue).offsets[0]?.offset ?? -1, processedUpTo, timeUs: o.timeUs });
    }
    // Every auto-commit is exactly the end of the batch processed before it: never ahead of processing.
    expect(autoCommits.length).toBeGreaterThan(10);
    for (const a of autoCommits) expect(a.offset).toBe(a.processedUpTo);
    // The crash came in the middle of a batch (a commit had gone out, its batch was being processed)...
    const beforeCrash = autoCommits.filter((a) => a.timeUs < msToUs(1010));
    const lastCommitted = beforeCrash[beforeCrash.length - 1]?.offset ?? -1;
    expect(lastCommitted % 3).toBe(0);
    const processedBeforeCrash = processedOk(ops.filter((o) => o.timeUs < msToUs(1010)));
    expect(Math.max(...processedBeforeCrash) + 1).toBeGreaterThan(lastCommitted);
    // ...so the restarted member resumes at the last commit: the records of the interrupted batch are processed
    // again (at least once), none is skipped.
    const firstPollAfter = ops.find((o) => o.f === "poll" && o.type === "ok" && o.timeUs > msToUs(1100));
    expect((firstPollAfter?.value as { records: { offset: number }[] } | undefined)?.records[0]?.offset).toBe(lastCommitted);
    expect(new Set(processedOk(ops))).toEqual(new Set(Array.from({ length: 60 }, (_, i) => i)));
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

describe("finding the coordinator (FindCoordinator)", () => {
  const asked = (c: FakeCluster, type: string) => c.received.filter((r) => r.from === nodeId("g1/0") && r.type === type);

  it("the member asks FindCoordinator and joins the broker named; while no broker knows a leader of the group's offsets partition it asks again every retry.backoff.ms", () => {
    const c = world({ group: "g1", topics: [TOPIC], config: { ...fastGroup, "retry.backoff.ms": 100 } }, { messages: 20, rate: 50 });
    c.offsetsLeaderUnknown = true;
    c.rt.call(msToUs(1000), () => (c.offsetsLeaderUnknown = false));
    c.run(3000);
    const finds = asked(c, "group.find-coordinator");
    const early = finds.filter((r) => r.timeUs < msToUs(1000));
    // COORDINATOR_NOT_AVAILABLE each time: the next lookup waits retry.backoff.ms (and goes to the next broker).
    expect(early.length).toBeGreaterThanOrEqual(9);
    expect(early.length).toBeLessThanOrEqual(11);
    expect(new Set(early.slice(0, 3).map((r) => r.broker)).size).toBe(3);
    expect(asked(c, "group.join").filter((r) => r.timeUs < msToUs(1000))).toEqual([]);
    const coordinator = c.log("__consumer_offsets", c.groupPartition("g1")).leader;
    const joins = asked(c, "group.join");
    expect(joins.length).toBe(1);
    expect(joins[0]?.broker).toBe(coordinator);
    expect(new Set(processedOk(c.ops(undefined, "g1/0"))).size).toBe(20);
  });

  it("NOT_COORDINATOR: the member forgets the coordinator (markCoordinatorUnknown), asks FindCoordinator again and goes to the new one", () => {
    const c = world({ group: "g1", topics: [TOPIC], config: { ...fastGroup, "enable.auto.commit": false }, processing: { commit: "after-processing", commitEvery: "batch", timeMs: 5 } }, { messages: 60, rate: 20 });
    const p = c.groupPartition("g1");
    const from = c.log("__consumer_offsets", p).leader;
    const to = (from % 3) + 1;
    c.rt.call(msToUs(1500), () => c.moveLeader("__consumer_offsets", p, to));
    c.run(4000);
    const before = asked(c, "group.find-coordinator").filter((r) => r.timeUs < msToUs(1500));
    const after = asked(c, "group.find-coordinator").filter((r) => r.timeUs >= msToUs(1500));
    expect(before.length).toBe(1);
    expect(after.length).toBe(1);
    const groupRequests = c.received.filter((r) => r.from === nodeId("g1/0") && r.type.startsWith("group.") && r.type !== "group.find-coordinator");
    // Every group request after the new lookup goes to the new coordinator; none before the move went there.
    expect(groupRequests.filter((r) => r.timeUs > (after[0]?.timeUs ?? 0)).every((r) => r.broker === to)).toBe(true);
    expect(groupRequests.filter((r) => r.timeUs < msToUs(1500)).every((r) => r.broker === from)).toBe(true);
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

describe("a group whose metadata cannot be stored (issue #18 §1g)", () => {
  it("while __consumer_offsets takes no writes the member rejoins every retry.backoff.ms, each SyncGroup failing with COORDINATOR_NOT_AVAILABLE; the group forms once it does", () => {
    // GroupCoordinator.doSyncGroup stores the assignment first; a failed store answers COORDINATOR_NOT_AVAILABLE
    // (GroupMetadataManager.storeGroup maps NOT_ENOUGH_REPLICAS) and prepares a rebalance; the member forgets the
    // coordinator, finds it again and rejoins after retry.backoff.ms (AbstractCoordinator.joinGroupIfNeeded).
    // A lone member therefore "rebalances every retry.backoff.ms" for as long as the offsets topic is under
    // min.insync.replicas: Kafka's behaviour, not a stall of the consumer.
    const c = world({ group: "g1", topics: [TOPIC], config: { ...fastGroup, "retry.backoff.ms": 20 } }, { messages: 20, rate: 50 });
    c.offsetsAppendError = "NOT_ENOUGH_REPLICAS";
    c.rt.call(msToUs(1000), () => (c.offsetsAppendError = null));
    c.run(3000);
    const generations = c.rt.trace.events.flatMap((e) => (e.type === "rebalance" ? [{ generation: e.generation, timeUs: e.timeUs }] : []));
    const failing = generations.filter((g) => g.timeUs < msToUs(1000));
    expect(failing.length).toBeGreaterThanOrEqual(35);
    // Each attempt waits retry.backoff.ms after the previous one failed, however often the application polls.
    const gapsMs = failing.slice(1).map((g, i) => (g.timeUs - (failing[i]?.timeUs ?? 0)) / 1000);
    expect(Math.min(...gapsMs)).toBeGreaterThanOrEqual(20);
    // One member throughout, always the same id: no one left.
    expect(c.rt.trace.events.filter((e) => e.type === "member-left")).toEqual([]);
    const assigns = c.ops("assign", "g1/0");
    expect(assigns.length).toBe(1);
    expect(assigns[0]?.timeUs).toBeGreaterThan(msToUs(1000));
    expect(generations.filter((g) => g.timeUs > msToUs(1000)).length).toBe(1);
    expect(new Set(processedOk(c.ops(undefined, "g1/0"))).size).toBe(20);
  });
});

describe("retrying a failed JoinGroup / SyncGroup (AbstractCoordinator.joinGroupIfNeeded)", () => {
  // The first SyncGroup of g1/0 is answered `error`; when is the next JoinGroup sent?
  const rejoinDelayMs = (error: "REBALANCE_IN_PROGRESS" | "UNKNOWN_MEMBER_ID" | "ILLEGAL_GENERATION" | "COORDINATOR_NOT_AVAILABLE" | "NOT_COORDINATOR"): number => {
    const c = world({ group: "g1", topics: [TOPIC], config: { ...fastGroup, "retry.backoff.ms": 100 } }, { messages: 5, rate: 50 });
    let failedAtUs = -1;
    c.groupHook = (_b, _from, msg) => {
      if (msg.type !== "group.sync" || failedAtUs >= 0) return null;
      failedAtUs = c.rt.nowUs;
      return error;
    };
    c.run(1000);
    const joins = c.received.filter((r) => r.from === nodeId("g1/0") && r.type === "group.join");
    expect(joins.length).toBe(2);
    return ((joins[1]?.timeUs ?? 0) - failedAtUs) / 1000;
  };

  it("UNKNOWN_MEMBER_ID, ILLEGAL_GENERATION, REBALANCE_IN_PROGRESS: the member rejoins at once", () => {
    for (const e of ["REBALANCE_IN_PROGRESS", "UNKNOWN_MEMBER_ID", "ILLEGAL_GENERATION"] as const) expect(rejoinDelayMs(e), e).toBeLessThan(5);
  });

  it("any other retriable error: after retry.backoff.ms (and a new FindCoordinator)", () => {
    for (const e of ["COORDINATOR_NOT_AVAILABLE", "NOT_COORDINATOR"] as const) {
      const d = rejoinDelayMs(e);
      expect(d, e).toBeGreaterThanOrEqual(100);
      expect(d, e).toBeLessThan(105);
    }
  });
});

describe("membership evidence in the trace (member-joined / member-left)", () => {
  type MemberEvent = { type: string; member: string; memberId: string; generation: number; reason: string };
  const members = (c: FakeCluster) => c.rt.trace.events.filter((e) => e.type === "member-joined" || e.type === "member-left") as unknown as MemberEvent[];
  const brief = (c: FakeCluster, client: string) => members(c).filter((e) => e.member === client).map((e) => `${e.type} ${e.reason}`);

  it("a member that missed max.poll.interval.ms leaves (poll-timeout) and rejoins with a new member id in a later generation", () => {
    const c = world({ group: "g1", topics: [TOPIC], config: { ...fastGroup, "enable.auto.commit": false, "max.poll.interval.ms": 500, "max.poll.records": 5 }, processing: { commit: "after-processing", commitEvery: "batch", timeMs: 150 } }, { messages: 20, rate: 1000 });
    c.run(3000);
    const ev = members(c);
    expect(brief(c, "g1/0").slice(0, 3)).toEqual(["member-joined join", "member-left poll-timeout", "member-joined rejoin"]);
    const [first, left, again] = ev;
    expect(left?.memberId).toBe(first?.memberId);
    expect(left?.generation).toBe(first?.generation);
    expect(again?.memberId).not.toBe(first?.memberId);
    expect(again?.generation).toBeGreaterThan(first?.generation ?? Infinity);
  });

  it("why a member left: crash (its process is down), session-timeout (paused), leave-group (closed)", () => {
    const cases = [
      { fault: (c: FakeCluster) => c.rt.kill(nodeId("g1/1")), reason: "crash" },
      { fault: (c: FakeCluster) => c.rt.pause(nodeId("g1/1")), reason: "session-timeout" },
      { fault: (c: FakeCluster) => c.rt.stop(nodeId("g1/1")), reason: "leave-group" },
    ];
    for (const { fault, reason } of cases) {
      const c = world({ group: "g1", members: 2, topics: [TOPIC], config: { ...fastGroup, "enable.auto.commit": false } }, { messages: 20, rate: 20, partitions: 2 });
      c.rt.call(msToUs(800), () => fault(c));
      c.run(3000);
      expect(brief(c, "g1/1"), reason).toEqual(["member-joined join", `member-left ${reason}`]);
      expect(brief(c, "g1/0"), reason).toEqual(["member-joined join"]);
    }
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
