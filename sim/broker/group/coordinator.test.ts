import { describe, it, expect } from "vitest";
import type { NodeContext } from "../../core/node.ts";
import { nodeId } from "../../core/ids.ts";
import type { NodeId } from "../../core/ids.ts";
import type { TimeUs } from "../../core/time.ts";
import { Rng } from "../../core/rng.ts";
import { Disk } from "../../disk/disk.ts";
import { BROKER_DEFAULTS } from "../../kafka/config.ts";
import type { KafkaErrorCode } from "../../kafka/errors.ts";
import type { Message } from "../../kafka/protocol.ts";
import type { GroupMessage } from "../../kafka/protocol-group.ts";
import type { TraceEvent } from "../../events.ts";
import type { GroupHost } from "./host.ts";
import { GroupCoordinator, PID_BLOCK } from "./coordinator.ts";
import { selectProtocol } from "./state.ts";
import { offsetsPartitionFor } from "./partition.ts";

/** A hand-driven broker context: sends are collected, timers are listed and fired by the test. */
function harness(leader = true, cachedLeader: (partition: number) => number | null = () => 1) {
  const sent: { to: NodeId; msg: Message }[] = [];
  const events: TraceEvent[] = [];
  /** Client processes that are down (a session expiry is then a crash, in the trace). */
  const down = new Set<NodeId>();
  const timers = new Map<number, unknown>();
  let handle = 0;
  const log = { keys: [] as number[], values: [] as number[] };
  const names: string[] = [];
  const ctx: NodeContext<Message, TraceEvent> = {
    self: nodeId("broker-1"),
    nowUs: 0 as TimeUs,
    rng: new Rng(1),
    disk: new Disk(),
    send: (to, msg) => void sent.push({ to, msg }),
    setTimer: (_d, tag) => {
      timers.set(++handle, tag);
      return handle;
    },
    cancelTimer: (h) => void timers.delete(h),
    emit: (ev) => void events.push(ev),
    isUp: (n) => !down.has(n),
    closeConnection: () => undefined,
  };
  const host: GroupHost = {
    brokerId: 1,
    config: { ...BROKER_DEFAULTS, "group.initial.rebalance.delay.ms": 0, "group.min.session.timeout.ms": 10 },
    offsetsPartitions: 4,
    isOffsetsLeader: () => leader,
    cachedOffsetsLeader: cachedLeader,
    appendOffsets: (_c, _p, keys, values, _t, done) => {
      log.keys.push(...keys);
      log.values.push(...values);
      done("NONE");
    },
    readOffsets: () => ({ keys: log.keys, values: log.values, count: log.values.length }),
    internKey: (n) => {
      const i = names.indexOf(n);
      return i >= 0 ? i : names.push(n) - 1;
    },
    keyName: (id) => names[id],
  };
  const gc = new GroupCoordinator(host);
  gc.onElected(ctx, offsetsPartitionFor("g", 4));
  let corr = 0;
  const req = (from: string, msg: GroupMessage): Message | undefined => {
    const c = ++corr;
    gc.onMessage(ctx, nodeId(from), { ...msg, corr: c } as GroupMessage);
    return sent.find((s) => (s.msg as { corr?: number }).corr === c)?.msg;
  };
  const lastTo = (to: string) => [...sent].reverse().find((s) => s.to === to)?.msg;
  return { ctx, gc, sent, timers, req, lastTo, host, log, events, down };
}

const join = (memberId = "") => ({ type: "group.join" as const, corr: 0, group: "g", memberId, sessionTimeoutMs: 1000, rebalanceTimeoutMs: 5000, topics: ["t"], strategy: "range" as const });

describe("FindCoordinator (KafkaApis.getCoordinator)", () => {
  const find = { type: "group.find-coordinator" as const, corr: 0, keyType: "group" as const, key: "g" };

  it("any broker answers from its metadata cache: the alive leader of the group's __consumer_offsets partition", () => {
    const asked: number[] = [];
    const h = harness(false, (p) => (asked.push(p), 3));
    expect(h.req("c/0", find)).toMatchObject({ type: "group.find-coordinator-response", error: "NONE", nodeId: 3 });
    expect(asked).toEqual([offsetsPartitionFor("g", 4)]);
  });

  it("no alive leader of that partition: COORDINATOR_NOT_AVAILABLE", () => {
    const h = harness(true, () => null);
    expect(h.req("c/0", find)).toMatchObject({ type: "group.find-coordinator-response", error: "COORDINATOR_NOT_AVAILABLE", nodeId: -1 });
  });
});

describe("group coordinator", () => {
  it("a commit from an older generation is refused with ILLEGAL_GENERATION; the current one is stored", () => {
    const h = harness();
    const r1 = h.req("c/0", join()) as { memberId: string; generation: number; error: KafkaErrorCode };
    expect(r1.error).toBe("NONE");
    const a = r1.memberId;
    h.req("c/0", { type: "group.sync", corr: 0, group: "g", generation: r1.generation, memberId: a, assignments: [{ memberId: a, partitions: [{ topic: "t", partition: 0 }] }] });
    // A second member joins: the group prepares a rebalance and completes when the first rejoins.
    h.req("c/1", join());
    const hb = h.req("c/0", { type: "group.heartbeat", corr: 0, group: "g", generation: r1.generation, memberId: a }) as { error: KafkaErrorCode };
    expect(hb.error).toBe("REBALANCE_IN_PROGRESS");
    // While preparing, the current generation may still commit (auto-commit before rejoining, fact 21).
    const c1 = h.req("c/0", { type: "group.offset-commit", corr: 0, group: "g", generation: r1.generation, memberId: a, offsets: [{ topic: "t", partition: 0, offset: 5 }] }) as { error: KafkaErrorCode };
    expect(c1.error).toBe("NONE");
    h.req("c/0", join(a));
    const r2 = h.lastTo("c/0") as { generation: number; error: KafkaErrorCode };
    expect(r2.error).toBe("NONE");
    expect(r2.generation).toBe(r1.generation + 1);
    const old = h.req("c/0", { type: "group.offset-commit", corr: 0, group: "g", generation: r1.generation, memberId: a, offsets: [{ topic: "t", partition: 0, offset: 9 }] }) as { error: KafkaErrorCode };
    expect(old.error).toBe("ILLEGAL_GENERATION");
    const f = h.req("c/0", { type: "group.offset-fetch", corr: 0, group: "g", partitions: [{ topic: "t", partition: 0 }] }) as unknown as { offsets: { offset: number }[] };
    expect(f.offsets[0]?.offset).toBe(5);
  });

  it("an unknown member's commit is refused; a non-leader answers NOT_COORDINATOR", () => {
    const h = harness();
    h.req("c/0", join());
    const r = h.req("c/9", { type: "group.offset-commit", corr: 0, group: "g", generation: 1, memberId: "nobody", offsets: [] }) as { error: KafkaErrorCode };
    expect(r.error).toBe("UNKNOWN_MEMBER_ID");
    const n = harness(false);
    const j = n.req("c/0", join()) as { error: KafkaErrorCode };
    expect(j.error).toBe("NOT_COORDINATOR");
  });

  it("a member whose session expires is removed and the group rebalances without it", () => {
    const h = harness();
    const r1 = h.req("c/0", join()) as { memberId: string; generation: number };
    h.req("c/0", { type: "group.sync", corr: 0, group: "g", generation: r1.generation, memberId: r1.memberId, assignments: [] });
    // Fire the member's session timer.
    for (const [, tag] of h.timers) h.gc.onTimer(h.ctx, tag);
    const hb = h.req("c/0", { type: "group.heartbeat", corr: 0, group: "g", generation: r1.generation, memberId: r1.memberId }) as { error: KafkaErrorCode };
    expect(hb.error).toBe("UNKNOWN_MEMBER_ID");
  });

  it("a new coordinator loads offsets and the group's generation from __consumer_offsets", () => {
    const h = harness();
    const r1 = h.req("c/0", join()) as { memberId: string; generation: number };
    h.req("c/0", { type: "group.sync", corr: 0, group: "g", generation: r1.generation, memberId: r1.memberId, assignments: [] });
    h.req("c/0", { type: "group.offset-commit", corr: 0, group: "g", generation: r1.generation, memberId: r1.memberId, offsets: [{ topic: "t", partition: 0, offset: 7 }] });
    const fresh = new GroupCoordinator(h.host);
    fresh.onElected(h.ctx, offsetsPartitionFor("g", 4));
    const sent = h.sent.length;
    fresh.onMessage(h.ctx, nodeId("c/0"), { type: "group.offset-fetch", corr: 99, group: "g", partitions: [{ topic: "t", partition: 0 }] });
    expect((h.sent[sent]?.msg as unknown as { offsets: { offset: number }[] }).offsets[0]?.offset).toBe(7);
    fresh.onMessage(h.ctx, nodeId("c/0"), { type: "group.offset-commit", corr: 100, group: "g", generation: r1.generation - 1, memberId: r1.memberId, offsets: [] });
    expect((h.sent[sent + 1]?.msg as { error: KafkaErrorCode }).error).toBe("ILLEGAL_GENERATION");
  });

  it("producer ids are unique per broker and survive restarts (flushed counter)", () => {
    const h = harness();
    h.req("p", { type: "group.init-producer-id", corr: 0 });
    const a = h.lastTo("p") as { producerId: number };
    const fresh = new GroupCoordinator(h.host);
    fresh.onMessage(h.ctx, nodeId("p"), { type: "group.init-producer-id", corr: 50 });
    const b = h.lastTo("p") as { producerId: number };
    expect(a.producerId).toBe(PID_BLOCK + 1);
    expect(b.producerId).toBe(PID_BLOCK + 2);
  });
});

describe("member-joined / member-left trace events", () => {
  const told = (h: ReturnType<typeof harness>) => h.events.flatMap((e) => (e.type === "member-joined" || e.type === "member-left" ? [`${e.type} ${e.member} ${e.reason} ${e.generation}`] : []));

  it("a member that does not rejoin within the rebalance timeout is removed (rebalance-timeout, or crash when its process is down)", () => {
    for (const dead of [false, true]) {
      const h = harness();
      const r0 = h.req("c/0", join()) as { memberId: string; generation: number };
      h.req("c/0", { type: "group.sync", corr: 0, group: "g", generation: r0.generation, memberId: r0.memberId, assignments: [] });
      h.req("c/1", join()); // a new member: the group prepares a rebalance; c/0 never rejoins
      if (dead) h.down.add(nodeId("c/0"));
      for (const [, tag] of [...h.timers]) if (tag?.constructor.name === "JoinTag") h.gc.onTimer(h.ctx, tag);
      expect(told(h)).toEqual(["member-joined c/0 join 1", `member-left c/0 ${dead ? "crash" : "rebalance-timeout"} 1`, "member-joined c/1 join 2"]);
    }
  });

  it("a client that comes back after its member left rejoins; a member rejoining with its id is no news", () => {
    const h = harness();
    const r0 = h.req("c/0", join()) as { memberId: string; generation: number };
    h.req("c/0", { type: "group.leave", corr: 0, group: "g", memberId: r0.memberId, reason: "poll-timeout" });
    const r1 = h.req("c/0", join()) as { memberId: string; generation: number };
    h.req("c/0", join(r1.memberId));
    expect(told(h)).toEqual(["member-joined c/0 join 1", "member-left c/0 poll-timeout 1", "member-joined c/0 rejoin 3"]);
  });
});

describe("group.initial.rebalance.delay.ms", () => {
  it("the first generation waits for more members, then includes all of them", () => {
    const h = harness();
    (h.host as { config: unknown }).config = { ...h.host.config, "group.initial.rebalance.delay.ms": 3000 };
    h.req("c/0", join());
    expect(h.lastTo("c/0")).toBeUndefined();
    h.req("c/1", join());
    expect(h.lastTo("c/1")).toBeUndefined();
    // The delay ends: fire the group's join timer (the only non-session timer).
    for (const [, tag] of [...h.timers]) if (tag?.constructor.name === "JoinTag") h.gc.onTimer(h.ctx, tag);
    const a = h.lastTo("c/0") as unknown as { generation: number; members: unknown[]; error: KafkaErrorCode };
    const b = h.lastTo("c/1") as { generation: number; error: KafkaErrorCode };
    expect(a.error).toBe("NONE");
    expect(a.generation).toBe(1);
    expect(b.generation).toBe(1);
    expect(a.members.length).toBe(2);
  });
});

describe("a real client's protocols and assignment bytes (opaque to the coordinator, as in Kafka)", () => {
  const withProtocols = (protocols: { name: string; metadata: string }[], memberId = "") => ({ ...join(memberId), protocols });

  it("the leader gets every member's metadata for the chosen protocol; each member gets the bytes its leader assigned it", () => {
    const h = harness();
    (h.host as { config: unknown }).config = { ...h.host.config, "group.initial.rebalance.delay.ms": 3000 };
    h.req("c/0", withProtocols([{ name: "RoundRobinAssigner", metadata: "AAA=" }]));
    h.req("c/1", withProtocols([{ name: "RoundRobinAssigner", metadata: "BBB=" }]));
    for (const [, tag] of [...h.timers]) if (tag?.constructor.name === "JoinTag") h.gc.onTimer(h.ctx, tag);
    const a = h.lastTo("c/0") as unknown as { memberId: string; leaderId: string; generation: number; protocol: string; members: { memberId: string; metadata: string }[] };
    const b = h.lastTo("c/1") as unknown as { memberId: string; protocol: string; members: unknown[] };
    expect(a.protocol).toBe("RoundRobinAssigner");
    expect(b.protocol).toBe("RoundRobinAssigner");
    expect(a.leaderId).toBe(a.memberId);
    expect(a.members.map((m) => m.metadata)).toEqual(["AAA=", "BBB="]);
    expect(b.members).toEqual([]);
    h.req("c/1", { type: "group.sync", corr: 0, group: "g", generation: a.generation, memberId: b.memberId, assignments: [] });
    h.req("c/0", { type: "group.sync", corr: 0, group: "g", generation: a.generation, memberId: a.memberId, assignments: [{ memberId: a.memberId, partitions: [{ topic: "t", partition: 0 }], assignment: "QQ==" }, { memberId: b.memberId, partitions: [{ topic: "t", partition: 1 }], assignment: "Qg==" }] });
    expect(h.lastTo("c/0")).toMatchObject({ type: "group.sync-response", error: "NONE", partitions: [{ topic: "t", partition: 0 }], assignment: "QQ==" });
    expect(h.lastTo("c/1")).toMatchObject({ type: "group.sync-response", error: "NONE", partitions: [{ topic: "t", partition: 1 }], assignment: "Qg==" });
    // A new coordinator loads the bytes with the group: a stable member's SyncGroup gets them again.
    const fresh = new GroupCoordinator(h.host);
    fresh.onElected(h.ctx, offsetsPartitionFor("g", 4));
    fresh.onMessage(h.ctx, nodeId("c/1"), { type: "group.sync", corr: 77, group: "g", generation: a.generation, memberId: b.memberId, assignments: [] });
    expect(h.lastTo("c/1")).toMatchObject({ corr: 77, error: "NONE", assignment: "Qg==" });
  });

  it("the protocol is the one every member supports that most members prefer (GroupMetadata.selectProtocol)", () => {
    expect(selectProtocol([{ protocols: [{ name: "range", metadata: "" }, { name: "roundrobin", metadata: "" }] }, { protocols: [{ name: "roundrobin", metadata: "" }, { name: "range", metadata: "" }] }, { protocols: [{ name: "roundrobin", metadata: "" }] }])).toBe("roundrobin");
    expect(selectProtocol([{ protocols: [{ name: "a", metadata: "" }, { name: "b", metadata: "" }] }, { protocols: [{ name: "b", metadata: "" }, { name: "a", metadata: "" }] }])).toBe("a");
    expect(selectProtocol([{}, {}])).toBeUndefined();
  });

  it("a member sharing no protocol with the others is refused: INCONSISTENT_GROUP_PROTOCOL", () => {
    const h = harness();
    h.req("c/0", withProtocols([{ name: "range", metadata: "" }]));
    expect(h.req("c/1", withProtocols([{ name: "cooperative-sticky", metadata: "" }]))).toMatchObject({ type: "group.join-response", error: "INCONSISTENT_GROUP_PROTOCOL" });
  });

  it("modelled members (no protocols) store and get exactly what they did before: no protocol, no bytes", () => {
    const h = harness();
    const r = h.req("c/0", join()) as unknown as Record<string, unknown>;
    expect("protocol" in r).toBe(false);
    h.req("c/0", { type: "group.sync", corr: 0, group: "g", generation: r.generation as number, memberId: r.memberId as string, assignments: [{ memberId: r.memberId as string, partitions: [] }] });
    expect("assignment" in (h.lastTo("c/0") as object)).toBe(false);
    expect(h.host.keyName(h.log.values[h.log.values.length - 1] as number)).not.toMatch(/protocol|assignmentBytes/);
  });
});
