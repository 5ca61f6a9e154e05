// Replication of the Raft node on the Runtime: the leader's first record, the HW, the listener, parked fetches,
// divergence and truncation, durability over power loss, observers.
import { describe, expect, it } from "vitest";
import type { NodeId } from "../../../core/ids.ts";
import { raftWorld } from "./testkit.ts";

describe("Raft replication", () => {
  it("a new leader writes a LeaderChangeMessage first and exposes nothing before it commits", () => {
    const w = raftWorld({ voters: 3, seed: 6 });
    w.runMs(2500);
    expect(w.append([1, 2])).toBeGreaterThan(0);
    w.runMs(1000);
    const first = w.leader() as NodeId;
    w.rt.kill(first);
    w.runMs(4000);
    const leader = w.leader() as NodeId;
    const log = w.node(leader)?.raftLog;
    const [epoch, start] = log?.epochStarts().at(-1) ?? [0, 0];
    expect(log?.recordAt(start)).toMatchObject({ kind: "leader-change", leaderId: leader });
    // Its followers reached its epoch start (the old epoch's end) right away; the HW waited for a majority past it.
    const hws = w.events("raft-hw").filter((e) => e.node === leader && e.epoch === epoch);
    expect(hws[0]?.hw).toBe(start + 1);
  });

  it("the listener gets committed batches in order, and learns it leads only after replaying earlier epochs", () => {
    const w = raftWorld({ voters: 3, seed: 7 });
    w.runMs(2500);
    w.append([10, 11]);
    w.runMs(100);
    w.append([12]);
    w.runMs(1000);
    w.rt.kill(w.leader() as NodeId);
    w.runMs(4000);
    const leader = w.leader() as NodeId;
    w.append([13]);
    w.runMs(1000);
    const seen = w.seen(leader);
    expect(seen.commits).toEqual([10, 11, 12, 13]);
    const [, start] = w.node(leader)?.raftLog.epochStarts().at(-1) ?? [0, 0];
    const mine = seen.leaderChanges.find((l) => l.leaderId === leader);
    // Fired once its own LeaderChangeMessage (at the epoch start) was handed over: all before it is replayed.
    expect(mine?.nextOffset).toBe(start + 1);
  });

  it("appends linger 25 ms; an idle follower's fetch is parked, so the leader commits at once but followers learn the HW up to 500 ms later", () => {
    const w = raftWorld({ voters: 3, seed: 8 });
    w.runMs(3000);
    const leader = w.leader() as NodeId;
    const follower = w.voters.find((v) => v !== leader) as NodeId;
    const t0 = w.rt.nowUs;
    w.append([42]);
    w.runMs(1000);
    const leaderAt = (w.seen(leader).commitTimesUs[0] ?? Infinity) - t0;
    const followerAt = (w.seen(follower).commitTimesUs[0] ?? Infinity) - t0;
    expect(leaderAt).toBeGreaterThanOrEqual(25_000);
    expect(leaderAt).toBeLessThan(28_000);
    // The follower's next fetch (at the new end) is parked with the new HW and answered when it expires.
    expect(followerAt).toBeGreaterThanOrEqual(525_000);
    expect(followerAt).toBeLessThan(530_000);
  });

  it("a deposed leader's uncommitted records are truncated when it fetches from the new leader", () => {
    const w = raftWorld({ voters: 3, seed: 9 });
    w.runMs(3000);
    const old = w.leader() as NodeId;
    w.append([1]);
    w.runMs(600);
    w.rt.network.isolate(w.rt.index(old));
    // Appended alone: never replicated, never committed.
    w.append([666, 667]);
    w.runMs(5000);
    const leader = w.leader() as NodeId;
    expect(leader).not.toBe(old);
    w.append([2]);
    w.runMs(500);
    w.rt.network.healAll();
    w.runMs(3000);
    expect(w.events("raft-truncate").map((e) => e.node)).toContain(old);
    const logOf = (id: NodeId): string => {
      const log = w.node(id)?.raftLog;
      const out: string[] = [];
      for (let o = 0; o < (log?.endOffset ?? 0); o++) out.push(`${log?.epochAt(o)}:${JSON.stringify(log?.recordAt(o))}`);
      return out.join(",");
    };
    expect(logOf(old)).toBe(logOf(leader));
    expect(w.seen(old).commits).toEqual([1, 2]);
  });

  it("a voter fsyncs what it fetched before its next fetch counts it: a committed record survives power loss of the majority that held it", () => {
    const w = raftWorld({ voters: 3, seed: 10 });
    w.runMs(3000);
    const leader = w.leader() as NodeId;
    const [f1, f2] = w.voters.filter((v) => v !== leader) as [NodeId, NodeId];
    w.rt.network.isolate(w.rt.index(f2));
    w.append([77]);
    w.runMs(700);
    expect(w.seen(leader).commits).toEqual([77]); // committed by the leader and f1
    w.rt.powerLoss(leader);
    w.rt.powerLoss(f1);
    w.rt.network.healAll();
    w.rt.restart(f1);
    w.runMs(6000);
    // f1 and f2 elect a leader without the old one: it must be f1, which still holds the record.
    const next = w.leader() as NodeId;
    expect(next).toBe(f1);
    expect(w.seen(f2).commits).toEqual([77]);
  });

  it("observers replicate and see commits but never count towards the HW", () => {
    const w = raftWorld({ voters: 3, observers: 1, seed: 11 });
    w.runMs(3000);
    const leader = w.leader() as NodeId;
    const obs = w.observers[0] as NodeId;
    w.append([5]);
    w.runMs(1000);
    expect(w.seen(obs).commits).toEqual([5]);
    for (const v of w.voters) if (v !== leader) w.rt.network.isolate(w.rt.index(v));
    const hw = w.node(leader)?.highWatermark;
    w.append([6]);
    w.runMs(1500);
    // The observer fetched it; the leader alone with an observer is no majority.
    expect(w.node(obs)?.raftLog.endOffset).toBe(w.node(leader)?.raftLog.endOffset);
    expect(w.node(leader)?.highWatermark).toBe(hw);
    expect(w.seen(leader).commits).toEqual([5]);
  });
});
