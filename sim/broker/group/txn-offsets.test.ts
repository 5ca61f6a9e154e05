// The group coordinator's transactional offsets (KIP-98, KIP-447): TxnOffsetCommit is fenced by the member's
// generation, its offsets stay pending until the transaction's marker, OffsetFetch with requireStable is refused
// while they are, and a coordinator loading the log applies them only after a COMMIT marker.
import { describe, it, expect } from "vitest";
import type { NodeContext } from "../../core/node.ts";
import { nodeId } from "../../core/ids.ts";
import type { TimeUs } from "../../core/time.ts";
import { Rng } from "../../core/rng.ts";
import { Disk } from "../../disk/disk.ts";
import { BROKER_DEFAULTS } from "../../kafka/config.ts";
import type { Message } from "../../kafka/protocol.ts";
import type { GroupMessage } from "../../kafka/protocol-group.ts";
import type { TxnOffsetCommitRequest } from "../../kafka/protocol-txn.ts";
import { ATTR_CONTROL, ATTR_TRANSACTIONAL, CONTROL_ABORT, CONTROL_COMMIT } from "../../kafka/records.ts";
import type { TraceEvent } from "../../events.ts";
import type { GroupHost } from "./host.ts";
import { GroupCoordinator } from "./coordinator.ts";
import { offsetsPartitionFor } from "./partition.ts";

const PARTITION = offsetsPartitionFor("g", 4);
const PID = 7_000_001;

function harness() {
  const sent: Message[] = [];
  const ctx: NodeContext<Message, TraceEvent> = {
    self: nodeId("broker-1"),
    nowUs: 0 as TimeUs,
    rng: new Rng(1),
    disk: new Disk(),
    send: (_to, msg) => void sent.push(msg),
    setTimer: () => 1,
    cancelTimer: () => undefined,
    emit: () => undefined,
    isUp: () => true,
    closeConnection: () => undefined,
  };
  const log = { keys: [] as number[], values: [] as number[], producerIds: [] as number[], attributes: [] as number[] };
  const names: string[] = [];
  const push = (key: number, value: number, producerId = -1, attributes = 0): void => {
    log.keys.push(key);
    log.values.push(value);
    log.producerIds.push(producerId);
    log.attributes.push(attributes);
  };
  const host: GroupHost = {
    brokerId: 1,
    config: { ...BROKER_DEFAULTS, "group.initial.rebalance.delay.ms": 0, "group.min.session.timeout.ms": 10 },
    offsetsPartitions: 4,
    isOffsetsLeader: () => true,
    cachedOffsetsLeader: () => 1,
    appendOffsets: (_c, _p, keys, values, _t, done) => {
      keys.forEach((k, i) => push(k, values[i] as number));
      done("NONE");
    },
    appendTxnOffsets: (_c, _p, keys, values, producerId, _e, _t, done) => {
      keys.forEach((k, i) => push(k, values[i] as number, producerId, ATTR_TRANSACTIONAL));
      done("NONE");
    },
    readOffsets: () => ({ keys: log.keys, values: log.values, count: log.values.length, producerIds: log.producerIds, attributes: log.attributes }),
    internKey: (n) => {
      const i = names.indexOf(n);
      return i >= 0 ? i : names.push(n) - 1;
    },
    keyName: (id) => names[id],
  };
  const gc = new GroupCoordinator(host);
  gc.onElected(ctx, PARTITION);
  let corr = 0;
  const req = (msg: GroupMessage | TxnOffsetCommitRequest, to = gc): Message | undefined => {
    const c = ++corr;
    if (msg.type === "txn.offset-commit") to.onTxnOffsetCommit(ctx, nodeId("c/0"), { ...msg, corr: c });
    else to.onMessage(ctx, nodeId("c/0"), { ...msg, corr: c } as GroupMessage);
    return sent.find((m) => (m as { corr?: number }).corr === c);
  };
  /** A member in a stable generation 1. */
  const join = (): { memberId: string; generation: number } => {
    const j = req({ type: "group.join", corr: 0, group: "g", memberId: "", sessionTimeoutMs: 1000, rebalanceTimeoutMs: 5000, topics: ["t"], strategy: "range" }) as { memberId: string; generation: number };
    req({ type: "group.sync", corr: 0, group: "g", memberId: j.memberId, generation: j.generation, assignments: [{ memberId: j.memberId, partitions: [{ topic: "t", partition: 0 }] }] });
    return j;
  };
  const txnCommit = (memberId: string, generation: number, offset: number): TxnOffsetCommitRequest => ({ type: "txn.offset-commit", corr: 0, transactionalId: "g/0", groupId: "g", producerId: PID, producerEpoch: 0, generation, memberId, offsets: [{ topic: "t", partition: 0, offset }] });
  const fetch = (requireStable: boolean) => req({ type: "group.offset-fetch", corr: 0, group: "g", partitions: [{ topic: "t", partition: 0 }], requireStable }) as unknown as { error: string; offsets: { offset: number }[] };
  return { ctx, gc, host, req, join, txnCommit, fetch, push, names };
}

describe("TxnOffsetCommit (GroupCoordinator.doTxnCommitOffsets, KIP-447)", () => {
  it("a member of the current generation commits; its offsets are pending until the COMMIT marker", () => {
    const h = harness();
    const m = h.join();
    expect(h.req(h.txnCommit(m.memberId, m.generation, 42))).toMatchObject({ type: "txn.offset-commit-response", error: "NONE" });
    expect(h.fetch(false)).toMatchObject({ error: "NONE", offsets: [{ offset: -1 }] });
    // GroupMetadataManager.getOffsets: requireStable refuses a partition with pending transactional offsets.
    expect(h.fetch(true)).toMatchObject({ error: "UNSTABLE_OFFSET_COMMIT" });
    h.gc.onTxnCompletion(h.ctx, PARTITION, PID, true);
    expect(h.fetch(true)).toMatchObject({ error: "NONE", offsets: [{ offset: 42 }] });
  });

  it("an ABORT marker drops them", () => {
    const h = harness();
    const m = h.join();
    h.req(h.txnCommit(m.memberId, m.generation, 42));
    h.gc.onTxnCompletion(h.ctx, PARTITION, PID, false);
    expect(h.fetch(true)).toMatchObject({ error: "NONE", offsets: [{ offset: -1 }] });
  });

  it("a zombie member's commit is refused: an older generation ILLEGAL_GENERATION, an unknown member UNKNOWN_MEMBER_ID", () => {
    const h = harness();
    const m = h.join();
    expect(h.req(h.txnCommit(m.memberId, m.generation - 1, 42))).toMatchObject({ error: "ILLEGAL_GENERATION" });
    expect(h.req(h.txnCommit("someone-else", m.generation, 42))).toMatchObject({ error: "UNKNOWN_MEMBER_ID" });
    expect(h.fetch(true)).toMatchObject({ error: "NONE", offsets: [{ offset: -1 }] });
  });

  it("without group metadata (a pre-2.5 producer: generation -1, no member id) it is accepted in any state", () => {
    const h = harness();
    h.join();
    expect(h.req(h.txnCommit("", -1, 42))).toMatchObject({ error: "NONE" });
  });

  it("a new coordinator loading the log applies a transaction's offsets after its COMMIT marker, drops an aborted one's, and keeps an open one's pending", () => {
    const h = harness();
    const key = h.host.internKey("g/t/0");
    const key1 = h.host.internKey("g/t/1");
    const key2 = h.host.internKey("g/t/2");
    h.push(key, 10);
    h.push(key, 20, PID, ATTR_TRANSACTIONAL);
    h.push(CONTROL_COMMIT, -1, PID, ATTR_CONTROL);
    h.push(key1, 30, PID + 1, ATTR_TRANSACTIONAL);
    h.push(CONTROL_ABORT, -1, PID + 1, ATTR_CONTROL);
    h.push(key2, 40, PID + 2, ATTR_TRANSACTIONAL);
    const fresh = new GroupCoordinator(h.host);
    fresh.onElected(h.ctx, PARTITION);
    const f = h.req({ type: "group.offset-fetch", corr: 0, group: "g", partitions: [{ topic: "t", partition: 0 }, { topic: "t", partition: 1 }] }, fresh) as unknown as { offsets: { offset: number }[] };
    expect(f.offsets.map((o) => o.offset)).toEqual([20, -1]);
    expect(h.req({ type: "group.offset-fetch", corr: 0, group: "g", partitions: [{ topic: "t", partition: 2 }], requireStable: true }, fresh)).toMatchObject({ error: "UNSTABLE_OFFSET_COMMIT" });
    fresh.onTxnCompletion(h.ctx, PARTITION, PID + 2, true);
    expect(h.req({ type: "group.offset-fetch", corr: 0, group: "g", partitions: [{ topic: "t", partition: 2 }], requireStable: true }, fresh)).toMatchObject({ error: "NONE", offsets: [{ offset: 40 }] });
  });
});
