import { describe, it, expect } from "vitest";
import { fakeCluster } from "./fake-broker.ts";
import { RECONNECT_BACKOFF_MS } from "./control-plane.ts";
import { CONTROLLER_RETRY_BACKOFF_MS } from "./controller.ts";
import { CONN_CONTROLLER } from "../../kafka/channels.ts";
import type { FakeCluster } from "./fake-broker.ts";
import { CoordinatorActor, expireSession, zkView } from "../../coordinator/coordinator.ts";
import { CONTROLLER_EPOCH_PATH, brokerIdPath } from "../../coordinator/paths.ts";
import { COORDINATOR_NODE, brokerNode } from "../../core/ids.ts";
import { msToUs } from "../../core/time.ts";
import type { TopicSpec } from "../../scenario/types.ts";
import type { TraceEvent } from "../../events.ts";

const runTo = (c: FakeCluster, ms: number) => c.rt.runUntil(msToUs(ms));
const events = <T extends TraceEvent["type"]>(c: FakeCluster, type: T) =>
  c.rt.trace.events.filter((e): e is Extract<typeof e, { type: T }> => e.type === type);

function started(opts: Parameters<typeof fakeCluster>[0] = {}): FakeCluster {
  const c = fakeCluster(opts);
  c.rt.startAll();
  runTo(c, 2000);
  return c;
}

/** Send a raw alter-partition from broker `from` to the current controller; returns the recorded answer. */
function rawAlter(c: FakeCluster, from: number, fields: { brokerEpoch?: number; topic?: string; partition: number; leaderEpoch: number; newIsr: number[]; partitionEpoch: number }, to?: number) {
  const v = zkView(c.rt);
  const target = to ?? (v.controller() as number);
  const corr = 1_000_000 + c.broker(from).alterResponses.length;
  c.rt.inject(brokerNode(from), (_a, ctx) =>
    ctx.send(brokerNode(target), {
      type: "alter-partition",
      corr,
      brokerId: from,
      brokerEpoch: fields.brokerEpoch ?? c.broker(from).cp.brokerEpoch,
      topic: fields.topic ?? "t",
      partition: fields.partition,
      leaderEpoch: fields.leaderEpoch,
      newIsr: fields.newIsr,
      partitionEpoch: fields.partitionEpoch,
    }),
  );
  runTo(c, usMs(c) + 50);
  const r = c.broker(from).alterResponses.find((x) => x.corr === corr);
  if (r === undefined) throw new Error("no alter-partition-response");
  return r;
}
const usMs = (c: FakeCluster) => c.rt.nowUs / 1000;

/** Three partitions led by brokers 1, 2, 3: the broker x that leads one (t-(x-1)) and is not the controller. */
function leaderOtherThanController() {
  const c = started({ assignment: new Map([["t-0", [1, 2, 3]], ["t-1", [2, 3, 1]], ["t-2", [3, 1, 2]]]) });
  const v = zkView(c.rt);
  const ctl = v.controller() as number;
  const x = ctl === 1 ? 2 : 1;
  const p = x - 1;
  const st = v.partitionState("t", p);
  if (st === null) throw new Error("no state");
  return { c, v, ctl, x, p, st };
}

describe("controller election (KafkaController.elect, KafkaZkClient.registerControllerAndIncrementControllerEpoch, fact 26)", () => {
  it("one broker wins; /controller and the epoch bump are one multi-op; every broker learns the controller", () => {
    const c = started();
    const v = zkView(c.rt);
    const ctl = v.controller();
    expect(ctl).not.toBeNull();
    expect(v.controllerEpoch()).toBe(1);
    expect(events(c, "controller-elected")).toEqual([expect.objectContaining({ broker: ctl, controllerEpoch: 1 })]);
    for (let b = 1; b <= 3; b++) {
      expect(c.broker(b).cp.controllerId).toBe(ctl);
      expect(c.broker(b).cp.isController).toBe(b === ctl);
    }
  });

  it("when the controller dies its session expires, another broker wins with epoch + 1 and re-sends state", () => {
    const c = started();
    const v = zkView(c.rt);
    const old = v.controller() as number;
    c.rt.kill(brokerNode(old));
    // Its last heartbeat was at most 6 s (session timeout / 3) before the kill: the session lives ≥ 12 s more.
    runTo(c, 2000 + 11900);
    expect(v.controller()).toBe(old);
    expect(v.liveBrokers()).toContain(old);
    runTo(c, 2000 + 18000 + 400);
    const now = v.controller() as number;
    expect(now).not.toBe(old);
    expect(v.controllerEpoch()).toBe(2);
    const elected = events(c, "controller-elected");
    expect(elected.map((e) => e.controllerEpoch)).toEqual([1, 2]);
    for (let b = 1; b <= 3; b++) {
      if (b === old) continue;
      const last = c.broker(b).leaderAndIsr.at(-1);
      expect(last?.controllerEpoch).toBe(2);
      expect(last?.controllerId).toBe(now);
      expect(last?.brokerEpoch).toBe(c.broker(b).cp.brokerEpoch);
    }
  });
});

describe("initial start-up (PartitionStateMachine.initializeLeaderAndIsrForPartitions)", () => {
  it("leader = first replica in assignment order, ISR = live replicas, leader epoch 0; each broker gets its partitions", () => {
    const c = started({ topics: [{ name: "t", partitions: 6, "replication.factor": 2, config: {} }] });
    const v = zkView(c.rt);
    for (let p = 0; p < 6; p++) {
      const replicas = c.spec.assignment.get(`t-${p}`) as number[];
      expect(v.partitionState("t", p)).toEqual({ leader: replicas[0], leaderEpoch: 0, isr: replicas, partitionEpoch: 0 });
    }
    for (let b = 1; b <= 3; b++) {
      const got = c.broker(b).leaderAndIsr.flatMap((m) => m.partitions.map((x) => `${x.topic}-${x.partition}`));
      const expected = [...c.spec.assignment].filter(([, rs]) => rs.includes(b)).map(([k]) => k);
      expect(new Set(got)).toEqual(new Set(expected));
      expect(c.broker(b).leaderAndIsr.every((m) => m.brokerEpoch === c.broker(b).cp.brokerEpoch && m.controllerEpoch === 1)).toBe(true);
      expect(c.broker(b).updateMetadata.at(-1)?.liveBrokers).toEqual([1, 2, 3]);
    }
  });
});

describe("broker failure (KafkaController.onBrokerFailure, PartitionStateMachine, ReplicaStateMachine)", () => {
  it("a killed leader's partitions get the first live in-sync replica in assignment order, a bumped leader epoch, and a smaller ISR", () => {
    const c = started();
    const v = zkView(c.rt);
    const ctl = v.controller() as number;
    const victim = [1, 2, 3].find((b) => b !== ctl) as number;
    const before = [0, 1, 2].map((p) => v.partitionState("t", p));
    c.rt.kill(brokerNode(victim));
    runTo(c, 2000 + 20000);
    expect(v.liveBrokers()).not.toContain(victim);
    for (let p = 0; p < 3; p++) {
      const replicas = c.spec.assignment.get(`t-${p}`) as number[];
      const b = before[p];
      const st = v.partitionState("t", p);
      expect(st?.isr).not.toContain(victim);
      expect(st?.leaderEpoch).toBe((b?.leaderEpoch as number) + 1); // fact 9: controller-made changes bump it
      if (b?.leader === victim) expect(st?.leader).toBe(replicas.find((r) => r !== victim));
      else expect(st?.leader).toBe(b?.leader);
    }
    expect(events(c, "session-expired")).toEqual([expect.objectContaining({ broker: victim })]);
    expect(events(c, "isr-shrink").every((e) => e.by === "controller" && e.removed.includes(victim))).toBe(true);
    expect(events(c, "leader-elected").filter((e) => e.leaderEpoch > 0)).toHaveLength(1);
  });

  it("a clean stop closes the session: the registration goes at once and leadership moves without waiting for expiry", () => {
    const c = started();
    const v = zkView(c.rt);
    const ctl = v.controller() as number;
    const x = [1, 2, 3].find((b) => b !== ctl) as number;
    const led = [0, 1, 2].filter((p) => v.partitionState("t", p)?.leader === x);
    expect(led.length).toBeGreaterThan(0);
    c.rt.stop(brokerNode(x));
    runTo(c, 2100);
    expect(v.liveBrokers()).not.toContain(x);
    for (const p of led) expect(v.partitionState("t", p)?.leader).not.toBe(x);
    expect(events(c, "session-expired")).toEqual([]);
    c.rt.restart(brokerNode(x));
    runTo(c, 2200);
    expect(c.broker(x).registrations).toHaveLength(1); // no old session in the way
  });

  it("a broker cut off from the coordinator loses its session and its partitions move; after the heal it re-registers with a new epoch (zombie)", () => {
    const c = started();
    const v = zkView(c.rt);
    const ctl = v.controller() as number;
    const x = [1, 2, 3].find((b) => b !== ctl) as number;
    const led = [0, 1, 2].filter((p) => v.partitionState("t", p)?.leader === x);
    expect(led.length).toBeGreaterThan(0);
    const epoch0 = c.broker(x).cp.brokerEpoch;
    c.rt.network.partition([[c.index(COORDINATOR_NODE)], [c.index(brokerNode(x))]]);
    runTo(c, 2000 + 21000);
    for (const p of led) expect(v.partitionState("t", p)?.leader).not.toBe(x);
    for (let p = 0; p < 3; p++) expect(v.partitionState("t", p)?.isr).not.toContain(x);
    // The zombie does not know yet: nothing told it.
    expect(c.broker(x).sessionsLost).toBe(0);
    expect(c.broker(x).cp.brokerEpoch).toBe(epoch0);
    c.rt.network.healAll();
    runTo(c, 2000 + 21000 + 7000); // its next ping (every 6 s) meets zk.expired
    expect(c.broker(x).sessionsLost).toBe(1);
    expect(c.broker(x).registrations).toHaveLength(2);
    expect(c.broker(x).cp.brokerEpoch).toBeGreaterThan(epoch0);
    expect(v.liveBrokers()).toContain(x);
    // The controller treats it as a new incarnation and sends it its partitions with the new broker epoch.
    const last = c.broker(x).leaderAndIsr.at(-1);
    expect(last?.brokerEpoch).toBe(c.broker(x).cp.brokerEpoch);
  });
});

describe("offline partitions and unclean election (fact 10, 11; KIP-106)", () => {
  // t-0 replicas [1, 2, 3]; shrink its ISR to {1} with an AlterPartition from the leader, then kill 1.
  const assignment = new Map([["t-0", [1, 2, 3]]]);
  const topic = (unclean?: boolean): TopicSpec => ({ name: "t", partitions: 1, "replication.factor": 3, config: unclean === undefined ? {} : { "unclean.leader.election.enable": unclean } });

  function shrinkToLeaderThenKill(c: FakeCluster): void {
    const v = zkView(c.rt);
    const st = v.partitionState("t", 0);
    expect(st?.leader).toBe(1);
    const r = rawAlter(c, 1, { partition: 0, leaderEpoch: st?.leaderEpoch as number, newIsr: [1], partitionEpoch: st?.partitionEpoch as number });
    expect(r.error).toBe("NONE");
    c.rt.kill(brokerNode(1));
    runTo(c, usMs(c) + 20000);
  }

  it("unclean election off: no leader, ISR keeps its last member; the last in-sync replica's return brings it back", () => {
    const c = started({ topics: [topic()], assignment: new Map(assignment) });
    const v = zkView(c.rt);
    const epochBefore = v.partitionState("t", 0)?.leaderEpoch as number;
    shrinkToLeaderThenKill(c);
    expect(v.partitionState("t", 0)).toMatchObject({ leader: null, isr: [1], leaderEpoch: epochBefore + 1 });
    expect(events(c, "partition-offline")).toEqual([expect.objectContaining({ tp: "t-0", leaderEpoch: epochBefore + 1 })]);
    c.rt.restart(brokerNode(1));
    runTo(c, usMs(c) + 2000);
    expect(v.partitionState("t", 0)).toMatchObject({ leader: 1, isr: [1], leaderEpoch: epochBefore + 2 });
    expect(events(c, "leader-elected").at(-1)).toMatchObject({ tp: "t-0", leader: 1, unclean: false });
  });

  it("unclean election on (topic override beats the broker default): the first live replica leads with ISR = itself", () => {
    const c = started({ topics: [topic(true)], assignment: new Map(assignment) });
    shrinkToLeaderThenKill(c);
    expect(zkView(c.rt).partitionState("t", 0)).toMatchObject({ leader: 2, isr: [2] });
    expect(events(c, "leader-elected").at(-1)).toMatchObject({ tp: "t-0", leader: 2, unclean: true });
  });

  it("a topic override of false beats a broker default of true", () => {
    const c = started({ topics: [topic(false)], assignment: new Map(assignment), broker: { "unclean.leader.election.enable": true } });
    shrinkToLeaderThenKill(c);
    expect(zkView(c.rt).partitionState("t", 0)?.leader).toBeNull();
  });

  it("bug electOutOfSync: an out-of-sync replica is elected with unclean election off", () => {
    const c = started({ topics: [topic()], assignment: new Map(assignment), bugs: { electOutOfSync: true } });
    shrinkToLeaderThenKill(c);
    expect(zkView(c.rt).partitionState("t", 0)).toMatchObject({ leader: 2, isr: [2] });
  });
});

describe("AlterPartition (KafkaController.processAlterPartition, KIP-497; fact 9)", () => {
  function setup(): { c: FakeCluster; leader: number; follower: number; st: NonNullable<ReturnType<ReturnType<typeof zkView>["partitionState"]>> } {
    const c = started({ topics: [{ name: "t", partitions: 1, "replication.factor": 3, config: {} }], assignment: new Map([["t-0", [1, 2, 3]]]) });
    const st = zkView(c.rt).partitionState("t", 0);
    if (st === null) throw new Error("no state");
    return { c, leader: 1, follower: 3, st };
  }

  it("accepted: the ISR is CAS-written, the leader epoch is unchanged and the partition epoch is the new ZK version", () => {
    const { c, st } = setup();
    const r = rawAlter(c, 1, { partition: 0, leaderEpoch: st.leaderEpoch, newIsr: [1, 2], partitionEpoch: st.partitionEpoch });
    expect(r).toMatchObject({ error: "NONE", leaderEpoch: st.leaderEpoch, isr: [1, 2], partitionEpoch: st.partitionEpoch + 1 });
    expect(zkView(c.rt).partitionState("t", 0)).toEqual({ leader: 1, leaderEpoch: st.leaderEpoch, isr: [1, 2], partitionEpoch: st.partitionEpoch + 1 });
    // Brokers hear of the new ISR through update-metadata.
    expect(c.broker(2).updateMetadata.at(-1)?.partitions[0]?.isr).toEqual([1, 2]);
  });

  it("stale partition epoch → INVALID_UPDATE_VERSION (the ISR moved on since the leader read it)", () => {
    const { c, st } = setup();
    rawAlter(c, 1, { partition: 0, leaderEpoch: st.leaderEpoch, newIsr: [1, 2], partitionEpoch: st.partitionEpoch });
    const r = rawAlter(c, 1, { partition: 0, leaderEpoch: st.leaderEpoch, newIsr: [1], partitionEpoch: st.partitionEpoch });
    expect(r.error).toBe("INVALID_UPDATE_VERSION");
    expect(zkView(c.rt).partitionState("t", 0)?.isr).toEqual([1, 2]);
    expect(events(c, "isr-change-rejected")).toEqual([expect.objectContaining({ tp: "t-0", broker: 1, reason: "INVALID_UPDATE_VERSION" })]);
  });

  it("lower leader epoch → FENCED_LEADER_EPOCH (a deposed leader)", () => {
    const { c } = setup();
    const v = zkView(c.rt);
    // Kill the leader's peer 3 so the controller bumps the leader epoch (ISR shrink by the controller).
    c.rt.kill(brokerNode(3));
    runTo(c, usMs(c) + 20000);
    const st = v.partitionState("t", 0);
    expect(st?.leaderEpoch).toBe(1);
    const r = rawAlter(c, 1, { partition: 0, leaderEpoch: 0, newIsr: [1], partitionEpoch: st?.partitionEpoch as number });
    expect(r.error).toBe("FENCED_LEADER_EPOCH");
  });

  it("stale broker epoch → STALE_BROKER_EPOCH (a zombie whose session expired)", () => {
    const { c, st } = setup();
    const r = rawAlter(c, 1, { brokerEpoch: c.broker(1).cp.brokerEpoch - 1, partition: 0, leaderEpoch: st.leaderEpoch, newIsr: [1], partitionEpoch: st.partitionEpoch });
    expect(r.error).toBe("STALE_BROKER_EPOCH");
    expect(zkView(c.rt).partitionState("t", 0)?.isr).toEqual(st.isr);
  });

  it("adding a broker that is not alive → INELIGIBLE_REPLICA (KAFKA-7128)", () => {
    const { c } = setup();
    c.rt.kill(brokerNode(3));
    runTo(c, usMs(c) + 20000);
    const st = zkView(c.rt).partitionState("t", 0);
    expect(st?.isr).toEqual([1, 2]);
    const r = rawAlter(c, 1, { partition: 0, leaderEpoch: st?.leaderEpoch as number, newIsr: [1, 2, 3], partitionEpoch: st?.partitionEpoch as number });
    expect(r.error).toBe("INELIGIBLE_REPLICA");
  });

  it("sent to a broker that is not the controller → NOT_CONTROLLER", () => {
    const { c, st } = setup();
    const ctl = zkView(c.rt).controller() as number;
    const other = [1, 2, 3].find((b) => b !== ctl) as number;
    expect(rawAlter(c, 1, { partition: 0, leaderEpoch: st.leaderEpoch, newIsr: [1], partitionEpoch: st.partitionEpoch }, other).error).toBe("NOT_CONTROLLER");
  });

  it("requestIsrChange: answered once; a zombie's request keeps failing with STALE_BROKER_EPOCH until it re-registers", () => {
    const { c, v, ctl, x, p, st } = leaderOtherThanController();
    c.rt.inject(brokerNode(x), (_a, ctx) => c.broker(x).requestIsrChange(ctx, { topic: "t", partition: p, leaderEpoch: st.leaderEpoch, newIsr: [x, ctl], partitionEpoch: st.partitionEpoch }));
    runTo(c, usMs(c) + 100);
    expect(c.broker(x).isrResults).toEqual([{ error: "NONE", leaderEpoch: st.leaderEpoch, isr: [x, ctl], partitionEpoch: st.partitionEpoch + 1 }]);
    // Cut leader x off from the coordinator (not from the controller): it becomes a zombie.
    c.rt.network.partition([[c.index(COORDINATOR_NODE)], [c.index(brokerNode(x))]]);
    runTo(c, usMs(c) + 21000);
    expect(v.partitionState("t", p)?.leader).toBe(ctl);
    c.rt.inject(brokerNode(x), (_a, ctx) => c.broker(x).requestIsrChange(ctx, { topic: "t", partition: p, leaderEpoch: st.leaderEpoch, newIsr: [x], partitionEpoch: st.partitionEpoch + 1 }));
    runTo(c, usMs(c) + 3000);
    expect(c.broker(x).isrResults).toHaveLength(1); // still pending: retried with its stale epoch
    expect(c.broker(x).cp.hasPendingIsrChange("t", p)).toBe(true);
    expect(events(c, "isr-change-rejected").filter((e) => e.reason === "STALE_BROKER_EPOCH").length).toBeGreaterThan(5);
    // Heal: it re-registers; the retry now carries the new epoch and meets the newer leader epoch.
    c.rt.network.healAll();
    runTo(c, usMs(c) + 7000);
    expect(c.broker(x).isrResults.at(-1)?.error).toBe("FENCED_LEADER_EPOCH");
  });
});

describe("a deposed controller (KafkaZkClient: every state write checks /controller_epoch's zkVersion)", () => {
  /** Another controller took over: /controller_epoch is bumped behind the current controller's back (it has not
   *  heard yet — its watch on /controller has not fired). */
  function bumpControllerEpoch(c: FakeCluster): void {
    c.rt.inject(COORDINATOR_NODE, (actor) => {
      if (!(actor instanceof CoordinatorActor)) throw new Error("coordinator down");
      const node = actor.store.node(CONTROLLER_EPOCH_PATH);
      const sid = actor.store.ownerOf(brokerIdPath(1)) as number;
      const { outcome } = actor.store.multi(sid, 9_999_999, [{ op: "set", path: CONTROLLER_EPOCH_PATH, data: (node?.data as number) + 1, version: node?.version as number }]);
      if (outcome.error !== "NONE") throw new Error(outcome.error);
    });
  }

  it("its partition-state write after a broker failure fails the epoch check: it resigns and the change is not applied", () => {
    const c = started();
    const v = zkView(c.rt);
    const ctl = v.controller() as number;
    const victim = [1, 2, 3].find((b) => b !== ctl) as number;
    const before = [0, 1, 2].map((p) => v.partitionState("t", p));
    expect(before.every((st) => st?.isr.includes(victim))).toBe(true);
    bumpControllerEpoch(c);
    expect(v.controllerEpoch()).toBe(2);
    c.rt.pause(brokerNode(victim)); // it does not re-register meanwhile
    expect(expireSession(c.rt, victim)).toBe(true); // the controller's BrokerChange computes ISR shrinks / elections
    runTo(c, usMs(c) + 500);
    expect(v.liveBrokers()).not.toContain(victim);
    expect(c.broker(ctl).cp.isController).toBe(false); // ControllerMovedException: resigned
    expect([0, 1, 2].map((p) => v.partitionState("t", p))).toEqual(before); // nothing written
    expect(events(c, "isr-shrink")).toEqual([]);
    expect(events(c, "leader-elected").filter((e) => e.leaderEpoch > 0)).toEqual([]);
    // nor told to any broker
    for (const b of [1, 2, 3].filter((x) => x !== victim)) expect(c.broker(b).leaderAndIsr.every((m) => m.partitions.every((x) => x.leaderEpoch === 0))).toBe(true);
  });

  it("its AlterPartition write fails the epoch check too: NOT_CONTROLLER, it resigns, the ISR is unchanged", () => {
    const c = started({ topics: [{ name: "t", partitions: 1, "replication.factor": 3, config: {} }], assignment: new Map([["t-0", [1, 2, 3]]]) });
    const v = zkView(c.rt);
    const st = v.partitionState("t", 0);
    if (st === null) throw new Error("no state");
    const ctl = v.controller() as number;
    bumpControllerEpoch(c);
    const r = rawAlter(c, 1, { partition: 0, leaderEpoch: st.leaderEpoch, newIsr: [1, 2], partitionEpoch: st.partitionEpoch });
    expect(r.error).toBe("NOT_CONTROLLER");
    expect(v.partitionState("t", 0)).toEqual(st);
    expect(c.broker(ctl).cp.isController).toBe(false);
  });
});

describe("AlterPartition and the controller's connection", () => {
  it("a request lost when the controller closes the connection is re-sent on the disconnect, not after controller.socket.timeout.ms", () => {
    const { c, ctl, x, p, st } = leaderOtherThanController();
    const [xi, ci] = [c.index(brokerNode(x)), c.index(brokerNode(ctl))];
    c.rt.network.hold(xi, ci);
    c.rt.inject(brokerNode(x), (_a, ctx) => c.broker(x).requestIsrChange(ctx, { topic: "t", partition: p, leaderEpoch: st.leaderEpoch, newIsr: [x, ctl], partitionEpoch: st.partitionEpoch }));
    runTo(c, usMs(c) + 10);
    // The controller closes its connection to x: x's request, held on the way, is lost with it.
    c.rt.inject(brokerNode(ctl), (_a, ctx) => ctx.closeConnection(brokerNode(x)));
    runTo(c, usMs(c) + 10);
    c.rt.network.release(xi, ci);
    runTo(c, usMs(c) + 100);
    expect(c.broker(x).isrResults).toEqual([{ error: "NONE", leaderEpoch: st.leaderEpoch, isr: [x, ctl], partitionEpoch: st.partitionEpoch + 1 }]);
  });

  it("a request to a dead controller (connection refused) is re-sent after reconnect.backoff.ms, not in a loop at each refusal", () => {
    const { c, ctl, x, p, st } = leaderOtherThanController();
    c.rt.kill(brokerNode(ctl));
    c.rt.inject(brokerNode(x), (_a, ctx) => c.broker(x).requestIsrChange(ctx, { topic: "t", partition: p, leaderEpoch: st.leaderEpoch, newIsr: [x, ctl], partitionEpoch: st.partitionEpoch }));
    const before = c.rt.network.stats.droppedDown;
    runTo(c, usMs(c) + 1000);
    const refused = c.rt.network.stats.droppedDown - before;
    expect(refused).toBeGreaterThanOrEqual(1000 / RECONNECT_BACKOFF_MS - 2);
    expect(refused).toBeLessThanOrEqual(1000 / RECONNECT_BACKOFF_MS + 2);
    expect(c.broker(x).cp.hasPendingIsrChange("t", p)).toBe(true);
  });
});

describe("the ZooKeeper client's connection (ZooKeeper ClientCnxn)", () => {
  it("after its read timeout (2/3 of the session timeout) it drops the silent connection and re-attaches on a new one: an 11 s cut from ZooKeeper does not expire an 18 s session", () => {
    const c = started();
    const epoch = c.broker(2).cp.brokerEpoch;
    runTo(c, 3000);
    c.rt.network.partition([[c.index(COORDINATOR_NODE)], [c.index(brokerNode(2))]]);
    runTo(c, 14_000);
    c.rt.network.healAll();
    runTo(c, 44_000);
    // On the old connection the retransmissions back off: the first one after the heal would come after the
    // session's expiry. The new connection's ping gets through in time.
    expect(events(c, "session-expired")).toEqual([]);
    expect(c.broker(2).sessionsLost).toBe(0);
    expect(c.broker(2).cp.brokerEpoch).toBe(epoch);
  });
});

describe("lifecycle details", () => {
  it("a broker restarted within the session timeout registers only once its old session is gone, with a new epoch", () => {
    const c = started();
    const v = zkView(c.rt);
    const old = v.brokerEpoch(2);
    c.rt.kill(brokerNode(2));
    runTo(c, 3000);
    c.rt.restart(brokerNode(2));
    runTo(c, 10_000);
    // KafkaZkClient.registerBroker: /brokers/ids/2 still belongs to the dead incarnation's session.
    expect(c.broker(2).registrations).toEqual([]);
    expect(v.brokerEpoch(2)).toBe(old);
    runTo(c, 2000 + 18000 + 1000);
    expect(c.broker(2).registrations).toHaveLength(1);
    expect(c.broker(2).registrations[0]).toBeGreaterThan(old);
    expect(c.broker(2).registrations[0]).toBe(v.brokerEpoch(2));
    // The controller saw it die and come back: it is sent its partitions with the new broker epoch.
    expect(c.broker(2).leaderAndIsr.at(-1)?.brokerEpoch).toBe(v.brokerEpoch(2));
  });

  it("a restarted broker drops controller requests meant for its previous incarnation until it registers (KafkaServer.startup)", () => {
    const c = started();
    const v = zkView(c.rt);
    const ctl = v.controller() as number;
    const x = [1, 2, 3].find((b) => b !== ctl) as number;
    c.rt.kill(brokerNode(x));
    runTo(c, 3000);
    c.rt.restart(brokerNode(x));
    // A controller failover now sends leader-and-isr to every broker it believes live, x's old session included.
    expect(expireSession(c.rt, ctl)).toBe(true);
    runTo(c, 5000);
    expect(v.controllerEpoch()).toBe(2);
    expect(c.broker(x).registrations).toEqual([]);
    expect(c.broker(x).leaderAndIsr).toEqual([]);
    expect(c.broker(x).updateMetadata).toEqual([]);
    runTo(c, 2000 + 18000 + 1000);
    expect(c.broker(x).registrations).toHaveLength(1);
    expect(c.broker(x).leaderAndIsr.length).toBeGreaterThan(0);
    expect(c.broker(x).leaderAndIsr.every((m) => m.brokerEpoch === c.broker(x).cp.brokerEpoch)).toBe(true);
  });

  it("a leader-and-isr unanswered for controller.socket.timeout.ms is sent again on a new connection (the NetworkClient closes the old one); after the heal both arrive, the current state wins", () => {
    const c = started({ assignment: new Map([["t-0", [1, 2, 3]], ["t-1", [2, 3, 1]], ["t-2", [3, 1, 2]]]) });
    const v = zkView(c.rt);
    const ctl = v.controller() as number;
    const [a, b] = [1, 2, 3].filter((x) => x !== ctl) as [number, number];
    c.rt.network.partition([[c.index(brokerNode(ctl))], [c.index(brokerNode(b))]]);
    const seen = c.broker(b).leaderAndIsr.length;
    c.rt.kill(brokerNode(a));
    runTo(c, 2000 + 21000);
    expect(v.liveBrokers()).not.toContain(a);
    runTo(c, 2000 + 21000 + 31000); // still cut when the request times out
    expect(c.broker(b).leaderAndIsr.length).toBe(seen);
    c.rt.network.healAll();
    runTo(c, 2000 + 21000 + 31000 + 130_000);
    const got = c.broker(b).leaderAndIsr.slice(seen).flatMap((m) => m.partitions);
    // Every partition b replicates whose state changed because a died reaches b, in its current state, twice:
    // from the closed connection (its kernel still retransmits) and from the new one.
    for (let p = 0; p < 3; p++) {
      const st = v.partitionState("t", p);
      const mine = got.filter((x) => x.partition === p);
      if (mine.length === 0) continue;
      expect(mine.length).toBeGreaterThanOrEqual(2);
      expect(mine.at(-1)?.leaderEpoch).toBe(st?.leaderEpoch);
      expect(mine.at(-1)?.isr).toEqual(st?.isr);
    }
    expect(got.length).toBeGreaterThan(0);
  });

  it("a leader-and-isr sent into a partition reaches the broker at TCP's next retransmission after the heal, not after the 30 s request timeout", () => {
    const c = started({ assignment: new Map([["t-0", [1, 2, 3]], ["t-1", [2, 3, 1]], ["t-2", [3, 1, 2]]]) });
    const v = zkView(c.rt);
    const ctl = v.controller() as number;
    const [a, b] = [1, 2, 3].filter((x) => x !== ctl) as [number, number];
    c.rt.network.partition([[c.index(brokerNode(ctl))], [c.index(brokerNode(b))]]);
    const seen = c.broker(b).leaderAndIsr.length;
    c.rt.kill(brokerNode(a));
    runTo(c, 2000 + 21000); // a's session expired: the controller moved its partitions and told b, into the cut
    expect(c.broker(b).leaderAndIsr.length).toBe(seen);
    c.rt.network.healAll();
    runTo(c, usMs(c) + 5000); // the cut began at 2 s: the retransmissions after it are at 25.4 and 27.4 s
    const got = c.broker(b).leaderAndIsr.slice(seen).flatMap((m) => m.partitions);
    expect(got.length).toBeGreaterThan(0);
    for (const x of got) expect(x.leaderEpoch).toBe(v.partitionState("t", x.partition)?.leaderEpoch);
    expect(c.rt.network.stats.droppedBroken).toBe(0); // no connection was closed for a timeout
  });

  it("requests in flight on a connection that breaks are sent again after the back-off (RequestSendThread: close, backoff, resend)", () => {
    const c = started({ assignment: new Map([["t-0", [1, 2, 3]], ["t-1", [2, 3, 1]], ["t-2", [3, 1, 2]]]) });
    const v = zkView(c.rt);
    const ctl = v.controller() as number;
    const [a, b] = [1, 2, 3].filter((x) => x !== ctl) as [number, number];
    // What the controller sends b is held on the wire; b then resets the controller's connection (as a
    // restarting network stack would): the held requests are lost with it.
    c.rt.network.hold(c.index(brokerNode(ctl)), c.index(brokerNode(b)));
    const seen = c.broker(b).leaderAndIsr.length;
    c.rt.kill(brokerNode(a));
    expireSession(c.rt, a);
    runTo(c, usMs(c) + 200);
    c.rt.inject(brokerNode(b), (_x, ctx) => ctx.closeConnection(brokerNode(ctl), { side: "server", kind: CONN_CONTROLLER }));
    c.rt.network.release(c.index(brokerNode(ctl)), c.index(brokerNode(b)));
    const closedAt = usMs(c);
    runTo(c, closedAt + CONTROLLER_RETRY_BACKOFF_MS + 10);
    const got = c.broker(b).leaderAndIsr.slice(seen).flatMap((m) => m.partitions);
    expect(got.length).toBeGreaterThan(0);
    for (const x of got) expect(x.leaderEpoch).toBe(v.partitionState("t", x.partition)?.leaderEpoch);
  });

  it("a replica that is down at start-up: its partitions are created after the grace period without it", () => {
    const c = fakeCluster({ assignment: new Map([["t-0", [3, 1, 2]], ["t-1", [1, 2, 3]], ["t-2", [2, 3, 1]]]) });
    c.rt.startAll();
    c.rt.kill(brokerNode(3));
    runTo(c, 500);
    const v = zkView(c.rt);
    expect(v.partitionState("t", 0)).toBeNull(); // waiting for broker 3 (an admin creates topics on a full cluster)
    runTo(c, 3000);
    expect(v.partitionState("t", 0)).toEqual({ leader: 1, leaderEpoch: 0, isr: [1, 2], partitionEpoch: 0 });
    expect(v.partitionState("t", 1)).toEqual({ leader: 1, leaderEpoch: 0, isr: [1, 2], partitionEpoch: 0 });
  });

  it("is deterministic: same seed, same faults → same trace hash", () => {
    const hash = (seed: number) => {
      const c = fakeCluster({ seed });
      c.rt.startAll();
      c.rt.call(msToUs(3000), () => c.rt.kill(brokerNode(1)));
      c.rt.call(msToUs(9000), () => c.rt.network.partition([[c.index(COORDINATOR_NODE)], [c.index(brokerNode(2))]]));
      c.rt.call(msToUs(40_000), () => c.rt.network.healAll());
      c.rt.call(msToUs(41_000), () => c.rt.restart(brokerNode(1)));
      runTo(c, 80_000);
      return c.rt.trace.traceHash;
    };
    expect(hash(5)).toBe(hash(5));
    expect(hash(5)).not.toBe(hash(6));
  });
});
