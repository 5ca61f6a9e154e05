// The replica invariants of the formal models (properties/replica-invariants.ts), checked before every event of
// the real cluster under drawn faults: kills, restarts, isolations, pauses, session expiries, one-way cuts and
// bursts larger than one fetch response (MAX_FETCH_RECORDS). The rules they rest on (maximal ISR, HW never
// backwards, follower HW, KAFKA-7128's expansion condition, epoch fencing, KIP-320) each have their own tests on
// the replica manager; this is the second, independent level: if one of those rules is broken, some drawn run
// breaks an invariant here. Protocols 2.7 and 3.7, clean elections, no power loss (facts 11, 27).
import { describe, it, expect } from "vitest";
import fc from "fast-check";
import { RealCluster } from "../sim/broker/testkit.ts";
import { brokerNode } from "../sim/core/ids.ts";
import { expireSession } from "../sim/coordinator/coordinator.ts";
import type { ProtocolVersion } from "../sim/kafka/config.ts";
import { MAX_FETCH_RECORDS } from "../sim/broker/replica/state.ts";
import { ReplicaInvariants } from "./replica-invariants.ts";
import { seedFor } from "./seeds.ts";

type Action =
  | { readonly kind: "kill" | "restart" | "isolate" | "pause" | "resume" | "expire-session"; readonly broker: number }
  | { readonly kind: "cut"; readonly from: number; readonly to: number }
  | { readonly kind: "slow"; readonly from: number; readonly to: number; readonly factor: number }
  | { readonly kind: "slow-controller"; readonly factor: number }
  | { readonly kind: "heal" }
  | { readonly kind: "burst"; readonly records: number };

interface Step {
  readonly atMs: number;
  readonly action: Action;
}

interface Run {
  readonly protocol: ProtocolVersion;
  /** Uniform latencies between brokers instead of a constant 0.5 ms: followers' fetches no longer arrive in step. */
  readonly jitter: boolean;
  readonly minIsr: number;
  readonly steps: readonly Step[];
}

const BROKERS = [1, 2, 3] as const;
const WORKLOAD_MS = 6000;
const DRAIN_MS = 3000;
const TPS = [0, 1].map((partition) => ({ topic: "t", partition, key: `t-${partition}` }));

const broker = fc.constantFrom(...BROKERS);
const actionArb: fc.Arbitrary<Action> = fc.oneof(
  fc.record({ kind: fc.constantFrom("kill", "restart", "isolate", "pause", "resume", "expire-session"), broker }),
  fc.record({ kind: fc.constant("cut"), from: broker, to: broker }).filter((a) => a.from !== a.to),
  fc.record({ kind: fc.constant("slow"), from: broker, to: broker, factor: fc.integer({ min: 2, max: 40 }) }).filter((a) => a.from !== a.to),
  // the controller's answers (AlterPartition, leader-and-isr) slowed down: ISR changes stay pending for a while
  fc.record({ kind: fc.constant("slow-controller"), factor: fc.integer({ min: 10, max: 100 }) }),
  fc.record({ kind: fc.constant("heal") }),
  fc.record({ kind: fc.constant("burst"), records: fc.integer({ min: MAX_FETCH_RECORDS + 1, max: MAX_FETCH_RECORDS + 4000 }) }),
) as fc.Arbitrary<Action>;
const runArb: fc.Arbitrary<Run> = fc.record({
  protocol: fc.constantFrom<ProtocolVersion>("2.7", "3.7"),
  jitter: fc.boolean(),
  minIsr: fc.constantFrom(1, 2),
  steps: fc.array(fc.record({ atMs: fc.integer({ min: 0, max: WORKLOAD_MS }), action: actionArb }), { minLength: 1, maxLength: 10 }).map((s) => [...s].sort((a, b) => a.atMs - b.atMs)),
});

function describeRun(r: Run): string {
  return `protocol ${r.protocol}, min.insync.replicas ${r.minIsr}${r.jitter ? ", jitter" : ""}: ${r.steps.map((s) => `${s.atMs} ms ${JSON.stringify(s.action)}`).join("; ")}`;
}

/** Run one drawn schedule; returns the invariants' monitor. */
export function runInvariants(r: Run): ReplicaInvariants {
  const c = new RealCluster({
    protocol: r.protocol,
    topics: [{ name: "t", partitions: 2 }],
    broker: {
      "min.insync.replicas": r.minIsr,
      "zookeeper.session.timeout.ms": 2000,
      "replica.lag.time.max.ms": 500,
      "replica.fetch.wait.max.ms": 100,
      "replica.fetch.backoff.ms": 50,
      "replica.socket.timeout.ms": 1000,
    },
  }).start();
  const inv = new ReplicaInvariants(c, TPS);
  const rt = c.rt;
  const node = (b: number): number => rt.index(brokerNode(b));
  if (r.jitter) for (const a of BROKERS) for (const b of BROKERS) if (a !== b) rt.network.setLatency(node(a), node(b), { dist: "uniform", minMs: 0.1, maxMs: 2 });
  const t0 = rt.nowUs;
  let value = 0;
  // the workload: an acks=all write to each partition's leader (as the controller has it) every 5 ms
  for (let t = 0; t < WORKLOAD_MS; t += 5) {
    rt.call(t0 + t * 1000, () => {
      for (const tp of TPS) {
        const leader = c.leaderOf(tp.topic, tp.partition);
        if (leader !== null) c.produce(leader, [value++, value++], { partition: tp.partition, timeoutMs: 1000 });
      }
    });
  }
  for (const s of r.steps) {
    rt.call(t0 + s.atMs * 1000, () => {
      const a = s.action;
      switch (a.kind) {
        case "kill":
        case "restart":
        case "pause":
        case "resume": {
          const status = rt.status(brokerNode(a.broker));
          if (a.kind === "kill" && (status === "up" || status === "paused")) rt.kill(brokerNode(a.broker));
          else if (a.kind === "restart" && status === "killed") rt.restart(brokerNode(a.broker));
          else if (a.kind === "pause" && status === "up") rt.pause(brokerNode(a.broker));
          else if (a.kind === "resume" && status === "paused") rt.resume(brokerNode(a.broker));
          return;
        }
        case "isolate":
          rt.network.isolate(node(a.broker));
          return;
        case "expire-session":
          expireSession(rt, a.broker);
          return;
        case "cut":
          rt.network.blockOneWay(node(a.from), node(a.to));
          return;
        case "slow":
          rt.network.slow(node(a.from), node(a.to), a.factor);
          return;
        case "slow-controller": {
          const ctl = c.zk.controller();
          if (ctl !== null) for (const b of BROKERS) if (b !== ctl) rt.network.slow(node(ctl), node(b), a.factor);
          return;
        }
        case "heal":
          rt.network.healAll();
          return;
        case "burst": {
          // acks=1: one request far larger than a fetch response, so lagging followers catch up in capped steps
          const leader = c.leaderOf("t", 0);
          if (leader !== null) c.produce(leader, Array.from({ length: a.records }, () => value++), { acks: 1, timeoutMs: 1000 });
          return;
        }
      }
    });
  }
  // then heal, restart and resume everything, and let the cluster settle
  rt.call(t0 + WORKLOAD_MS * 1000 + 1, () => {
    rt.network.healAll();
    for (const b of BROKERS) {
      const status = rt.status(brokerNode(b));
      if (status === "killed") rt.restart(brokerNode(b));
      else if (status === "paused") rt.resume(brokerNode(b));
    }
  });
  inv.run(WORKLOAD_MS + DRAIN_MS);
  return inv;
}

describe("replica invariants on the real cluster under drawn faults (facts 3–5, 8, 28, 29)", () => {
  it("follower HW ≤ its LEO, leader HW never backwards, StrongIsr over the maximal ISR, committed records on the controller's ISR, log matching — before every event", () => {
    let runs = 0;
    let checks = 0;
    fc.assert(
      fc.property(runArb, (r) => {
        runs++;
        const inv = runInvariants(r);
        checks += inv.checks;
        const v = inv.violations[0];
        if (v !== undefined) throw new Error(`${v.invariant} at ${(v.timeUs / 1000).toFixed(3)} ms: ${v.text}\n${describeRun(r)}`);
      }),
      { seed: seedFor("replica invariants"), numRuns: 30 },
    );
    expect(runs).toBe(30);
    console.log(`replica invariants: ${runs} runs, ${checks} checks`);
  });
});
