// The comparison's fault schedules (compare.ts): derived from a run's seed alone, never from the configuration,
// so every configuration of a matrix meets the same faults at the same times.
import { Rng } from "../sim/core/rng.ts";
import type { Fault, FaultAction } from "../sim/faults/types.ts";

/** Episode kinds, taken in turn (2 × seed + episode, modulo the list) so that a few consecutive seeds already
 *  cover most kinds; times, lengths and broker targets are drawn from the seed's rng. */
const EPISODES = ["kill-leader", "power-leader", "isolate-two-then-kill-leader", "partition-broker-with-producers", "isolate-leader", "pause-leader", "kill-broker"] as const;

/** A fault schedule from the seed alone: a few episodes, each a disruption and its cure. Targets are "the
 *  leader of <tp>" (resolved when the fault fires) or a broker drawn from the seed; the cure restarts/heals all. */
export function seededFaults(seed: number, opts: { brokers: number; tp: string; durationMs: number; producers: readonly string[]; sessionTimeoutMs?: number; episodes?: number }): Fault[] {
  const rng = new Rng(seed).fork("compare-faults");
  const episodes = opts.episodes ?? Math.max(1, Math.min(3, Math.floor(opts.durationMs / 3500)));
  const warmupMs = Math.min(1000, opts.durationMs / 8);
  const slotMs = (opts.durationMs - warmupMs - 500) / episodes;
  const leader = { leaderOf: opts.tp };
  const all = Array.from({ length: opts.brokers }, (_, i) => ({ broker: i + 1 }));
  const restartAll = (atMs: number): Fault[] => all.map((target) => ({ atMs, action: { kind: "restart", target } as FaultAction }));
  const out: Fault[] = [];
  for (let e = 0; e < episodes; e++) {
    const startMs = Math.round(warmupMs + e * slotMs + rng.int(0, Math.floor(slotMs / 10)));
    const lenMs = rng.int(Math.floor(slotMs * 0.45), Math.floor(slotMs * 0.8));
    const endMs = startMs + lenMs;
    const kind = EPISODES[(((2 * seed + e) % EPISODES.length) + EPISODES.length) % EPISODES.length] as (typeof EPISODES)[number];
    const b1 = rng.int(1, opts.brokers);
    switch (kind) {
      case "kill-leader":
        out.push({ atMs: startMs, action: { kind: "kill", target: leader } }, ...restartAll(endMs));
        break;
      case "power-leader":
        out.push({ atMs: startMs, action: { kind: "power", target: leader } }, ...restartAll(endMs));
        break;
      case "isolate-leader":
        out.push({ atMs: startMs, action: { kind: "isolate", target: leader } }, { atMs: endMs, action: { kind: "heal" } });
        break;
      case "pause-leader":
        out.push({ atMs: startMs, action: { kind: "pause", target: leader, durationMs: lenMs } });
        break;
      case "kill-broker":
        out.push({ atMs: startMs, action: { kind: "kill", target: { broker: b1 } } }, ...restartAll(endMs));
        break;
      case "partition-broker-with-producers": {
        // A broker keeps its producers but loses the other brokers and ZooKeeper: if it leads, acks=0/1 writes
        // it takes after its session expires are lost when it rejoins; acks=all writes stall instead.
        const others = all.filter((t) => t.broker !== b1);
        out.push(
          { atMs: startMs, action: { kind: "partition", groups: [[{ broker: b1 }, ...opts.producers.map((client) => ({ client }))], [...others, { coordinator: true }]] } },
          { atMs: endMs, action: { kind: "heal" } },
        );
        break;
      }
      case "isolate-two-then-kill-leader": {
        // The ISR shrinks to the leader (the isolated followers' sessions expire), then the leader dies and stays
        // down past its own session: the partition goes offline; on heal an unclean election (if enabled) picks
        // an out-of-sync replica and loses what the lone leader acknowledged. Offsets scale with the session timeout.
        const t = opts.sessionTimeoutMs ?? 1200;
        out.push(
          { atMs: startMs, action: { kind: "isolate", target: { followersOf: opts.tp } } },
          { atMs: startMs + Math.round(1.4 * t), action: { kind: "kill", target: leader } },
          { atMs: startMs + Math.round(2.6 * t), action: { kind: "heal" } },
          ...restartAll(startMs + Math.round(3.1 * t)),
        );
        break;
      }
    }
  }
  return out;
}
