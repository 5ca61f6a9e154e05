// A KRaft broker's control plane in a real world (protocol 4.1: controllers, brokers observing __cluster_metadata):
// only committed metadata reaches a broker, a committed leadership change reaches its replica manager, a broker that
// stops heartbeating is fenced after broker.session.timeout.ms, and a clean stop goes through controlled shutdown.
import { describe, expect, it } from "vitest";
import { createWorld } from "../../world.ts";
import type { World } from "../../world.ts";
import { buildScenario } from "../../scenario/defaults.ts";
import { brokerNode, nodeId } from "../../core/ids.ts";
import type { NodeId } from "../../core/ids.ts";
import { msToUs } from "../../core/time.ts";
import type { TraceEvent } from "../../events.ts";
import type { Recorded } from "../../core/trace.ts";
import type { Broker } from "../broker.ts";
import type { KRaftControlPlane } from "./control-plane.ts";

function world(broker: Record<string, number> = {}): World {
  const s = buildScenario({
    protocol: "4.1",
    seed: 3,
    durationMs: 30_000,
    brokers: 3,
    broker: { "replica.lag.time.max.ms": 1000, "min.insync.replicas": 2, ...broker },
    topics: [{ name: "orders", partitions: 1, "replication.factor": 3 }],
    producers: [{ id: "p1", topic: "orders", ratePerSec: 100, config: { acks: 1 } }],
    consumers: [],
  });
  return createWorld(s, { record: true });
}
const events = <T extends TraceEvent["type"]>(w: World, type: T): Recorded<Extract<TraceEvent, { type: T }>>[] =>
  w.runtime.trace.events.filter((e) => e.type === type) as Recorded<Extract<TraceEvent, { type: T }>>[];
const plane = (w: World, b: number): KRaftControlPlane => ((w.runtime.actor(brokerNode(b)) as Broker).control as unknown as KRaftControlPlane);
const activeController = (w: World): NodeId => {
  const leader = plane(w, 1).raft.leaderAndEpoch().leaderId;
  if (leader === null) throw new Error("no active controller known to broker 1");
  return leader;
};
const leaderOf = (w: World, b: number): number => plane(w, b).publisher.image.partition("orders", 0)?.leader ?? -1;

describe("KRaft broker: only committed metadata is applied", () => {
  it("an ISR shrink the cut-off active controller appended but never committed reaches no broker", () => {
    const w = world();
    w.runTo(msToUs(5000));
    const ctl = activeController(w);
    const leader = leaderOf(w, 1);
    expect(leader).toBeGreaterThan(0);
    const rt = w.runtime;
    // The active controller, the partition's leader and the producer (acks=1, so the leader's log grows and the
    // followers fall behind) on one side, everyone else on the other.
    const side = [ctl, brokerNode(leader), nodeId("p1")];
    rt.network.partition([side.map((n) => rt.index(n)), rt.ids.filter((n) => !side.includes(n)).map((n) => rt.index(n))]);
    w.runTo(msToUs(7500));
    const appended = events(w, "kraft-partition").filter((e) => e.node === ctl && e.source === "alter-partition" && e.timeUs > 5_000_000);
    expect(appended.map((e) => e.isr)).toEqual([[leader]]);
    const offset = appended[0]?.offset ?? -1;
    // Broker `leader` fetched from its controller the whole time, yet nothing at that offset of that epoch was
    // handed to any node's listener, and its image and its replica manager keep the full ISR.
    const handed = events(w, "metadata-batch").filter((e) => e.baseOffset <= offset && offset <= e.lastOffset && e.timeUs > 5_000_000);
    expect(handed.filter((e) => e.epoch === appended[0]?.epoch)).toEqual([]);
    expect(plane(w, leader).publisher.image.partition("orders", 0)?.isr).toHaveLength(3);
    expect((w.runtime.actor(brokerNode(leader)) as Broker).replicas.partitions.get("orders-0")?.isr).toHaveLength(3);
  });
});

describe("KRaft broker: committed leadership changes reach the replica manager", () => {
  it("the leader killed: the controller fences it after the session timeout and the new leader's replica manager leads at the new epoch", () => {
    const w = world();
    w.runTo(msToUs(5000));
    const old = leaderOf(w, 1);
    w.runtime.kill(brokerNode(old));
    w.runTo(msToUs(20_000));
    const next = leaderOf(w, (old % 3) + 1);
    expect(next).not.toBe(old);
    const epoch = plane(w, next).publisher.image.partition("orders", 0)?.leaderEpoch ?? -1;
    const became = events(w, "become-leader").filter((e) => e.broker === next && e.tp === "orders-0" && e.leaderEpoch === epoch);
    expect(became).toHaveLength(1);
    // The fencing that moved it came broker.session.timeout.ms (9 s) after the dead broker's last heartbeat was
    // handled, not sooner.
    const fenced = events(w, "kraft-broker").filter((e) => e.broker === old && e.change === "fenced");
    expect(fenced).toHaveLength(1);
    const killedAt = 5_000_000;
    expect((fenced[0]?.timeUs ?? 0) - killedAt).toBeGreaterThan(9_000_000 - 2_000_000);
    expect((fenced[0]?.timeUs ?? 0) - killedAt).toBeLessThanOrEqual(9_000_000 + 200_000);
    // Every live broker's metadata cache no longer lists it.
    for (const b of [1, 2, 3].filter((x) => x !== old)) expect(plane(w, b).publisher.liveBrokers()).not.toContain(old);
  });
});

describe("KRaft broker: controlled shutdown on a clean stop", () => {
  it("a stopped leader hands its leadership over before it stops", () => {
    const w = world();
    w.runTo(msToUs(5000));
    const old = leaderOf(w, 1);
    w.faults.fireNow({ kind: "stop", target: { broker: old } });
    w.runTo(msToUs(8000));
    expect(w.runtime.status(brokerNode(old))).toBe("stopped");
    const states = events(w, "kraft-broker-state").filter((e) => e.broker === old).map((e) => e.state);
    expect(states.slice(-2)).toEqual(["PENDING_CONTROLLED_SHUTDOWN", "SHUTTING_DOWN"]);
    const stopAt = events(w, "node-stop").find((e) => e.node === brokerNode(old))?.timeUs ?? 0;
    const moved = events(w, "kraft-partition").filter((e) => e.leader !== old && e.timeUs > 5_000_000);
    expect(moved.length).toBeGreaterThan(0);
    expect(moved[0]?.timeUs).toBeLessThan(stopAt);
    expect(events(w, "kraft-broker").filter((e) => e.broker === old).map((e) => e.change)).toContain("controlled-shutdown");
  });
});

describe("KRaft broker: publishes once caught up with the high watermark", () => {
  it("a leader restarted after its partition moved on applies only the latest state, not each committed batch on the way", () => {
    const w = world();
    w.runTo(msToUs(5000));
    const old = leaderOf(w, 1);
    w.runtime.kill(brokerNode(old));
    w.runTo(msToUs(20_000));
    w.runtime.restart(brokerNode(old));
    w.runTo(msToUs(30_000));
    const after = (e: { timeUs: number; broker: number; tp: string }): boolean => e.timeUs > 20_000_000 && e.broker === old && e.tp === "orders-0";
    const epoch = plane(w, old).publisher.image.partition("orders", 0)?.leaderEpoch ?? -1;
    expect(epoch).toBeGreaterThan(0);
    // On restart the broker's listener is handed its whole metadata log in one go (MetadataLoader: no publication
    // during catch-up): the replica manager sees the partition once, as a follower at the current leader epoch —
    // not first as its leader at epoch 0 (the PartitionRecord), nor at each epoch between.
    expect(events(w, "become-leader").filter(after)).toEqual([]);
    expect(events(w, "become-follower").filter(after).map((e) => e.leaderEpoch)).toEqual([epoch]);
  });
});
