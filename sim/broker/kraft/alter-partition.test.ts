// The KRaft broker's AlterPartitionManager: one pending change per partition (a new one replaces it), re-sent until
// answered (NOT_CONTROLLER / STALE_BROKER_EPOCH after 50 ms, a broken connection or no answer within
// controller.socket.timeout.ms after reconnect.backoff.ms), the partition's own errors handed back to the leader.
import { describe, expect, it } from "vitest";
import { AlterPartitionManager } from "./alter-partition.ts";
import { ManualCtx } from "./testkit.ts";
import { nodeId } from "../../core/ids.ts";
import type { NodeId } from "../../core/ids.ts";
import type { KRaftTimer } from "./timers.ts";
import type { IsrChangeRequest, IsrChangeResult } from "../control/control-plane.ts";
import type { AlterPartitionRequest } from "../../controller/kraft/controller/messages.ts";
import type { KRaftErrorCode } from "../../controller/kraft/errors.ts";
import { CONN_ALTER_PARTITION } from "../../kafka/channels.ts";

const CTL = nodeId("controller-1");

function manager(opts: { controller?: NodeId | null; brokerEpoch?: number } = {}) {
  const ctx = new ManualCtx();
  let controller: NodeId | null = opts.controller === undefined ? CTL : opts.controller;
  let epoch = opts.brokerEpoch ?? 7;
  const epochs = new Map([[2, 11], [3, 12]]);
  const m = new AlterPartitionManager({ brokerId: 1, brokerEpoch: () => epoch, activeController: () => controller, brokerEpochOf: (b) => epochs.get(b) ?? -1 });
  const results: IsrChangeResult[] = [];
  const submit = (req: Partial<IsrChangeRequest> = {}, into: IsrChangeResult[] = results): void =>
    m.submit(ctx, { topic: "t", partition: 0, leaderEpoch: 3, partitionEpoch: 5, newIsr: [1, 2, 3], ...req } as IsrChangeRequest, (r) => into.push(r));
  const requests = (): AlterPartitionRequest[] => ctx.sentOf("kraft-alter-partition");
  const answer = (req: AlterPartitionRequest, error: KRaftErrorCode, isr: readonly number[] = [1, 2, 3]): void =>
    m.onResponse(ctx, { type: "kraft-alter-partition-response", corr: req.corr, error, leader: 1, leaderEpoch: 3, partitionEpoch: 6, isr, leaderRecoveryState: "RECOVERED" });
  const fire = (): void => {
    ctx.fireNext((tag) => m.onTimer(ctx, tag as KRaftTimer));
  };
  return { ctx, m, results, submit, requests, answer, fire, setController: (c: NodeId | null) => (controller = c), setEpoch: (e: number) => (epoch = e) };
}

describe("AlterPartitionManager: the request", () => {
  it("goes to the active controller with the broker epoch, the epochs the leader applied and each member's broker epoch (KIP-903)", () => {
    const t = manager();
    t.submit();
    expect(t.ctx.sent).toEqual([
      {
        to: CTL,
        atUs: 0,
        msg: { type: "kraft-alter-partition", corr: 1, brokerId: 1, brokerEpoch: 7, topic: "t", partition: 0, leaderEpoch: 3, partitionEpoch: 5, newIsrWithEpochs: [{ brokerId: 1, brokerEpoch: 7 }, { brokerId: 2, brokerEpoch: 11 }, { brokerId: 3, brokerEpoch: 12 }], leaderRecoveryState: "RECOVERED" },
      },
    ]);
    t.answer(t.requests()[0] as AlterPartitionRequest, "NONE");
    expect(t.results).toEqual([{ error: "NONE", leaderEpoch: 3, isr: [1, 2, 3], partitionEpoch: 6 }]);
  });

  it("waits while no controller is known or the broker is not registered; resendWaiting sends it then", () => {
    const t = manager({ controller: null, brokerEpoch: -1 });
    t.submit();
    t.m.resendWaiting(t.ctx);
    t.setController(CTL);
    t.m.resendWaiting(t.ctx);
    expect(t.requests()).toEqual([]);
    t.setEpoch(9);
    t.m.resendWaiting(t.ctx);
    expect(t.requests().map((r) => [r.corr, r.brokerEpoch])).toEqual([[1, 9]]);
    t.m.resendWaiting(t.ctx); // in flight: not again
    expect(t.requests()).toHaveLength(1);
  });
});

describe("AlterPartitionManager: one pending change per partition", () => {
  it("a new change replaces the pending one: the old answer is dropped, only the new one is handed back", () => {
    const t = manager();
    const first: IsrChangeResult[] = [];
    t.submit({ newIsr: [1, 2] }, first);
    t.submit({ newIsr: [1] });
    expect(t.ctx.timers).toHaveLength(1); // the first one's request timeout is gone with it
    const [a, b] = t.requests();
    t.answer(a as AlterPartitionRequest, "NONE", [1, 2]);
    t.answer(b as AlterPartitionRequest, "NONE", [1]);
    expect(first).toEqual([]);
    expect(t.results.map((r) => r.isr)).toEqual([[1]]);
  });

  it("another partition's change is independent", () => {
    const t = manager();
    const other: IsrChangeResult[] = [];
    t.submit({ partition: 1 }, other);
    t.submit();
    const [a, b] = t.requests();
    t.answer(b as AlterPartitionRequest, "NONE");
    t.answer(a as AlterPartitionRequest, "NONE");
    expect([t.results.length, other.length]).toEqual([1, 1]);
  });

  it("a cancelled change is never answered and its timers are gone", () => {
    const t = manager();
    t.submit();
    t.m.cancel(t.ctx, "t", 0);
    t.answer(t.requests()[0] as AlterPartitionRequest, "NONE");
    expect([t.results, t.ctx.timers]).toEqual([[], []]);
  });
});

describe("AlterPartitionManager: retries", () => {
  it("NOT_CONTROLLER: closes the connection and re-sends after 50 ms to the controller then known", () => {
    const t = manager();
    t.submit();
    t.answer(t.requests()[0] as AlterPartitionRequest, "NOT_CONTROLLER");
    expect(t.ctx.closed).toEqual([{ peer: CTL, opts: { kind: CONN_ALTER_PARTITION }, atUs: 0 }]);
    const c2 = nodeId("controller-2");
    t.setController(c2);
    t.fire();
    expect([t.ctx.nowUs, t.ctx.lastSent().to, t.requests().length, t.results.length]).toEqual([50_000, c2, 2, 0]);
  });

  it("STALE_BROKER_EPOCH: re-sent after 50 ms with the broker epoch then known, the connection kept", () => {
    const t = manager();
    t.submit();
    t.answer(t.requests()[0] as AlterPartitionRequest, "STALE_BROKER_EPOCH");
    t.setEpoch(8);
    t.fire();
    expect([t.ctx.nowUs, t.requests().at(-1)?.brokerEpoch, t.ctx.closed.length, t.results.length]).toEqual([50_000, 8, 0, 0]);
  });

  it("no answer within controller.socket.timeout.ms: the connection is closed, re-sent after reconnect.backoff.ms; the late answer is dropped", () => {
    const t = manager();
    t.submit();
    t.fire();
    expect([t.ctx.nowUs, t.ctx.closed.length]).toEqual([30_000_000, 1]);
    t.fire();
    expect([t.ctx.nowUs, t.requests().length]).toEqual([30_050_000, 2]);
    t.answer(t.requests()[0] as AlterPartitionRequest, "NONE");
    expect(t.results).toEqual([]);
    t.answer(t.requests()[1] as AlterPartitionRequest, "NONE");
    expect(t.results).toHaveLength(1);
  });

  it("a broken connection to the controller: re-sent after reconnect.backoff.ms; one to another node changes nothing", () => {
    const t = manager();
    t.submit();
    t.m.onDisconnect(t.ctx, nodeId("controller-2"));
    expect(t.ctx.timers.map((x) => x.atUs)).toEqual([30_000_000]);
    t.m.onDisconnect(t.ctx, CTL);
    t.fire();
    expect([t.ctx.nowUs, t.requests().length]).toEqual([50_000, 2]);
  });

  // fuzz --seed 96003 --steer --set protocol=3.9: the first of two changes in flight came back NOT_CONTROLLER; closing
  // the connection dropped the second's answer, and its request timeout (30 s) outlived the run: broker 1 never
  // rejoined __consumer_offsets-0's ISR. Kafka's disconnect fails every request in flight on the connection, and
  // the channel manager sends them again.
  it("NOT_CONTROLLER closes the connection: the other changes in flight on it go again after reconnect.backoff.ms", () => {
    const t = manager();
    const other: IsrChangeResult[] = [];
    t.submit();
    t.submit({ topic: "u" }, other);
    const [a, b] = t.requests();
    t.answer(a as AlterPartitionRequest, "NOT_CONTROLLER");
    t.answer(b as AlterPartitionRequest, "NONE"); // the answer that was on the closed connection: dropped
    expect(other).toEqual([]);
    t.fire();
    t.fire();
    expect(t.requests().slice(2).map((r) => [r.topic, t.ctx.nowUs])).toEqual([["t", 50_000], ["u", 50_000]]);
    for (const r of t.requests().slice(2)) t.answer(r, "NONE");
    expect([t.results.length, other.length]).toEqual([1, 1]);
  });

  it("a request timeout closes the connection: the other changes in flight on it go again too", () => {
    const t = manager();
    t.submit();
    t.submit({ topic: "u" });
    t.fire(); // t's timeout: both go again after reconnect.backoff.ms
    t.fire();
    t.fire();
    expect(t.requests().slice(2).map((r) => r.topic).sort()).toEqual(["t", "u"]);
  });

  it("the partition's own errors go back to the leader without a retry", () => {
    for (const error of ["FENCED_LEADER_EPOCH", "INVALID_UPDATE_VERSION", "INELIGIBLE_REPLICA", "NEW_LEADER_ELECTED", "INVALID_REQUEST"] as const) {
      const t = manager();
      t.submit();
      t.answer(t.requests()[0] as AlterPartitionRequest, error);
      expect([t.results.map((r) => r.error), t.ctx.timers.length, t.requests().length]).toEqual([[error], 0, 1]);
    }
  });
});
