import { describe, it, expect } from "vitest";
import { ZkStore } from "./store.ts";
import type { ZkOp } from "../kafka/protocol-cluster.ts";

// ZooKeeper semantics that Kafka's ZooKeeper era relies on (KafkaZkClient, ZooKeeper's DataTree/PrepRequestProcessor).

function setup(): { store: ZkStore; a: number; b: number } {
  const store = new ZkStore();
  store.seed("/brokers/ids", null);
  store.seed("/controller_epoch", 0);
  const a = store.createSession("broker-1", 18000, 0).id;
  const b = store.createSession("broker-2", 18000, 0).id;
  return { store, a, b };
}

let corr = 0;
const run = (store: ZkStore, sid: number, ops: ZkOp[]) => store.multi(sid, ++corr, ops);

describe("ZkStore: versioned nodes and compare-and-set", () => {
  it("set/delete/check with a stale version fail with BAD_VERSION; -1 matches any version", () => {
    const { store, a } = setup();
    expect(run(store, a, [{ op: "create", path: "/x", data: 1, ephemeral: false }]).outcome.error).toBe("NONE");
    expect(run(store, a, [{ op: "set", path: "/x", data: 2, version: 0 }]).outcome.results[0]?.version).toBe(1);
    // A second writer that read version 0 loses the race.
    expect(run(store, a, [{ op: "set", path: "/x", data: 3, version: 0 }]).outcome.error).toBe("BAD_VERSION");
    expect(store.node("/x")?.data).toBe(2);
    expect(run(store, a, [{ op: "check", path: "/x", version: 0 }]).outcome.error).toBe("BAD_VERSION");
    expect(run(store, a, [{ op: "delete", path: "/x", version: 5 }]).outcome.error).toBe("BAD_VERSION");
    expect(run(store, a, [{ op: "set", path: "/x", data: 4, version: -1 }]).outcome.error).toBe("NONE");
    expect(store.node("/x")?.version).toBe(2);
    expect(run(store, a, [{ op: "delete", path: "/x", version: 2 }]).outcome.error).toBe("NONE");
    expect(store.node("/x")).toBeUndefined();
  });

  it("a sequential create appends the parent's cversion (child creations and deletions) as 10 digits; a rolled-back multi does not count", () => {
    const { store, a } = setup();
    store.seed("/isr_change_notification", null);
    const seq = (): ZkOp => ({ op: "create", path: "/isr_change_notification/isr_change_", data: 1, ephemeral: false, sequential: true });
    expect(run(store, a, [seq()]).outcome.results[0]?.path).toBe("/isr_change_notification/isr_change_0000000000");
    expect(run(store, a, [seq()]).outcome.results[0]?.path).toBe("/isr_change_notification/isr_change_0000000001");
    expect(run(store, a, [{ op: "delete", path: "/isr_change_notification/isr_change_0000000000", version: -1 }]).outcome.error).toBe("NONE");
    expect(run(store, a, [seq(), { op: "check", path: "/nope", version: 0 }]).outcome.error).toBe("NO_NODE");
    expect(run(store, a, [seq()]).outcome.results[0]?.path).toBe("/isr_change_notification/isr_change_0000000003");
    expect(store.children("/isr_change_notification")).toEqual(["isr_change_0000000001", "isr_change_0000000003"]);
  });

  it("create needs its parent, fails on an existing node; delete refuses a node with children", () => {
    const { store, a } = setup();
    expect(run(store, a, [{ op: "create", path: "/a/b", data: 0, ephemeral: false }]).outcome.error).toBe("NO_NODE");
    expect(run(store, a, [{ op: "create", path: "/brokers/ids", data: 0, ephemeral: false }]).outcome.error).toBe("NODE_EXISTS");
    run(store, a, [{ op: "create", path: "/brokers/ids/1", data: 0, ephemeral: true }]);
    expect(run(store, a, [{ op: "delete", path: "/brokers/ids", version: -1 }]).outcome.error).toBe("NOT_EMPTY");
  });

  it("every write transaction gets the next zxid; creates carry it as czxid (the broker epoch)", () => {
    const { store, a, b } = setup();
    const r1 = run(store, a, [{ op: "create", path: "/brokers/ids/1", data: null, ephemeral: true }]).outcome;
    const r2 = run(store, b, [{ op: "create", path: "/brokers/ids/2", data: null, ephemeral: true }]).outcome;
    expect(r1.results[0]?.czxid).toBe(r1.zxid);
    expect(r2.zxid).toBe(r1.zxid + 1);
    expect(r2.results[0]?.czxid).toBeGreaterThan(r1.results[0]?.czxid as number);
    // A read-only request does not advance the zxid.
    const r3 = run(store, a, [{ op: "get", path: "/brokers/ids/1", watch: false }]).outcome;
    expect(r3.zxid).toBe(r2.zxid);
    expect(r3.results[0]?.czxid).toBe(r1.zxid);
  });
});

describe("ZkStore: multi-op is all or nothing", () => {
  it("a failing op rolls back the earlier writes of the same multi (controller election: create /controller + bump epoch)", () => {
    const { store, a, b } = setup();
    const zxid0 = store.zxid;
    // Broker 2 read /controller_epoch at version 0, but broker 1 bumps it first.
    expect(
      run(store, a, [
        { op: "create", path: "/controller", data: { brokerid: 1, epoch: 1 }, ephemeral: true },
        { op: "set", path: "/controller_epoch", data: 1, version: 0 },
      ]).outcome.error,
    ).toBe("NONE");
    run(store, a, [{ op: "delete", path: "/controller", version: -1 }]);
    const zxid1 = store.zxid;
    expect(zxid1).toBe(zxid0 + 2);
    const r = run(store, b, [
      { op: "create", path: "/controller", data: { brokerid: 2, epoch: 1 }, ephemeral: true },
      { op: "set", path: "/controller_epoch", data: 1, version: 0 },
    ]).outcome;
    expect(r.error).toBe("BAD_VERSION");
    expect(r.results[1]?.error).toBe("BAD_VERSION");
    expect(r.results[0]?.error).toBe("NONE");
    expect(store.node("/controller")).toBeUndefined(); // the create was rolled back
    expect(store.sessions.get(b)?.ephemerals.size).toBe(0);
    expect(store.zxid).toBe(zxid1);
  });

  it("reads inside a multi report NO_NODE without failing it", () => {
    const { store, a } = setup();
    const r = run(store, a, [
      { op: "get", path: "/nope", watch: false },
      { op: "create", path: "/y", data: 1, ephemeral: false },
      { op: "children", path: "/brokers/ids", watch: false },
    ]).outcome;
    expect(r.error).toBe("NONE");
    expect(r.results.map((x) => x.error)).toEqual(["NO_NODE", "NONE", "NONE"]);
    expect(store.node("/y")?.data).toBe(1);
  });

  it("a retried request (same corr) gets the first answer and is not applied twice", () => {
    const { store, a } = setup();
    const first = store.multi(a, 9999, [{ op: "create", path: "/once", data: 1, ephemeral: false }]).outcome;
    const again = store.multi(a, 9999, [{ op: "create", path: "/once", data: 1, ephemeral: false }]).outcome;
    expect(first.error).toBe("NONE");
    expect(again).toBe(first);
  });
});

describe("ZkStore: sessions, ephemeral nodes and watches", () => {
  it("closing (expiring) a session deletes its ephemeral nodes and fires the watches on them", () => {
    const { store, a, b } = setup();
    run(store, a, [{ op: "create", path: "/brokers/ids/1", data: null, ephemeral: true }]);
    run(store, b, [
      { op: "children", path: "/brokers/ids", watch: true },
      { op: "get", path: "/brokers/ids/1", watch: true },
    ]);
    const fired = store.closeSession(a);
    expect(store.node("/brokers/ids/1")).toBeUndefined();
    expect(store.isExpiredId(a)).toBe(true);
    expect(fired).toEqual([
      { sessionId: b, owner: "broker-2", path: "/brokers/ids/1", event: "deleted" },
      { sessionId: b, owner: "broker-2", path: "/brokers/ids", event: "children" },
    ]);
    expect(store.multi(a, 1, [{ op: "get", path: "/", watch: false }]).outcome.error).toBe("SESSION_EXPIRED");
  });

  it("a watch fires once, then must be set again", () => {
    const { store, a, b } = setup();
    run(store, b, [{ op: "get", path: "/controller", watch: true }]);
    run(store, b, [{ op: "get", path: "/controller", watch: true }]); // same (path, session): one registration
    const f1 = run(store, a, [{ op: "create", path: "/controller", data: 1, ephemeral: true }]).fired;
    expect(f1).toEqual([{ sessionId: b, owner: "broker-2", path: "/controller", event: "created" }]);
    const f2 = run(store, a, [{ op: "set", path: "/controller", data: 2, version: -1 }]).fired;
    expect(f2).toEqual([]);
    run(store, b, [{ op: "get", path: "/controller", watch: true }]);
    expect(run(store, a, [{ op: "delete", path: "/controller", version: -1 }]).fired.map((w) => w.event)).toEqual(["deleted"]);
    expect(store.watchCount()).toBe(0);
  });

  it("watches set by a failed multi are not registered, and a rolled-back write fires nothing", () => {
    const { store, a, b } = setup();
    run(store, b, [{ op: "get", path: "/z", watch: true }]);
    const r = run(store, a, [
      { op: "get", path: "/controller", watch: true },
      { op: "create", path: "/z", data: 1, ephemeral: false },
      { op: "check", path: "/missing", version: 0 },
    ]);
    expect(r.outcome.error).toBe("NO_NODE");
    expect(r.fired).toEqual([]);
    expect(store.watchCount()).toBe(1); // only b's watch on /z, still armed
    expect(run(store, a, [{ op: "create", path: "/z", data: 1, ephemeral: false }]).fired).toHaveLength(1);
  });

  it("sessions are due only after their timeout without a touch", () => {
    const { store, a, b } = setup();
    expect(store.dueSessions(17_999_999)).toEqual([]);
    store.touch(a, 10_000_000);
    expect(store.dueSessions(18_000_000)).toEqual([b]);
    expect(store.dueSessions(28_000_000)).toEqual([a, b]);
    store.renewAll(30_000_000);
    expect(store.dueSessions(47_999_999)).toEqual([]);
  });
});
