import { describe, expect, it } from "vitest";
import { nodeId } from "../../../core/ids.ts";
import type { NodeId } from "../../../core/ids.ts";
import { Rng } from "../../../core/rng.ts";
import { Disk } from "../../../disk/disk.ts";
import type { TimeUs } from "../../../core/time.ts";
import { defaultControllerConfig } from "../config.ts";
import type { KRaftTraceEvent } from "../events.ts";
import type { RaftNode } from "../raft/raft-node.ts";
import type { RaftRecord } from "../raft/messages.ts";
import { ControllerTimer, QuorumController } from "./quorum-controller.ts";
import type { ControllerContext } from "./quorum-controller.ts";
import type { ControllerResponse } from "./messages.ts";
import type { MetadataRecord } from "./records.ts";

const SELF = nodeId("c1");
const BROKER = nodeId("broker-1");

/** A Raft leader that only records appends; commits happen when the test says so. */
class FakeRaft {
  readonly log: MetadataRecord[] = [];
  epoch = 1;
  leading = true;
  resigned: number[] = [];
  role = "leader";
  nextWriteOffset(): number {
    return this.leading ? this.log.length + 1 : -1; // offset 0 is the LeaderChangeMessage
  }
  append(epoch: number, records: readonly MetadataRecord[]): number {
    if (!this.leading || epoch !== this.epoch) return -1;
    this.log.push(...records);
    return this.log.length;
  }
  resign(epoch: number): void {
    this.resigned.push(epoch);
  }
}

function setup() {
  const sent: { to: NodeId; msg: ControllerResponse }[] = [];
  const events: KRaftTraceEvent[] = [];
  const timers: { delayUs: number; tag: unknown }[] = [];
  let now = 0;
  const ctx: ControllerContext = {
    self: SELF,
    get nowUs() {
      return now as TimeUs;
    },
    rng: new Rng(1),
    disk: new Disk(),
    send: (to, msg) => void sent.push({ to, msg }),
    setTimer: (delayUs, tag) => timers.push({ delayUs, tag }),
    cancelTimer: () => {},
    emit: (ev) => void events.push(ev),
    closeConnection: () => {},
    isUp: () => true,
  };
  const qc = new QuorumController(defaultControllerConfig());
  const raft = new FakeRaft();
  qc.raft = raft as unknown as RaftNode<MetadataRecord>;
  qc.attach(ctx);
  /** Commit everything appended so far (offsets 1..n; 0 is the LeaderChangeMessage). */
  const commitAll = (): void => {
    const records: RaftRecord<MetadataRecord>[] = [{ kind: "leader-change", leaderId: SELF, voters: [SELF], grantingVoters: [SELF] }, ...raft.log.map((data) => ({ kind: "data" as const, data }))];
    qc.handleCommit({ baseOffset: 0, lastOffset: raft.log.length, epoch: 1, appendUs: 0, records });
  };
  const register = (corr: number): void => qc.handleRequest(BROKER, { type: "kraft-broker-registration", corr, brokerId: 1, incarnationId: "x", previousBrokerEpoch: -1 });
  return { qc, raft, sent, events, timers, commitAll, register, setNow: (t: number) => void (now = t) };
}

describe("QuorumController", () => {
  it("a controller that is not active answers NOT_CONTROLLER", () => {
    const s = setup();
    s.register(1);
    expect(s.sent.map((m) => m.msg.error)).toEqual(["NOT_CONTROLLER"]);
  });

  it("on becoming active it writes the bootstrap feature record and starts its periodic tasks", () => {
    const s = setup();
    s.qc.handleLeaderChange({ leaderId: SELF, epoch: 1 });
    expect(s.raft.log).toEqual([{ type: "FeatureLevelRecord", name: "eligible.leader.replicas.version", featureLevel: 0 }]);
    expect(s.timers.map((t) => [(t.tag as ControllerTimer).kind, t.delayUs])).toEqual([
      ["noop", 500_000],
      ["fence-stale", 1_125_000],
      ["elect-unclean", 300_000_000],
    ]);
  });

  it("applies its records at once but answers only when they are committed", () => {
    const s = setup();
    s.qc.handleLeaderChange({ leaderId: SELF, epoch: 1 });
    s.register(7);
    expect(s.sent).toEqual([]);
    expect(s.qc.latest.brokers.get(1)?.epoch).toBe(2);
    expect(s.qc.committed.brokers.has(1)).toBe(false);
    s.commitAll();
    expect(s.sent.map((m) => m.msg)).toEqual([{ type: "kraft-broker-registration-response", corr: 7, error: "NONE", brokerEpoch: 2 }]);
    expect(s.qc.committed.brokers.get(1)?.epoch).toBe(2);
  });

  it("a read-only answer waits for the writes before it; with nothing pending it goes at once", () => {
    const s = setup();
    s.qc.handleLeaderChange({ leaderId: SELF, epoch: 1 });
    s.register(1);
    // The heartbeat of a broker that is still fenced and behind writes nothing, but follows the registration.
    s.qc.handleRequest(BROKER, { type: "kraft-broker-heartbeat", corr: 2, brokerId: 1, brokerEpoch: 2, currentMetadataOffset: -1, wantFence: false, wantShutDown: false });
    expect(s.sent).toEqual([]);
    s.commitAll();
    expect(s.sent.map((m) => m.msg.corr)).toEqual([1, 2]);
    s.qc.handleRequest(BROKER, { type: "kraft-broker-heartbeat", corr: 3, brokerId: 1, brokerEpoch: 2, currentMetadataOffset: -1, wantFence: false, wantShutDown: false });
    expect(s.sent.map((m) => m.msg.corr)).toEqual([1, 2, 3]);
  });

  // Fuzz seed 71011 (fuzz-kraft-uncommitted-answer-*): an AlterPartition refused FENCED_LEADER_EPOCH by the
  // controller's own uncommitted election went out at once; the election was then truncated away.
  it("a read-only answer waits for the controller's own uncommitted writes too (ControllerWriteEvent: nextWriteOffset() - 1)", () => {
    const s = setup();
    s.qc.handleLeaderChange({ leaderId: SELF, epoch: 1 });
    s.register(1);
    s.commitAll();
    expect(s.sent.map((m) => m.msg.corr)).toEqual([1]);
    s.qc.onTimer(new ControllerTimer("noop")); // a write no request waits for
    s.qc.handleRequest(BROKER, { type: "kraft-broker-heartbeat", corr: 2, brokerId: 1, brokerEpoch: 2, currentMetadataOffset: -1, wantFence: false, wantShutDown: false });
    expect(s.sent.map((m) => m.msg.corr)).toEqual([1]);
    s.commitAll();
    expect(s.sent.map((m) => m.msg.corr)).toEqual([1, 2]);
  });

  it("renouncing drops what was not committed and answers what waited NOT_CONTROLLER", () => {
    const s = setup();
    s.qc.handleLeaderChange({ leaderId: SELF, epoch: 1 });
    s.commitAll();
    s.register(5);
    s.qc.handleLeaderChange({ leaderId: nodeId("c2"), epoch: 2 });
    expect(s.sent.map((m) => [m.msg.corr, m.msg.error])).toEqual([[5, "NOT_CONTROLLER"]]);
    expect(s.qc.isActive).toBe(false);
    expect(s.qc.latest.brokers.has(1)).toBe(false);
    expect(s.raft.resigned).toEqual([1]);
  });

  it("a failed append (the Raft node no longer leads) renounces", () => {
    const s = setup();
    s.qc.handleLeaderChange({ leaderId: SELF, epoch: 1 });
    s.raft.leading = false;
    s.qc.onTimer(new ControllerTimer("noop"));
    expect(s.qc.isActive).toBe(false);
    expect(s.events.filter((e) => e.type === "kraft-controller").map((e) => (e as { active: boolean }).active)).toEqual([true, false]);
  });

  it("a restarted former leader, resigned in its epoch, does not claim though the epoch names it leader", () => {
    const s = setup();
    s.raft.leading = false;
    s.raft.role = "resigned";
    s.qc.handleLeaderChange({ leaderId: SELF, epoch: 1 });
    expect(s.qc.isActive).toBe(false);
    expect(s.events.filter((e) => e.type === "kraft-controller")).toEqual([]);
    expect(s.timers).toEqual([]);
  });

  it("fences a stale broker, then runs the check again 10 ms later rather than after its period", () => {
    const s = setup();
    s.qc.handleLeaderChange({ leaderId: SELF, epoch: 1 });
    s.register(1);
    s.commitAll();
    s.qc.handleRequest(BROKER, { type: "kraft-broker-heartbeat", corr: 2, brokerId: 1, brokerEpoch: 2, currentMetadataOffset: 2, wantFence: false, wantShutDown: false });
    s.setNow(9_000_001);
    s.qc.onTimer(new ControllerTimer("fence-stale"));
    expect(s.raft.log.at(-1)).toMatchObject({ type: "BrokerRegistrationChangeRecord", brokerId: 1, fenced: "FENCE" });
    expect(s.timers.at(-1)).toMatchObject({ delayUs: 10_000 });
    s.qc.onTimer(new ControllerTimer("fence-stale"));
    expect(s.timers.at(-1)).toMatchObject({ delayUs: 1_125_000 });
  });

  it("writes a NoOpRecord every metadata.max.idle.interval.ms", () => {
    const s = setup();
    s.qc.handleLeaderChange({ leaderId: SELF, epoch: 1 });
    s.qc.onTimer(new ControllerTimer("noop"));
    expect(s.raft.log.at(-1)).toEqual({ type: "NoOpRecord" });
    expect(s.timers.at(-1)).toMatchObject({ delayUs: 500_000 });
  });
});
