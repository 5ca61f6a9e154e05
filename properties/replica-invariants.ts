// The formal models' replica invariants (docs/kafka-facts.md facts 3–5, 8, 28, 29), checked on the real cluster
// (coordinator, controller, brokers: sim/broker/testkit.ts RealCluster) before every event of a run — not only on
// the final state, as the history checkers do. They hold for protocol ≥ 2.0 without unclean election and without
// power loss (which may legitimately lose committed records: facts 11, 13, 27):
//   follower-hw      a replica's HW never exceeds its own log end (fact 5: min(leader's HW, own LEO));
//   hw-monotonic     a leader's HW never moves backwards, becoming leader included (fact 3);
//   strong-isr       everything below a leader's HW is on every member of its maximal ISR — the committed ISR
//                    and a pending change (facts 4, 28: StrongIsr);
//   committed-isr    every member of the controller's ISR holds every committed record (below the greatest HW
//                    any leader reached), so that a clean election loses nothing (facts 8 — KAFKA-7128 —,
//                    11, 29: LeaderCompleteness);
//   log-matching     replicas agree on every committed offset (fact 29: LogMatching).
// A test kit, not part of the simulator: it reads the brokers' state and disks from outside.
import type { RealCluster } from "../sim/broker/testkit.ts";
import type { Partition } from "../sim/broker/replica/partition.ts";
import { brokerNode } from "../sim/core/ids.ts";

export type InvariantId = "follower-hw" | "hw-monotonic" | "strong-isr" | "committed-isr" | "log-matching";

export interface Violation {
  readonly invariant: InvariantId;
  readonly timeUs: number;
  readonly text: string;
}

interface TopicPartition {
  readonly topic: string;
  readonly partition: number;
  readonly key: string;
}

export class ReplicaInvariants {
  readonly violations: Violation[] = [];
  /** Checks made (one per event). */
  checks = 0;
  private readonly lastHw = new WeakMap<Partition, number>();
  /** Per partition: the committed values, offset by offset, as the first leader to pass them had them. */
  private readonly committed = new Map<string, number[]>();
  /** Per partition and broker: offsets of that broker's log already compared with the committed values. */
  private readonly matched = new Map<string, number>();

  constructor(
    private readonly c: RealCluster,
    private readonly tps: readonly TopicPartition[],
  ) {}

  /** Run the cluster for `ms`, checking every invariant before each event; stops at the first violation. */
  run(ms: number): void {
    this.runUntil(() => false, ms);
  }

  /** Run until `done()` holds (checked before each event, after the invariants) or `maxMs` have passed; returns
   *  whether it holds. Stops at the first violation. */
  runUntil(done: () => boolean, maxMs: number): boolean {
    const end = this.c.rt.nowUs + maxMs * 1000;
    let met = false;
    this.c.rt.runUntil(() => {
      this.check();
      met = done();
      return met || this.violations.length > 0 || this.c.rt.nowUs >= end;
    });
    return met;
  }

  private fail(invariant: InvariantId, text: string): void {
    this.violations.push({ invariant, timeUs: this.c.rt.nowUs, text });
  }

  private log(b: number, key: string): { length: number; value: ArrayLike<number>; startOffset: number } {
    return this.c.rt.disk(brokerNode(b)).log(key);
  }

  check(): void {
    this.checks++;
    for (const tp of this.tps) {
      let committed = this.committed.get(tp.key);
      if (committed === undefined) this.committed.set(tp.key, (committed = []));
      for (const b of this.c.brokerIds) {
        if (this.c.rt.status(brokerNode(b)) !== "up" && this.c.rt.status(brokerNode(b)) !== "paused") continue;
        const p = this.c.broker(b)?.replicas.partitions.get(tp.key);
        if (p === undefined) continue;
        this.checkReplica(b, p, committed);
      }
      for (const b of this.c.brokerIds) {
        if (this.c.rt.status(brokerNode(b)) !== "up" && this.c.rt.status(brokerNode(b)) !== "paused") continue;
        const p = this.c.broker(b)?.replicas.partitions.get(tp.key);
        if (p !== undefined) this.checkMatching(b, p, committed);
      }
      this.checkControllerIsr(tp, committed);
    }
  }

  private checkReplica(b: number, p: Partition, committed: number[]): void {
    if (p.hw > p.leo) this.fail("follower-hw", `broker ${b} ${p.key} (${p.role}): HW ${p.hw} > LEO ${p.leo}`);
    const last = this.lastHw.get(p);
    if (p.role === "leader" && last !== undefined && p.hw < last) this.fail("hw-monotonic", `broker ${b} ${p.key} leader at epoch ${p.leaderEpoch}: HW ${last} → ${p.hw}`);
    this.lastHw.set(p, p.hw);
    if (p.role !== "leader") return;
    // strong-isr: the maximal ISR, read from the committed ISR and the pending change (not p.maximalIsr, so that a
    // wrong maximal ISR is seen).
    const members = new Set([...p.isr, ...(p.pendingIsr ?? [])]);
    for (const r of members) {
      const len = this.log(r, p.key).length;
      if (len < p.hw) this.fail("strong-isr", `broker ${b} leads ${p.key} at epoch ${p.leaderEpoch} with HW ${p.hw}; ISR member ${r} holds ${len} records (ISR [${p.isr.join(",")}]${p.pendingIsr ? `, pending [${p.pendingIsr.join(",")}]` : ""})`);
    }
    // the committed values grow with the greatest HW a leader reached
    const log = this.log(b, p.key);
    for (let o = committed.length; o < p.hw; o++) committed.push(log.value[o - log.startOffset] as number);
  }

  /** log-matching: what a replica holds below its own HW is what was committed. */
  private checkMatching(b: number, p: Partition, committed: readonly number[]): void {
    const log = this.log(b, p.key);
    const k = `${p.key}/${b}`;
    let from = Math.max(log.startOffset, Math.min(this.matched.get(k) ?? 0, log.length));
    const to = Math.min(committed.length, p.hw, log.length);
    for (; from < to; from++) {
      const v = log.value[from - log.startOffset];
      if (v !== committed[from]) {
        this.fail("log-matching", `${p.key}: broker ${b} (${p.role}, HW ${p.hw}) holds ${v} at offset ${from}; ${committed[from]} was committed there`);
        break;
      }
    }
    this.matched.set(k, from);
  }

  private checkControllerIsr(tp: TopicPartition, committed: readonly number[]): void {
    const isr = this.c.zk.partitionState(tp.topic, tp.partition)?.isr ?? [];
    for (const r of isr) {
      const len = this.log(r, tp.key).length;
      if (len < committed.length) this.fail("committed-isr", `${tp.key}: member ${r} of the controller's ISR [${isr.join(",")}] holds ${len} records; ${committed.length} are committed`);
    }
  }
}
