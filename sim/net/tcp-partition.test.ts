// A network partition over TCP, end to end: a cut link does not destroy an open connection's data. TCP
// retransmits and delivers after the heal, so what the controller or a producer sent into the partition arrives
// at the next retransmission, not after a request timeout (ControllerChannelManager's RequestSendThread re-sends
// only once controller.socket.timeout.ms has passed; a producer's NetworkClient after request.timeout.ms).
import { describe, it, expect } from "vitest";
import { RealCluster } from "../broker/testkit.ts";
import { brokerNode } from "../core/ids.ts";
import { msToUs } from "../core/time.ts";
import type { NodeId } from "../core/ids.ts";
import { runScenario } from "../world.ts";
import { buildScenario } from "../scenario/defaults.ts";
import { CONTROLLER_SOCKET_TIMEOUT_MS } from "../broker/control/controller.ts";

const FAST = { "zookeeper.session.timeout.ms": 6000, "replica.lag.time.max.ms": 2000 } as const;

describe("a deposed leader behind a partition (KafkaController, ControllerChannelManager)", () => {
  it("the leader-and-isr sent into the partition arrives after the heal and ends the zombie, long before the 30 s re-send", () => {
    const c = new RealCluster({ broker: FAST }).start();
    const ctl = c.zk.controller() as number;
    const leader = c.brokerIds.find((b) => b !== ctl && c.leaderOf() === b) ?? (c.leaderOf() as number);
    if (leader === ctl) throw new Error("the test wants a leader that is not the controller");
    const L = c.rt.index(brokerNode(leader));
    const cutFrom = (ids: readonly NodeId[]): void => {
      for (const id of ids) {
        c.rt.network.blockOneWay(L, c.rt.index(id));
        c.rt.network.blockOneWay(c.rt.index(id), L);
      }
    };
    // Cut the leader off from everyone: its session expires and the controller elects another leader.
    cutFrom(c.rt.ids.filter((id) => id !== brokerNode(leader) && id !== "client"));
    const cutAt = c.rt.nowUs;
    c.run(8000);
    const newLeader = c.leaderOf() as number;
    expect(newLeader).not.toBe(leader);
    const epoch = c.zk.partitionState("t", 0)?.leaderEpoch as number;
    // It reaches ZooKeeper again (not the controller, nor the other brokers): it learns its session expired and
    // registers anew; the controller sends it leader-and-isr — into the partition.
    c.rt.network.healNode(L);
    cutFrom(c.brokerIds.filter((b) => b !== leader).map((b) => brokerNode(b)));
    c.run(6000);
    const reg = c.rt.trace.events.find((e) => e.type === "broker-registered" && e.broker === leader && e.timeUs > cutAt);
    expect(reg).toBeDefined();
    const zombie = c.broker(leader)?.replicas.partitions.get("t-0");
    expect(zombie?.isLeader).toBe(true); // still a zombie: it believes it leads at the old epoch
    const acked = c.produce(leader, [99], { acks: 1 });
    c.run(5);
    expect(c.produceResult(acked)?.error).toBe("NONE");
    c.rt.network.healAll();
    const healedAt = c.rt.nowUs;
    c.run(10_000);
    const demoted = c.rt.trace.events.find((e) => e.type === "become-follower" && e.broker === leader && e.timeUs > healedAt);
    expect(demoted).toBeDefined();
    expect(demoted?.type === "become-follower" && demoted.leaderEpoch).toBeGreaterThanOrEqual(epoch);
    // It arrived with TCP's retransmission after the heal, not with a re-send after the request timeout.
    expect((demoted?.timeUs ?? Infinity) - (reg?.timeUs ?? 0)).toBeLessThan(msToUs(CONTROLLER_SOCKET_TIMEOUT_MS));
    expect(c.values(leader)).not.toContain(99); // the zombie's acks=1 write was truncated away
    expect(c.values(leader)).toEqual(c.values(newLeader));
  });
});

describe("a producer request sent into a partition (NetworkClient)", () => {
  it("is answered after the heal, at TCP's next retransmission, without waiting out request.timeout.ms", () => {
    const s = buildScenario({
      seed: 7,
      durationMs: 6000,
      drainMs: 5000,
      topics: [{ name: "orders", partitions: 1 }],
      producers: [{ id: "p1", topic: "orders", ratePerSec: 50, config: { acks: 1, "request.timeout.ms": 30_000, "delivery.timeout.ms": 120_000 } }],
      faults: [
        { atMs: 2000, action: { kind: "isolate", target: { client: "p1" } } },
        { atMs: 4000, action: { kind: "heal" } },
      ],
    });
    const r = runScenario(s);
    const invoked = new Map<number, number>();
    const ackedAt = new Map<number, number>();
    for (const op of r.history) {
      if (op.f !== "send") continue;
      if (op.type === "invoke") invoked.set(op.value.value, op.timeUs);
      else if (op.type === "ok") ackedAt.set(op.value.value, op.timeUs);
    }
    // The sends made while the producer was cut off: every one acknowledged, after the heal, within seconds.
    const cut = [...invoked].filter(([, t]) => t > msToUs(2100) && t < msToUs(3900));
    expect(cut.length).toBeGreaterThan(50);
    for (const [v, t] of cut) {
      const at = ackedAt.get(v);
      expect(at, `send ${v}`).toBeDefined();
      expect(at as number).toBeGreaterThan(msToUs(4000));
      expect((at as number) - t).toBeLessThan(msToUs(5000));
    }
    expect(r.history.filter((o) => o.f === "send" && o.type !== "ok" && o.type !== "invoke")).toEqual([]);
  });
});

describe("an ISR change sent into a one-way partition (AlterPartitionManager, Partition.maybeExpandIsr)", () => {
  it("arrives after the heal: the pending change completes and the cut-off follower is re-added, HW = LEO on every replica", () => {
    // Fuzzing found a leader whose shrink was lost in a one-way cut to the controller: it stayed pending (no
    // expansion while a change is in flight) until the 30 s re-send, the follower out of the ISR, the HW stuck.
    const c = new RealCluster({ broker: FAST }).start();
    const ctl = c.zk.controller() as number;
    const leader = c.leaderOf() as number;
    const follower = c.brokerIds.find((b) => b !== leader && b !== ctl) ?? (c.brokerIds.find((b) => b !== leader) as number);
    if (leader === ctl) throw new Error("the test wants a leader that is not the controller");
    const ix = (b: number): number => c.rt.index(brokerNode(b));
    for (const id of c.rt.ids) {
      if (id === brokerNode(follower) || id === "zk") continue;
      c.rt.network.blockOneWay(ix(follower), c.rt.index(id));
      c.rt.network.blockOneWay(c.rt.index(id), ix(follower));
    }
    c.rt.network.blockOneWay(ix(leader), ix(ctl)); // the leader cannot reach the controller; the other way works
    for (let i = 0; i < 10; i++) {
      c.produce(leader, [i], { acks: 1 });
      c.run(300);
    }
    c.rt.network.healAll();
    c.run(15_000);
    const p = c.final().find((x) => x.topic === "t" && x.partition === 0);
    expect(p?.leader).toBe(leader);
    expect([...(p?.isr ?? [])].sort()).toEqual([...c.brokerIds].sort());
    for (const r of p?.replicas ?? []) {
      expect(r.logEndOffset).toBe(10);
      expect(r.highWatermark).toBe(10);
    }
  });
});
