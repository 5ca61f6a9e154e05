import { describe, expect, it } from "vitest";
import { buildPartitionChange } from "./partition-change.ts";
import type { PartitionChangeInput } from "./partition-change.ts";
import { NO_LEADER, NO_LEADER_CHANGE, mergePartitionChange } from "./records.ts";
import type { PartitionRegistration } from "./records.ts";

const part = (p: Partial<PartitionRegistration> = {}): PartitionRegistration => ({
  replicas: [1, 2, 3],
  isr: [1, 2, 3],
  elr: [],
  lastKnownElr: [],
  leader: 1,
  leaderRecoveryState: "RECOVERED",
  leaderEpoch: 5,
  partitionEpoch: 9,
  ...p,
});

/** Brokers in `active` may lead. */
function change(partition: PartitionRegistration, active: number[], o: Partial<PartitionChangeInput> = {}) {
  const r = buildPartitionChange({ partition, isAcceptableLeader: (b) => active.includes(b), minIsr: 2, elrEnabled: false, election: "ONLINE", ...o });
  return { ...r, after: r.change === null ? partition : mergePartitionChange(partition, r.change) };
}

describe("PartitionChangeBuilder: elections", () => {
  it("a fenced leader is replaced by the first ISR member in replica order; the leader epoch and the partition epoch move", () => {
    const r = change(part(), [2, 3], { targetIsr: [2, 3] });
    expect(r.election).toBe("clean");
    expect(r.after).toMatchObject({ leader: 2, isr: [2, 3], leaderEpoch: 6, partitionEpoch: 10 });
  });

  it("an ISR change that keeps the leader bumps only the partition epoch", () => {
    const r = change(part(), [1, 2, 3], { targetIsr: [1, 3] });
    expect(r.change?.leader).toBe(NO_LEADER_CHANGE);
    expect(r.after).toMatchObject({ leader: 1, isr: [1, 3], leaderEpoch: 5, partitionEpoch: 10 });
  });

  it("nothing to change: no record", () => {
    expect(change(part(), [1, 2, 3]).change).toBeNull();
  });

  it("without ELR the last ISR member stays in the ISR; the partition goes leaderless", () => {
    const r = change(part({ isr: [1] }), [2, 3], { targetIsr: [] });
    expect(r.after).toMatchObject({ leader: NO_LEADER, isr: [1], leaderEpoch: 6 });
  });

  it("unclean election (where enabled): any live replica, ISR = [it], leaderRecoveryState RECOVERING (KIP-704)", () => {
    const r = change(part({ isr: [1], leader: NO_LEADER }), [3], { election: "UNCLEAN" });
    expect(r.election).toBe("unclean");
    expect(r.after).toMatchObject({ leader: 3, isr: [3], leaderRecoveryState: "RECOVERING" });
    // Not enabled: no leader.
    expect(change(part({ isr: [1], leader: NO_LEADER }), [3]).change).toBeNull();
  });
});

describe("PartitionChangeBuilder: eligible leader replicas (KIP-966)", () => {
  const elr = { elrEnabled: true, minIsr: 2 } as const;

  it("replicas leaving an ISR that is below min.insync.replicas enter the ELR; at or above it the ELR is cleared", () => {
    const a = change(part(), [1, 2, 3], { ...elr, targetIsr: [1, 2] }).after;
    expect(a).toMatchObject({ isr: [1, 2], elr: [] });
    const b = change(a, [1, 2], { ...elr, targetIsr: [1] }).after;
    expect(b).toMatchObject({ isr: [1], elr: [2] });
    const c = change(b, [1, 2, 3], { ...elr, targetIsr: [1, 3] }).after;
    expect(c).toMatchObject({ isr: [1, 3], elr: [] });
  });

  it("the ISR may become empty; the last leader is remembered as the last known leader", () => {
    const r = change(part({ isr: [1], elr: [2] }), [], { ...elr, targetIsr: [] });
    expect(r.after).toMatchObject({ leader: NO_LEADER, isr: [], elr: [1, 2], lastKnownElr: [1] });
  });

  it("with the ISR empty an unfenced ELR member is elected cleanly: ISR = [it]", () => {
    const r = change(part({ isr: [], elr: [1, 2], leader: NO_LEADER, lastKnownElr: [1] }), [2, 3], elr);
    expect(r.election).toBe("elr");
    // Replica 3, live but never in the ELR, is not eligible.
    expect(r.after).toMatchObject({ leader: 2, isr: [2], elr: [1], lastKnownElr: [], leaderRecoveryState: "RECOVERED" });
  });

  it("a broker back from an unclean shutdown leaves the ISR and the ELR", () => {
    const r = change(part({ isr: [], elr: [1, 2], leader: NO_LEADER, lastKnownElr: [1] }), [], { ...elr, uncleanShutdownReplicas: [2] });
    expect(r.after).toMatchObject({ isr: [], elr: [1] });
  });

  it("with ISR and ELR empty, the last known leader is elected when it may lead, as an unclean election", () => {
    const p = part({ isr: [], elr: [], leader: NO_LEADER, lastKnownElr: [1] });
    expect(change(p, [2, 3], elr).change).toBeNull();
    const r = change(p, [1, 2, 3], elr);
    expect(r.election).toBe("last-known-leader");
    expect(r.after).toMatchObject({ leader: 1, isr: [1], leaderRecoveryState: "RECOVERING", lastKnownElr: [] });
  });

  it("an unclean election clears the ELR", () => {
    const r = change(part({ isr: [], elr: [1], leader: NO_LEADER }), [3], { ...elr, election: "UNCLEAN" });
    expect(r.election).toBe("unclean");
    expect(r.after).toMatchObject({ leader: 3, isr: [3], elr: [], leaderRecoveryState: "RECOVERING" });
  });

  it("ELR off: nothing enters it", () => {
    expect(change(part(), [1], { targetIsr: [1] }).after.elr).toEqual([]);
  });
});
