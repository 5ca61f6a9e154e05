import { describe, it, expect } from "vitest";
import { fakeCluster } from "../broker/control/fake-broker.ts";
import type { FakeCluster } from "../broker/control/fake-broker.ts";
import { expireSession, zkView } from "./coordinator.ts";
import { COORDINATOR_NODE, brokerNode } from "../core/ids.ts";
import { msToUs } from "../core/time.ts";

// The coordinator node on a real runtime with fake brokers (a ControlPlane in a minimal actor).
const runTo = (c: FakeCluster, ms: number) => c.rt.runUntil(msToUs(ms));
const expired = (c: FakeCluster) => c.rt.trace.events.filter((e) => e.type === "session-expired");

function started(): FakeCluster {
  const c = fakeCluster();
  c.rt.startAll();
  runTo(c, 2000);
  return c;
}

describe("coordinator sessions (ZooKeeper session expiry; KafkaZkClient.registerBroker, fact 25)", () => {
  it("a silent client's session expires after zookeeper.session.timeout.ms and its ephemeral node vanishes", () => {
    const c = started();
    const v = zkView(c.rt);
    expect(v.liveBrokers()).toEqual([1, 2, 3]);
    c.rt.kill(brokerNode(2));
    // Pings come every 6 s, so the last one was ≤ 6 s before the kill: the session lives ≥ 12 s more.
    runTo(c, 2000 + 11900);
    expect(v.liveBrokers()).toEqual([1, 2, 3]);
    expect(expired(c)).toEqual([]);
    runTo(c, 2000 + 18000 + 400); // at most timeout + one expiry tick (200 ms)
    expect(v.liveBrokers()).toEqual([1, 3]);
    expect(v.brokerEpoch(2)).toBe(-1);
    expect(expired(c)).toEqual([expect.objectContaining({ type: "session-expired", broker: 2 })]);
  });

  it("heartbeats keep a live broker's session for as long as it runs", () => {
    const c = started();
    const epochs = [1, 2, 3].map((b) => zkView(c.rt).brokerEpoch(b));
    runTo(c, 120_000);
    expect(expired(c)).toEqual([]);
    expect([1, 2, 3].map((b) => zkView(c.rt).brokerEpoch(b))).toEqual(epochs);
  });

  it("expireSession expires a broker's session now; the broker learns it (zk.expired) and re-registers with a larger epoch", () => {
    const c = started();
    const v = zkView(c.rt);
    const before = v.brokerEpoch(3);
    expect(expireSession(c.rt, 3)).toBe(true);
    expect(v.liveBrokers()).toEqual([1, 2]);
    runTo(c, 2100);
    expect(c.broker(3).sessionsLost).toBe(1);
    expect(c.broker(3).registrations).toEqual([before, v.brokerEpoch(3)]);
    expect(v.brokerEpoch(3)).toBeGreaterThan(before);
    expect(expireSession(c.rt, 9)).toBe(false); // no such registration
  });

  it("the store is durable: a killed or powered-off coordinator restarts with every node, and sessions survive", () => {
    for (const how of ["kill", "power"] as const) {
      const c = started();
      const v = zkView(c.rt);
      const ctl = v.controller();
      const epochs = [1, 2, 3].map((b) => v.brokerEpoch(b));
      c.rt.lifecycle(how, COORDINATOR_NODE);
      // Views read the disk while it is down.
      expect(v.controller()).toBe(ctl);
      runTo(c, 2000 + 30_000); // down longer than the session timeout
      c.rt.restart(COORDINATOR_NODE);
      runTo(c, 2000 + 30_000 + 40_000);
      // Session clocks restarted at the restart; clients kept pinging, so nobody expired.
      expect(expired(c)).toEqual([]);
      expect(v.controller()).toBe(ctl);
      expect([1, 2, 3].map((b) => v.brokerEpoch(b))).toEqual(epochs);
      expect(v.partitionState("t", 0)?.leaderEpoch).toBe(0);
    }
  });

  it("a coordinator pause longer than the timeout does not expire the sessions whose pings were queued", () => {
    const c = started();
    c.rt.pause(COORDINATOR_NODE);
    runTo(c, 2000 + 30_000);
    c.rt.resume(COORDINATOR_NODE);
    runTo(c, 2000 + 30_000 + 30_000);
    expect(expired(c)).toEqual([]);
    expect(zkView(c.rt).liveBrokers()).toEqual([1, 2, 3]);
  });

  it("a watch notification lost on a broken connection is re-sent after the next ping (ZooKeeper SetWatches on reconnect)", () => {
    const c = started();
    const v = zkView(c.rt);
    const ctl = v.controller() as number;
    const x = [1, 2, 3].find((b) => b !== ctl) as number;
    const led = [0, 1, 2].filter((p) => v.partitionState("t", p)?.leader === x);
    c.rt.kill(brokerNode(x));
    // Cut the controller off from the coordinator while x's session expires (but not long enough for its own).
    c.rt.call(msToUs(2000 + 11_000), () => c.rt.network.partition([[c.index(COORDINATOR_NODE)], [c.index(brokerNode(ctl))]]));
    runTo(c, 2000 + 19_500);
    expect(v.liveBrokers()).not.toContain(x);
    c.rt.network.healAll();
    runTo(c, 2000 + 19_600);
    for (const p of led) expect(v.partitionState("t", p)?.leader).toBe(x); // the controller has not heard
    runTo(c, 2000 + 19_500 + 6_500);
    for (const p of led) expect(v.partitionState("t", p)?.leader).not.toBe(x);
    expect(expired(c)).toHaveLength(1);
  });

  it("broker epochs are the creation zxids of /brokers/ids/<id>: distinct, and what each broker was told", () => {
    const c = started();
    const v = zkView(c.rt);
    const regs = c.rt.trace.events.filter((e) => e.type === "broker-registered") as { broker: number; brokerEpoch: number }[];
    expect(regs).toHaveLength(3);
    for (const r of regs) {
      expect(r.brokerEpoch).toBe(v.brokerEpoch(r.broker));
      expect(c.broker(r.broker).cp.brokerEpoch).toBe(r.brokerEpoch);
    }
    expect(new Set(regs.map((r) => r.brokerEpoch)).size).toBe(3);
  });
});
