// Recovery and fencing: kill vs power loss (fact 27; LogManager recovery, LeaderEpochFileCache.truncateFromEnd,
// the replication-offset-checkpoint), a restarted broker comes back outside the ISR and rejoins (fact 8),
// stale controller / leader epochs rejected (fact 26, ReplicaManager.becomeLeaderOrFollower), a zombie leader
// fenced by the controller's compare-and-set on the ISR (fact 9, KIP-497 AlterPartition).
import { describe, it, expect } from "vitest";
import { Kit, CTL, CLIENT } from "../testkit.ts";
import { brokerNode } from "../../core/ids.ts";
import { HW_CHECKPOINT_BLOB } from "./manager.ts";
import { BROKER_DEFAULTS } from "../../kafka/config.ts";
import type { BrokerConfig } from "../../kafka/config.ts";

function allBrokersDown(how: "kill" | "power", flushEvery?: number): { acked: number[]; survivors: number[][] } {
  const k = new Kit(flushEvery === undefined ? {} : { broker: { "log.flush.interval.messages": flushEvery } }).start();
  const corrs = [k.produce(1, [1, 2, 3]), k.produce(1, [4, 5])];
  k.run(50);
  const acked = corrs.flatMap((c, i) => (k.produceResult(c)?.error === "NONE" ? (i === 0 ? [1, 2, 3] : [4, 5]) : []));
  for (const b of [1, 2, 3]) {
    if (how === "kill") k.kill(b);
    else k.power(b);
    k.ctl.failBroker(b);
  }
  for (const b of [1, 2, 3]) k.restart(b);
  for (const b of [1, 2, 3]) k.ctl.restartBroker(b);
  k.run(2000);
  return { acked, survivors: [1, 2, 3].map((b) => k.values(b)) };
}

describe("recovery after kill vs power loss", () => {
  it("a kill of every broker loses nothing acknowledged (the page cache survives)", () => {
    const r = allBrokersDown("kill");
    expect(r.acked).toEqual([1, 2, 3, 4, 5]);
    for (const s of r.survivors) expect(s).toEqual([1, 2, 3, 4, 5]);
  });

  it("a power loss of every broker loses acknowledged writes without fsync (Kafka's default)", () => {
    const r = allBrokersDown("power");
    expect(r.acked).toEqual([1, 2, 3, 4, 5]);
    for (const s of r.survivors) expect(s).toEqual([]);
  });

  it("log.flush.interval.messages=1 makes acknowledged writes survive a power loss", () => {
    const r = allBrokersDown("power", 1);
    for (const s of r.survivors) expect(s).toEqual([1, 2, 3, 4, 5]);
  });

  it("log.flush.interval.messages=3: no fsync after 2 messages, one after the 3rd", () => {
    const k = new Kit({ brokers: 1, broker: { "log.flush.interval.messages": 3 } }).start();
    const log = k.rt.disk(brokerNode(1)).log("t-0");
    k.produce(1, [1]);
    k.produce(1, [2]);
    k.run(10);
    expect(log.length).toBe(2);
    expect(log.flushedLength).toBe(0);
    k.produce(1, [3]);
    k.run(10);
    expect(log.flushedLength).toBe(3);
    k.produce(1, [4, 5]);
    k.run(10);
    expect(log.flushedLength).toBe(3);
    k.power(1);
    k.restart(1);
    expect(k.values(1)).toEqual([1, 2, 3]);
  });
  it("the HW checkpoint is written every replica.high.watermark.checkpoint.interval.ms and reloaded on restart", () => {
    const k = new Kit({ broker: { "replica.high.watermark.checkpoint.interval.ms": 1000 } }).start();
    k.produce(1, [1, 2]);
    k.run(50);
    expect(k.rt.disk(brokerNode(1)).readBlob<Record<string, number>>(HW_CHECKPOINT_BLOB)?.["t-0"]).toBeUndefined();
    k.run(1000);
    expect(k.rt.disk(brokerNode(1)).readBlob<Record<string, number>>(HW_CHECKPOINT_BLOB)?.["t-0"]).toBe(2);
    k.kill(1);
    k.restart(1);
    expect(k.part(1).hw).toBe(2);
    expect(k.part(1).role).toBe("none");
    expect(k.events("broker-recovered").at(-1)?.logEndOffsets).toEqual({ "t-0": 2 });
  });

  it("after a power loss the checkpointed HW is clamped to the recovered log's end and the epoch cache is cut back to it", () => {
    const k = new Kit({ brokers: 1, broker: { "log.flush.interval.messages": 2, "replica.high.watermark.checkpoint.interval.ms": 1000 } }).start();
    k.produce(1, [1, 2]); // the second message triggers a flush: offsets 0-1 on disk
    k.run(5);
    k.ctl.elect("t-0", 1); // epoch 1 starts at 2 (the epoch cache is flushed on every change)
    k.run(5);
    k.produce(1, [3]); // offset 2, epoch 1: not flushed
    k.run(5);
    k.ctl.elect("t-0", 1); // epoch 2 starts at 3
    k.run(1000); // the HW checkpoint (3) is written and flushed
    const disk = k.rt.disk(brokerNode(1));
    expect(disk.readBlob<Record<string, number>>(HW_CHECKPOINT_BLOB)?.["t-0"]).toBe(3);
    expect(k.part(1).cache.entries()).toEqual([
      { epoch: 0, startOffset: 0 },
      { epoch: 1, startOffset: 2 },
      { epoch: 2, startOffset: 3 },
    ]);
    k.power(1);
    k.restart(1);
    const p = k.part(1);
    expect(p.leo).toBe(2);
    expect(p.hw).toBe(2); // min(checkpoint 3, LEO 2)
    expect(p.cache.entries()).toEqual([{ epoch: 0, startOffset: 0 }]); // LeaderEpochFileCache.truncateFromEnd(LEO)
    expect(k.events("broker-recovered").at(-1)?.logEndOffsets).toEqual({ "t-0": 2 });
  });

  it("a clean shutdown writes the HW checkpoint (before the periodic one is due)", () => {
    const k = new Kit({ brokers: 1, broker: { "replica.high.watermark.checkpoint.interval.ms": 60_000 } }).start();
    k.produce(1, [1, 2]);
    k.run(50);
    expect(k.part(1).hw).toBe(2);
    const disk = k.rt.disk(brokerNode(1));
    expect(disk.readBlob<Record<string, number>>(HW_CHECKPOINT_BLOB)?.["t-0"]).toBeUndefined();
    k.rt.stop(brokerNode(1));
    expect(disk.readBlob<Record<string, number>>(HW_CHECKPOINT_BLOB)?.["t-0"]).toBe(2);
    k.power(1); // what a clean shutdown wrote is durable
    k.restart(1);
    expect(k.part(1).leo).toBe(2);
    expect(k.part(1).hw).toBe(2);
  });

  it("a restarted follower comes back outside the ISR, catches up and rejoins", () => {
    const k = new Kit().start();
    k.produce(1, [1]);
    k.run(20);
    k.kill(3);
    k.ctl.failBroker(3);
    k.produce(1, [2, 3]);
    k.run(20);
    expect(k.ctl.parts.get("t-0")?.isr).toEqual([1, 2]);
    k.restart(3);
    k.ctl.restartBroker(3);
    k.run(1000);
    expect(k.values(3)).toEqual([1, 2, 3]);
    expect(k.ctl.parts.get("t-0")?.isr).toEqual([1, 2, 3]);
    expect(k.events("isr-expand").at(-1)?.added).toEqual([3]);
  });
});

/** One broker, writes [1, 2] now, [3] after `gapMs`, then a power loss 10 ms later: what survives. */
function timedFlush(broker: Partial<BrokerConfig>, gapMs: number): number[] {
  const k = new Kit({ brokers: 1, broker }).start();
  k.produce(1, [1, 2]);
  k.run(gapMs);
  k.produce(1, [3]);
  k.run(10);
  k.power(1);
  k.restart(1);
  return k.values(1);
}

describe("time-based flush (LogManager kafka-log-flusher, fact 27)", () => {
  it("log.flush.interval.ms alone never flushes: the flusher runs every log.flush.scheduler.interval.ms, by default never (Long.MAX_VALUE)", () => {
    expect(BROKER_DEFAULTS["log.flush.scheduler.interval.ms"]).toBeNull();
    expect(timedFlush({ "log.flush.interval.ms": 1000 }, 5000)).toEqual([]);
    expect(timedFlush({ "log.flush.interval.ms": 0 }, 5000)).toEqual([]);
  });

  it("with the scheduler set, a log is flushed at the first run at least log.flush.interval.ms after its last flush", () => {
    // The log is loaded at ~0.5 ms (the kit's first leader-and-isr), the writes come at 100 ms; the flusher runs
    // at 1000 (999.5 ms since the load: not yet), 2000 (flush), ...
    expect(timedFlush({ "log.flush.interval.ms": 1000, "log.flush.scheduler.interval.ms": 1000 }, 1000)).toEqual([]);
    expect(timedFlush({ "log.flush.interval.ms": 1000, "log.flush.scheduler.interval.ms": 1000 }, 1950)).toEqual([1, 2]);
    // a fast scheduler with a slow interval: flushed at the first run at least 1000 ms after the load (1100)
    expect(timedFlush({ "log.flush.interval.ms": 1000, "log.flush.scheduler.interval.ms": 100 }, 950)).toEqual([]);
    expect(timedFlush({ "log.flush.interval.ms": 1000, "log.flush.scheduler.interval.ms": 100 }, 1050)).toEqual([1, 2]);
    expect(timedFlush({ "log.flush.interval.ms": 3000, "log.flush.scheduler.interval.ms": 100 }, 2500)).toEqual([]);
  });

  it("log.flush.interval.ms unset falls back to log.flush.scheduler.interval.ms (KafkaConfig.logFlushIntervalMs); a topic override wins", () => {
    expect(timedFlush({ "log.flush.scheduler.interval.ms": 500 }, 1000)).toEqual([1, 2]);
    const k = new Kit({ brokers: 1, broker: { "log.flush.scheduler.interval.ms": 500 }, topics: [{ name: "t", config: { "log.flush.interval.ms": 60_000 } }] }).start();
    k.produce(1, [1, 2]);
    k.run(5000);
    k.power(1);
    k.restart(1);
    expect(k.values(1)).toEqual([]);
  });
});

describe("fencing stale requests", () => {
  it("rejects a leader-and-isr with an older controller epoch or a lower leader epoch", () => {
    const k = new Kit().start();
    k.ctl.elect("t-0", 1); // epoch 1
    k.run(5);
    k.ctl.controllerEpoch = 0;
    k.ctl.elect("t-0", 2);
    k.run(5);
    expect(k.part(2).role).toBe("follower");
    k.ctl.controllerEpoch = 1;
    const st = k.ctl.parts.get("t-0");
    if (st) st.leaderEpoch = -1;
    k.ctl.elect("t-0", 2); // epoch 0 < 1
    k.run(5);
    expect(k.part(1).isLeader).toBe(true);
    expect(k.part(2).isLeader).toBe(false);
    expect(k.events("stale-request-rejected").length).toBeGreaterThanOrEqual(2);
  });

  it("acceptStaleEpoch bug applies a lower leader epoch", () => {
    const k = new Kit({ bugs: { acceptStaleEpoch: true } }).start();
    k.ctl.elect("t-0", 1);
    k.run(5);
    const st = k.ctl.parts.get("t-0");
    if (st) st.leaderEpoch = -1;
    k.ctl.elect("t-0", 2);
    k.run(5);
    expect(k.part(2).isLeader).toBe(true);
  });

  it("a zombie leader whose ISR change is rejected as fenced keeps it pending and goes on appending (Partition.handleAlterPartitionError): acks=all writes time out, never NONE; acks=1 ones are acknowledged; leader-and-isr ends it", () => {
    const k = new Kit({ broker: { "replica.lag.time.max.ms": 1000 } }).start();
    k.isolate(1, [CTL, CLIENT]);
    k.ctl.elect("t-0", 2, [2, 3], [2, 3]); // broker 1 never hears of it
    k.run(5);
    const c = k.produce(1, [9], { timeoutMs: 5000 });
    k.run(3000);
    expect(k.events("isr-change-rejected").map((e) => e.reason)).toEqual(["FENCED_LEADER_EPOCH"]);
    const p = k.part(1);
    expect(p.isLeader).toBe(true);
    expect(p.pendingIsr).toEqual([1, 2, 3]); // the shrink stays pending: the maximal ISR is the old one
    expect(k.produceResult(c)).toBeUndefined();
    const again = k.produce(1, [10], { timeoutMs: 1000 });
    const one = k.produce(1, [11], { acks: 1 }); // a zombie takes acks=1 writes (lost later)
    k.run(5);
    expect(k.produceResult(one)).toEqual({ error: "NONE", baseOffset: 2 });
    k.run(2500);
    expect(k.produceResult(c)).toEqual({ error: "REQUEST_TIMED_OUT", baseOffset: -1 });
    expect(k.produceResult(again)).toEqual({ error: "REQUEST_TIMED_OUT", baseOffset: -1 });
    expect(k.values(1)).toEqual([9, 10, 11]);
    expect(p.hw).toBe(0);
    expect(k.ctl.alterRequests).toBe(1); // not retried
    // leader-and-isr reaches it: a waiting acks=all write gets NOT_LEADER_OR_FOLLOWER, the appends are truncated
    const last = k.produce(1, [12]);
    k.run(5);
    k.heal();
    const st = k.ctl.parts.get("t-0");
    if (st !== undefined) k.ctl.send([st], [1]);
    k.run(50);
    expect(k.produceResult(last)?.error).toBe("NOT_LEADER_OR_FOLLOWER");
    expect(k.part(1).role).toBe("follower");
    expect(k.values(1)).toEqual([]);
    expect(k.values(2)).toEqual([]);
  });

  it("an expansion rejected with INVALID_UPDATE_VERSION stays pending: the leader still acknowledges acks=all writes once every member of the maximal ISR has them", () => {
    const k = new Kit({ broker: { "replica.lag.time.max.ms": 1000, "replica.socket.timeout.ms": 1000 } }).start();
    k.isolate(3, [CTL]);
    k.produce(1, [1], { acks: 1 });
    k.run(3000);
    expect(k.ctl.parts.get("t-0")?.isr).toEqual([1, 2]);
    const st = k.ctl.parts.get("t-0");
    if (st !== undefined) st.partitionEpoch++; // the state moved on behind the leader's back
    k.heal();
    k.run(3000); // 3 catches up and the leader asks to add it
    expect(k.events("isr-change-rejected").map((e) => e.reason)).toEqual(["INVALID_UPDATE_VERSION"]);
    const p = k.part(1);
    expect(p.isLeader).toBe(true);
    expect(p.pendingIsr).toEqual([1, 2, 3]);
    expect(p.isr).toEqual([1, 2]);
    const c = k.produce(1, [2]);
    k.run(20);
    expect(k.produceResult(c)).toEqual({ error: "NONE", baseOffset: 1 });
    expect(k.values(3)).toEqual([1, 2]);
    expect(p.pendingIsr).toEqual([1, 2, 3]); // until leader-and-isr
  });

  it("a leader cut off from the controller and its followers cannot get an acks=all write acknowledged", () => {
    const k = new Kit({ broker: { "replica.lag.time.max.ms": 1000 } }).start();
    k.isolate(1, [CLIENT]);
    k.ctl.failBroker(1); // its session expired: 2 leads
    k.run(5);
    const c = k.produce(1, [9], { timeoutMs: 5000 });
    k.run(6000);
    expect(k.produceResult(c)?.error).toBe("REQUEST_TIMED_OUT");
    expect(k.part(1).hw).toBe(0);
    expect(k.values(2)).toEqual([]);
  });
});
