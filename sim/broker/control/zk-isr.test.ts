// ISR changes before 2.7 (before KIP-497's AlterIsr): the leader writes the partition's state znode itself with
// a conditional update on its version (Partition.updateIsr, ReplicationUtils.updateLeaderAndIsr) and tells the
// controller through /isr_change_notification (ReplicaManager.maybePropagateIsrChanges, KafkaController
// .IsrChangeNotification); from 2.7 it asks the controller (AlterPartition).
import { describe, it, expect } from "vitest";
import { RealCluster } from "../testkit.ts";
import { brokerNode } from "../../core/ids.ts";
import type { ProtocolVersion } from "../../kafka/config.ts";
import type { MetadataResponse } from "../../kafka/protocol.ts";
import { ISR_CHANGE_PROPAGATION_BLACKOUT_MS, ISR_CHANGE_PROPAGATION_CHECK_MS, ZkIsrWriter } from "./zk-isr-writer.ts";
import type { ZkClient, ZkResult } from "./zk-client.ts";
import type { ZkOp } from "../../kafka/protocol-cluster.ts";
import type { PartitionStateData } from "../../coordinator/paths.ts";
import type { IsrChangeRequest, IsrChangeResult } from "./control-plane.ts";

const FAST = { "zookeeper.session.timeout.ms": 6000, "replica.lag.time.max.ms": 1000 } as const;

/** A leader that is not the controller, cut off from the controller (both ways, not from ZooKeeper) and from
 *  one follower, which falls out of sync. */
function leaderCutFromController(protocol: ProtocolVersion) {
  const c = new RealCluster({ broker: FAST, protocol }).start();
  const ctl = c.zk.controller() as number;
  const leader = c.leaderOf() as number;
  if (leader === ctl) throw new Error("the test wants a leader that is not the controller");
  const follower = c.brokerIds.find((b) => b !== leader && b !== ctl) as number;
  const ix = (b: number): number => c.rt.index(brokerNode(b));
  const cut = (a: number, b: number): void => {
    c.rt.network.blockOneWay(ix(a), ix(b));
    c.rt.network.blockOneWay(ix(b), ix(a));
  };
  cut(leader, ctl);
  cut(leader, follower);
  const before = c.zk.partitionState("t", 0);
  c.produce(leader, [1, 2, 3], { acks: 1 });
  c.run(3000);
  return { c, ctl, leader, follower, before };
}

describe("ISR changes before 2.7 (Partition.updateIsr: the leader's own conditional write to ZooKeeper)", () => {
  for (const protocol of ["0.10", "0.11", "2.0"] as const) {
    it(`${protocol}: a leader cut off from the controller, not from ZooKeeper, shrinks its ISR itself`, () => {
      const { c, leader, follower, before } = leaderCutFromController(protocol);
      const after = c.zk.partitionState("t", 0);
      expect(after?.isr).not.toContain(follower);
      expect(after?.leader).toBe(leader);
      expect(after?.leaderEpoch).toBe(before?.leaderEpoch); // a leader-made change keeps the leader epoch
      expect(after?.partitionEpoch).toBe((before?.partitionEpoch as number) + 1);
      const shrinks = c.rt.trace.events.filter((e) => e.type === "isr-shrink" && e.tp === "t-0");
      expect(shrinks.map((e) => e.type === "isr-shrink" && e.by)).toEqual(["leader"]);
      expect(c.broker(leader)?.replicas.partitions.get("t-0")?.isr).toEqual(after?.isr);
    });
  }

  it("2.7: the same leader asks the controller (AlterPartition), which it cannot reach: the ISR does not shrink", () => {
    const { c, follower, before } = leaderCutFromController("2.7");
    expect(c.zk.partitionState("t", 0)).toEqual(before);
    expect(c.zk.partitionState("t", 0)?.isr).toContain(follower);
  });

  it("the controller learns of the change from /isr_change_notification and sends update-metadata", () => {
    const { c, ctl, leader, follower } = leaderCutFromController("2.0");
    const other = c.brokerIds.find((b) => b !== leader) as number;
    const isrIn = (b: number): readonly number[] | undefined => {
      const corr = c.client.send(b, (k) => ({ type: "metadata", corr: k, topics: ["t"] }));
      c.run(5);
      return (c.client.responses.get(corr) as MetadataResponse | undefined)?.partitions.find((p) => p.partition === 0)?.isr;
    };
    expect(isrIn(other)).toContain(follower); // not yet: the leader propagates after 5 s without a change
    c.run(ISR_CHANGE_PROPAGATION_BLACKOUT_MS + ISR_CHANGE_PROPAGATION_CHECK_MS);
    expect(isrIn(other)).not.toContain(follower);
    expect(c.zk.partitionState("t", 0)?.isr).toEqual(isrIn(ctl));
    expect(c.rt.trace.events.filter((e) => e.type === "isr-shrink" && e.by === "controller")).toEqual([]);
  });

  it("a zombie's write fails on the version the controller moved on; its ISR stays as it was (no fencing before 2.7)", () => {
    const c = new RealCluster({ broker: FAST, protocol: "2.0" }).start();
    const leader = c.leaderOf() as number;
    const ix = (id: string): number => c.rt.index(id as never);
    // Isolated from everyone: its session expires and the controller elects another leader (a new version).
    for (const id of c.rt.ids) {
      if (id === brokerNode(leader) || id === "client") continue;
      c.rt.network.blockOneWay(ix(brokerNode(leader)), ix(id));
      c.rt.network.blockOneWay(ix(id), ix(brokerNode(leader)));
    }
    c.run(8000);
    const moved = c.zk.partitionState("t", 0);
    expect(moved?.leader).not.toBe(leader);
    // It reaches ZooKeeper again, no one else: a new session, and its shrink finds another version.
    c.rt.network.healNode(ix(brokerNode(leader)));
    for (const b of c.brokerIds) {
      if (b === leader) continue;
      c.rt.network.blockOneWay(ix(brokerNode(leader)), ix(brokerNode(b)));
      c.rt.network.blockOneWay(ix(brokerNode(b)), ix(brokerNode(leader)));
    }
    c.produce(leader, [7], { acks: 1 }); // the zombie appends: its followers fall behind
    c.run(3000);
    // Each ISR check (every replica.lag.time.max.ms / 2) tries again and fails again.
    const rejected = c.rt.trace.events.filter((e) => e.type === "isr-change-rejected" && e.broker === leader);
    expect(rejected.length).toBeGreaterThanOrEqual(3);
    expect(new Set(rejected.map((e) => e.type === "isr-change-rejected" && e.reason))).toEqual(new Set(["BAD_VERSION"]));
    const p = c.broker(leader)?.replicas.partitions.get("t-0");
    expect(p?.fenced).toBe(false);
    expect(p?.isr).toHaveLength(3);
    expect(c.zk.partitionState("t", 0)).toEqual(moved);
  });
});

describe("a leader's ISR write whose answer is lost with its ZooKeeper session", () => {
  /** A ZooKeeper client stand-in answering the writer's requests from a script, in order. */
  function scripted(answers: ZkResult[]) {
    const asked: string[] = [];
    const zk = {
      request(ctx: unknown, ops: readonly ZkOp[], cb: (ctx: never, r: ZkResult) => void): void {
        asked.push(ops.map((o) => o.op).join("+"));
        const r = answers.shift();
        if (r === undefined) throw new Error("the script ran out");
        cb(ctx as never, r);
      },
    } as unknown as ZkClient;
    return { zk, asked };
  }
  const req: IsrChangeRequest = { topic: "t", partition: 0, leaderEpoch: 3, newIsr: [1, 2, 3], partitionEpoch: 1 };
  const written: PartitionStateData = { leader: 1, leader_epoch: 3, isr: [1, 2, 3], controller_epoch: 1 };
  const ctx = { nowUs: 0 } as never;

  it("a write that was on the wire is re-sent in the new session and found applied (checkLeaderAndIsrZkData): the leader learns its ISR", () => {
    // Without the re-send the leader keeps its old ISR while ZooKeeper holds the new one, and its HW can pass a
    // replica the controller will elect from ZooKeeper's ISR (fuzz-uncommitted-read-3146781093.yaml).
    const { zk, asked } = scripted([
      { error: "SESSION_EXPIRED", zxid: -1, results: [], maybeApplied: true },
      { error: "BAD_VERSION", zxid: 9, results: [{ path: "p", error: "BAD_VERSION" }] },
      { error: "NONE", zxid: 9, results: [{ path: "p", error: "NONE", data: written, version: 2 }] },
    ]);
    const done: IsrChangeResult[] = [];
    new ZkIsrWriter({ brokerId: 1, zk, controllerEpoch: () => 1 }).write(ctx, req, (r) => done.push(r));
    expect(asked).toEqual(["set", "set", "get"]);
    expect(done).toEqual([{ error: "NONE", leaderEpoch: 3, isr: [1, 2, 3], partitionEpoch: 2 }]);
  });

  it("once an attempt may have been applied, a later retry that never got on the wire does not give the write up", () => {
    const { zk, asked } = scripted([
      { error: "SESSION_EXPIRED", zxid: -1, results: [], maybeApplied: true },
      { error: "SESSION_EXPIRED", zxid: -1, results: [] },
      { error: "BAD_VERSION", zxid: 9, results: [{ path: "p", error: "BAD_VERSION" }] },
      { error: "NONE", zxid: 9, results: [{ path: "p", error: "NONE", data: written, version: 2 }] },
    ]);
    const done: IsrChangeResult[] = [];
    new ZkIsrWriter({ brokerId: 1, zk, controllerEpoch: () => 1 }).write(ctx, req, (r) => done.push(r));
    expect(asked).toEqual(["set", "set", "set", "get"]);
    expect(done).toEqual([{ error: "NONE", leaderEpoch: 3, isr: [1, 2, 3], partitionEpoch: 2 }]);
  });

  it("a write never sent before the session expired fails as Kafka's does (SESSIONEXPIRED): retriable, nothing changed", () => {
    const { zk, asked } = scripted([{ error: "SESSION_EXPIRED", zxid: -1, results: [] }]);
    const done: IsrChangeResult[] = [];
    new ZkIsrWriter({ brokerId: 1, zk, controllerEpoch: () => 1 }).write(ctx, req, (r) => done.push(r));
    expect(asked).toEqual(["set"]);
    expect(done).toEqual([{ error: "SESSION_EXPIRED", leaderEpoch: -1, isr: [], partitionEpoch: -1, retriable: true }]);
  });
});
