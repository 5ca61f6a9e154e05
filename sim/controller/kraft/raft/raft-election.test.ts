// Elections of the Raft node on the Runtime: timeouts, votes, pre-vote, check-quorum, resignation.
import { describe, expect, it } from "vitest";
import type { NodeId } from "../../../core/ids.ts";
import { raftWorld } from "./testkit.ts";
import type { RaftMessage } from "./messages.ts";

/** No election starts on its own within a test: votes are injected by hand. */
const QUIET = { "controller.quorum.election.timeout.ms": 100_000, "controller.quorum.fetch.timeout.ms": 200_000 };

function sendAs(w: ReturnType<typeof raftWorld>, from: NodeId, to: NodeId, msg: RaftMessage<number>): void {
  w.rt.inject(from, (_a, ctx) => ctx.send(to, msg));
}

describe("Raft elections", () => {
  it("a voter campaigns after a random election timeout in [T, 2T) drawn from its own seeded stream", () => {
    const firsts: number[] = [];
    for (let seed = 1; seed <= 30; seed++) {
      const w = raftWorld({ voters: 5, seed });
      w.runMs(2500);
      const first = w.events("raft-role").find((e) => e.role === "prospective");
      expect(first).toBeDefined();
      firsts.push((first as { timeUs: number }).timeUs);
      expect(w.leader()).toBeDefined();
    }
    expect(Math.min(...firsts)).toBeGreaterThanOrEqual(1_000_000);
    expect(Math.max(...firsts)).toBeLessThan(2_000_000);
    expect(new Set(firsts).size).toBeGreaterThan(25);
    // Same seed, same timeouts.
    const again = raftWorld({ voters: 5, seed: 1 });
    again.runMs(2500);
    expect(again.events("raft-role").find((e) => e.role === "prospective")?.timeUs).toBe(firsts[0]);
  });

  it("a vote goes only to a candidate whose log is at least as up to date", () => {
    const w = raftWorld({ voters: 3, keys: QUIET, preVote: false });
    const [v1, v2, v3] = w.voters as [NodeId, NodeId, NodeId];
    w.node(v3)?.raftLog.appendBatch(1, [{ kind: "data", data: 7 }], 0);
    sendAs(w, v1, v3, { type: "raft-vote", corr: 1, replicaEpoch: 2, lastOffsetEpoch: 0, lastOffset: 0, preVote: false });
    w.runMs(5);
    expect(w.events("raft-vote-granted")).toEqual([]);
    sendAs(w, v2, v3, { type: "raft-vote", corr: 1, replicaEpoch: 3, lastOffsetEpoch: 1, lastOffset: 1, preVote: false });
    w.runMs(5);
    expect(w.events("raft-vote-granted").map((e) => [e.candidate, e.epoch])).toEqual([[v2, 3]]);
  });

  it("one vote per epoch, kept on disk across a power loss", () => {
    const w = raftWorld({ voters: 3, keys: QUIET, preVote: false });
    const [v1, v2, v3] = w.voters as [NodeId, NodeId, NodeId];
    sendAs(w, v1, v3, { type: "raft-vote", corr: 1, replicaEpoch: 5, lastOffsetEpoch: 0, lastOffset: 0, preVote: false });
    w.runMs(5);
    w.rt.powerLoss(v3);
    w.rt.restart(v3);
    sendAs(w, v2, v3, { type: "raft-vote", corr: 1, replicaEpoch: 5, lastOffsetEpoch: 0, lastOffset: 0, preVote: false });
    sendAs(w, v1, v3, { type: "raft-vote", corr: 2, replicaEpoch: 5, lastOffsetEpoch: 0, lastOffset: 0, preVote: false });
    w.runMs(5);
    // v2 is refused in epoch 5; v1 (already voted for) gets the vote again.
    expect(w.events("raft-vote-granted").map((e) => e.candidate)).toEqual([v1, v1]);
  });

  it("check-quorum: a leader cut off from the majority resigns within 1.5 × fetch timeout", () => {
    const w = raftWorld({ voters: 3 });
    w.runMs(3000);
    const leader = w.leader() as NodeId;
    const t0 = w.rt.nowUs;
    w.rt.network.isolate(w.rt.index(leader));
    w.runMs(4000);
    const resign = w.events("raft-resign").find((e) => e.node === leader);
    expect(resign?.reason).toBe("check-quorum");
    // The timer restarts at each majority fetch (at most 500 ms apart): it fires 2.5–3 s after the cut.
    expect((resign?.timeUs ?? 0) - t0).toBeGreaterThan(2_500_000);
    expect((resign?.timeUs ?? 0) - t0).toBeLessThanOrEqual(3_000_000);
  });

  for (const preVote of [true, false]) {
    it(`a resigned leader, its election timeout over, ${preVote ? "moves to the next epoch unattached, then campaigns (4.0+)" : "campaigns as candidate of the next epoch"}`, () => {
      const w = raftWorld({ voters: 3, preVote, seed: 12 });
      w.runMs(3000);
      const leader = w.leader() as NodeId;
      const epoch = w.node(leader)?.epoch as number;
      const t0 = w.rt.nowUs;
      w.rt.network.isolate(w.rt.index(leader));
      w.runMs(9000);
      const after = w.events("raft-role").filter((e) => e.node === leader && e.timeUs > t0).slice(0, 3).map((e) => `${e.role}@${e.epoch}`);
      expect(after).toEqual(preVote ? [`resigned@${epoch}`, `unattached@${epoch + 1}`, `prospective@${epoch + 1}`] : [`resigned@${epoch}`, `candidate@${epoch + 1}`, `candidate@${epoch + 2}`]);
    });
  }

  for (const preVote of [true, false]) {
    it(`a follower cut off for 10 s then back ${preVote ? "does not disrupt the leader (pre-vote, KIP-996)" : "forces a new election (no pre-vote)"}`, () => {
      const w = raftWorld({ voters: 3, preVote, seed: 4 });
      w.runMs(3000);
      const leader = w.leader() as NodeId;
      const epoch = w.node(leader)?.epoch as number;
      const follower = w.voters.find((v) => v !== leader) as NodeId;
      w.rt.network.isolate(w.rt.index(follower));
      w.runMs(10_000);
      w.rt.network.healAll();
      w.runMs(5000);
      const epochs = w.voters.map((v) => w.node(v)?.epoch as number);
      if (preVote) {
        expect(epochs).toEqual([epoch, epoch, epoch]);
        expect(w.leader()).toBe(leader);
        expect(w.node(follower)?.role).toBe("follower");
      } else {
        // Its epoch grew while alone; its first Vote after the heal makes everyone move past it.
        expect(Math.min(...epochs)).toBeGreaterThan(epoch + 1);
        expect(w.events("raft-role").filter((e) => e.role === "leader" && e.epoch > epoch).length).toBeGreaterThan(0);
      }
    });
  }

  for (const preVote of [false, true]) {
    it(`a cleanly stopped leader resigns with EndQuorumEpoch: the successors campaign without waiting out the fetch timeout (pre-vote ${preVote ? "on" : "off"})`, () => {
      const w = raftWorld({ voters: 3, seed: 2, preVote });
      w.runMs(3000);
      const leader = w.leader() as NodeId;
      const t0 = w.rt.nowUs;
      w.rt.stop(leader);
      w.runMs(3000);
      const next = w.events("raft-role").find((e) => e.role === "leader" && e.node !== leader && e.timeUs > t0);
      expect(w.events("raft-resign").map((e) => [e.node, e.reason])).toEqual([[leader, "shutdown"]]);
      // The first successor campaigns at once. Without pre-vote it wins at once; with it, the other follower
      // still refuses pre-votes (it fetched from the leader) until its own backoff, 500 ms for position 1 of 2.
      // Without EndQuorumEpoch both would wait out their 2 s fetch timeout.
      const took = (next?.timeUs ?? Infinity) - t0;
      if (preVote) {
        expect(took).toBeGreaterThan(500_000);
        expect(took).toBeLessThan(520_000);
      } else expect(took).toBeLessThan(20_000);
    });
  }

  it("a leader that restarts comes back resigned in its epoch and never leads it again", () => {
    const w = raftWorld({ voters: 3, seed: 3 });
    w.runMs(3000);
    const leader = w.leader() as NodeId;
    const epoch = w.node(leader)?.epoch as number;
    w.rt.kill(leader);
    w.rt.restart(leader);
    w.runMs(1);
    expect(w.node(leader)?.role).toBe("resigned");
    expect(w.node(leader)?.epoch).toBe(epoch);
    w.runMs(6000);
    const leads = w.events("raft-role").filter((e) => e.role === "leader").map((e) => `${e.node}@${e.epoch}`);
    expect(new Set(leads).size).toBe(leads.length);
    expect(w.leader()).toBeDefined();
    expect(w.node(w.leader() as NodeId)?.epoch).toBeGreaterThan(epoch);
  });

  it("observers never vote or campaign, and are told of leaders by the voters they fetch from", () => {
    const w = raftWorld({ voters: 3, observers: 2, seed: 5 });
    w.runMs(3000);
    w.rt.kill(w.leader() as NodeId);
    w.runMs(6000);
    for (const o of w.observers) {
      expect(w.events("raft-role").filter((e) => e.node === o).map((e) => e.role).every((r) => r === "unattached" || r === "follower")).toBe(true);
      expect(w.node(o)?.leaderAndEpoch()).toEqual({ leaderId: w.leader(), epoch: w.node(w.leader() as NodeId)?.epoch });
    }
  });
});
