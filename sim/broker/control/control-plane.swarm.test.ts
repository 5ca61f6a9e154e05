import { describe, it, expect } from "vitest";
import { fakeCluster } from "./fake-broker.ts";
import { expireSession, zkView } from "../../coordinator/coordinator.ts";
import { COORDINATOR_NODE, brokerNode, brokerOfNode } from "../../core/ids.ts";
import type { NodeId } from "../../core/ids.ts";
import { Rng } from "../../core/rng.ts";
import { msToUs } from "../../core/time.ts";

// Random fault schedules against the control plane alone (fake brokers: no data plane, so leaders never ask
// to expand the ISR). Safety is checked on the trace, convergence after healing everything.
type Fault = { atMs: number; what: string; run: () => void };

function schedule(c: ReturnType<typeof fakeCluster>, rng: Rng): Fault[] {
  const nodes: NodeId[] = [COORDINATOR_NODE, brokerNode(1), brokerNode(2), brokerNode(3)];
  const faults: Fault[] = [];
  for (let i = 0; i < 8; i++) {
    const atMs = rng.int(1_000, 90_000);
    const node = rng.pick(nodes);
    const other = rng.pick(nodes.filter((n) => n !== node));
    const kind = rng.pick(["kill", "power", "restart", "pause", "resume", "isolate", "cut-zk", "split", "oneway", "heal", "expire"] as const);
    const run = (): void => {
      switch (kind) {
        case "kill":
        case "power":
        case "restart":
        case "pause":
        case "resume":
          c.rt.lifecycle(kind, node);
          return;
        case "isolate":
          c.rt.network.isolate(c.index(node));
          return;
        case "cut-zk":
          if (node !== COORDINATOR_NODE) c.rt.network.partition([[c.index(COORDINATOR_NODE)], [c.index(node)]]);
          return;
        case "split":
          c.rt.network.partition([[c.index(node)], [c.index(other)]]);
          return;
        case "oneway":
          c.rt.network.blockOneWay(c.index(node), c.index(other));
          return;
        case "heal":
          c.rt.network.healAll();
          return;
        case "expire":
          if (node !== COORDINATOR_NODE) expireSession(c.rt, brokerOfNode(node) as number);
          return;
      }
    };
    faults.push({ atMs, what: `${kind} ${node}${kind === "split" || kind === "oneway" ? ` ${other}` : ""}`, run });
  }
  return faults.sort((a, b) => a.atMs - b.atMs);
}

describe("control plane under random faults (swarm)", () => {
  it("keeps epochs monotonic and the ISR non-empty, and converges once every fault is healed", () => {
    for (let seed = 1; seed <= 40; seed++) {
      const c = fakeCluster({ seed, topics: [{ name: "t", partitions: 4, "replication.factor": 3, config: {} }] });
      const faults = schedule(c, new Rng(seed).fork("faults"));
      const where = `seed ${seed}: ${faults.map((f) => `${f.atMs}ms ${f.what}`).join(", ")}`;
      c.rt.startAll();
      for (const f of faults) c.rt.call(msToUs(f.atMs), f.run);
      c.rt.runUntil(msToUs(100_000));
      // Heal everything, bring every node back, and give the cluster two session timeouts plus the
      // controller's re-send timeout to settle.
      c.rt.network.healAll();
      for (const id of c.rt.ids) {
        if (c.rt.status(id) === "paused") c.rt.resume(id);
        else if (c.rt.status(id) !== "up") c.rt.restart(id);
      }
      c.rt.runUntil(msToUs(100_000 + 2 * 18_000 + 31_000));

      // Safety on the trace: controller epochs and per-partition leader epochs only grow; ISRs never empty.
      const ctlEpochs = c.rt.trace.events.filter((e) => e.type === "controller-elected").map((e) => e.controllerEpoch);
      expect(ctlEpochs, where).toEqual([...ctlEpochs].sort((a, b) => a - b));
      expect(new Set(ctlEpochs).size, where).toBe(ctlEpochs.length);
      const lastEpoch = new Map<string, number>();
      for (const e of c.rt.trace.events) {
        if (e.type !== "leader-elected" && e.type !== "partition-offline" && e.type !== "isr-shrink") continue;
        if (e.type === "isr-shrink" || e.type === "leader-elected") expect(e.isr.length, where).toBeGreaterThan(0);
        if (e.type === "isr-shrink") continue;
        const prev = lastEpoch.get(e.tp) ?? -1;
        expect(e.leaderEpoch, where).toBeGreaterThan(prev);
        lastEpoch.set(e.tp, e.leaderEpoch);
      }

      // Convergence: every broker registered, one controller all agree on, every partition led by an ISR
      // member, and every replica's latest leader-and-isr equal to the coordinator's state.
      const v = zkView(c.rt);
      expect(v.liveBrokers(), where).toEqual([1, 2, 3]);
      const ctl = v.controller();
      expect(ctl, where).not.toBeNull();
      for (let b = 1; b <= 3; b++) {
        expect(c.broker(b).cp.brokerEpoch, where).toBe(v.brokerEpoch(b));
        expect(c.broker(b).cp.controllerId, where).toBe(ctl);
        expect(c.broker(b).cp.isController, where).toBe(b === ctl);
      }
      for (let p = 0; p < 4; p++) {
        const st = v.partitionState("t", p);
        expect(st, where).not.toBeNull();
        expect(st?.leader, where).not.toBeNull();
        expect(st?.isr, where).toContain(st?.leader);
        for (const r of c.spec.assignment.get(`t-${p}`) ?? []) {
          const seen = c.broker(r).leaderAndIsr.flatMap((m) => m.partitions).filter((x) => x.partition === p).at(-1);
          expect({ leader: seen?.leader, leaderEpoch: seen?.leaderEpoch }, `${where}; broker ${r} t-${p}`).toEqual({ leader: st?.leader, leaderEpoch: st?.leaderEpoch });
        }
      }
    }
  });
});
