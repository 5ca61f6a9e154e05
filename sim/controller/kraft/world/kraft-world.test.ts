// The KRaft quorum under seeded faults: the Raft invariants over many seeds and over fast-check's fault
// schedules, liveness once healed, determinism, and the controller fencing brokers that stop heartbeating.
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import type { NodeId } from "../../../core/ids.ts";
import { Rng } from "../../../core/rng.ts";
import { msToUs } from "../../../core/time.ts";
import { buildKRaftWorld, runKRaftWorld, scheduleFaults } from "./kraft-world.ts";
import type { FaultKind, KRaftWorldOptions, QuorumFault } from "./kraft-world.ts";

const KINDS: readonly FaultKind[] = ["kill", "power", "stop", "pause", "isolate", "split"];

/** A fault schedule drawn from its own seeded stream (a few faults in the first 20 s). */
function drawnFaults(seed: number): QuorumFault[] {
  const rng = new Rng(seed, "kraft-faults");
  return Array.from({ length: rng.int(1, 6) }, () => ({ atMs: rng.int(0, 19_000), kind: rng.pick(KINDS), target: rng.int(0, 4), durationMs: rng.int(100, 8000) }));
}

/** After the drain: one active controller, every broker registered and unfenced, the topic led. */
function settled(opts: KRaftWorldOptions): { violations: readonly string[]; live: boolean } {
  const w = buildKRaftWorld(opts);
  scheduleFaults(w, opts.faults ?? []);
  w.rt.startAll();
  const create = (): void => {
    const b = w.brokerOf(w.brokers[0] as NodeId);
    if (b?.topics.has("orders") === true) return;
    b?.createTopic({ name: "orders", assignments: [[1, 2, 3]], configs: { "min.insync.replicas": 2 } });
    w.rt.call(w.rt.nowUs + msToUs(1000), create);
  };
  w.rt.call(msToUs(3000), create);
  w.rt.runUntil(msToUs(20_000));
  w.rt.network.healAll();
  for (const id of w.rt.ids) {
    w.rt.resume(id);
    w.rt.restart(id);
  }
  w.rt.runUntil(msToUs(35_000));
  w.invariants.checkAllHold(w.rt.nowUs, w.controllers);
  const leader = w.leader();
  const ctl = leader === undefined ? undefined : w.controllerOf(leader)?.controller;
  const p = ctl?.committed.partition("orders", 0);
  const live = ctl?.isActive === true && w.brokers.every((b) => w.brokerOf(b)?.fenced === false) && p !== undefined && p.leader >= 0;
  return { violations: w.invariants.violations, live };
}

describe("KRaft quorum under seeded faults", () => {
  it("keeps the Raft invariants and recovers once healed (60 seeds: 3 and 5 controllers, pre-vote on and off, ELR on and off)", () => {
    const failures: string[] = [];
    for (let seed = 1; seed <= 60; seed++) {
      const faults = drawnFaults(seed);
      const opts = { seed, faults, controllers: seed % 2 === 0 ? 5 : 3, preVote: seed % 3 !== 0, elrVersion: seed % 4 === 0 ? 0 : 1 } as const;
      const r = settled(opts);
      if (r.violations.length > 0 || !r.live) failures.push(`seed ${seed} ${JSON.stringify(faults)}: ${r.live ? "" : "not live; "}${r.violations.join("; ")}`);
    }
    expect(failures).toEqual([]);
  });

  it("fast-check: any schedule of kills, power losses, stops, pauses and partitions keeps them", () => {
    const fault = fc.record({
      atMs: fc.integer({ min: 0, max: 19_000 }),
      kind: fc.constantFrom(...KINDS),
      target: fc.integer({ min: 0, max: 4 }),
      durationMs: fc.integer({ min: 1, max: 9000 }),
    });
    fc.assert(
      fc.property(fc.array(fault, { maxLength: 8 }), fc.integer({ min: 1, max: 1_000_000 }), fc.boolean(), (faults, seed, preVote) => {
        const r = runKRaftWorld({ seed, faults, preVote, controllers: 3, brokers: 2 });
        expect(r.violations).toEqual([]);
        expect(r.finalLeader).toBeDefined();
      }),
      { seed: 4242, numRuns: 40 },
    );
  });

  it("is deterministic: the same seed gives the same trace hash, different seeds differ", () => {
    const run = (seed: number) => runKRaftWorld({ seed, faults: drawnFaults(seed), controllers: 3 });
    const a = run(7);
    expect(run(7)).toEqual(a);
    const hashes = new Set([1, 2, 3, 4, 5, 6, 7, 8].map((s) => run(s).traceHash));
    expect(hashes.size).toBe(8);
    // Shuffled same-time ties explore other interleavings, still deterministically.
    const shuffled = (seed: number) => runKRaftWorld({ seed, faults: drawnFaults(seed), shuffleTies: true }).traceHash;
    expect(shuffled(7)).toBe(shuffled(7));
  });
});

describe("the active controller and its brokers", () => {
  it("fences brokers that stopped heartbeating after broker.session.timeout.ms, one at a time, and takes them out of the ISR", () => {
    const w = buildKRaftWorld({ seed: 3, record: true });
    w.rt.startAll();
    w.rt.call(msToUs(4000), () => w.brokerOf(w.brokers[0] as NodeId)?.createTopic({ name: "orders", assignments: [[1, 2, 3]] }));
    w.rt.runUntil(msToUs(8000));
    const t0 = w.rt.nowUs;
    w.rt.kill(w.brokers[1] as NodeId);
    w.rt.kill(w.brokers[2] as NodeId);
    w.rt.runUntil(msToUs(25_000));
    const fenced = w.rt.trace.events.filter((e) => e.type === "kraft-broker" && e.change === "fenced") as { broker: number; timeUs: number }[];
    expect(fenced.map((f) => f.broker).sort()).toEqual([2, 3]);
    // Last heartbeat at most 2 s before the kill; then 9 s; then the check every 9/8 s.
    for (const f of fenced) {
      expect(f.timeUs - t0).toBeGreaterThan(7_000_000);
      expect(f.timeUs - t0).toBeLessThan(9_000_000 + 1_125_000 + 50_000);
    }
    // One at a time: two runs of the task, two batches.
    expect((fenced[1] as { timeUs: number }).timeUs).toBeGreaterThan((fenced[0] as { timeUs: number }).timeUs);
    const ctl = w.controllerOf(w.leader() as NodeId)?.controller;
    expect(ctl?.committed.partition("orders", 0)).toMatchObject({ leader: 1, isr: [1] });
  });
});
