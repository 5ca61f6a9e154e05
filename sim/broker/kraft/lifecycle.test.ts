// The KRaft broker's lifecycle (BrokerLifecycleManager): registration with an incarnation id and the epoch of its
// last clean stop, heartbeats every broker.heartbeat.interval.ms carrying its published offset, asking to be
// unfenced only once it has published metadata, request timeouts and backoff, controlled shutdown.
import { describe, expect, it } from "vitest";
import { BrokerLifecycle, CLEAN_SHUTDOWN_FILE } from "./lifecycle.ts";
import { ManualCtx } from "./testkit.ts";
import { nodeId } from "../../core/ids.ts";
import type { NodeId } from "../../core/ids.ts";
import type { KRaftTimer } from "./timers.ts";
import type { BrokerHeartbeatResponse } from "../../controller/kraft/controller/messages.ts";

const CTL = nodeId("controller-1");

function lifecycle(opts: { controller?: NodeId | null; published?: { offset: number; publications: number } } = {}) {
  const ctx = new ManualCtx();
  const published = opts.published ?? { offset: -1, publications: 0 };
  const registered: number[] = [];
  let controller: NodeId | null = opts.controller === undefined ? CTL : opts.controller;
  const lc = new BrokerLifecycle({
    brokerId: 1,
    heartbeatIntervalMs: 2000,
    sessionTimeoutMs: 9000,
    activeController: () => controller,
    publishedOffset: () => published.offset,
    publications: () => published.publications,
    onRegistered: (_c, epoch) => registered.push(epoch),
  });
  const fire = (): void => {
    ctx.fireNext((tag) => lc.onTimer(ctx, tag as KRaftTimer));
  };
  const last = () => ctx.lastSent().msg;
  const heartbeatAnswer = (fields: Partial<BrokerHeartbeatResponse> = {}): void => {
    const m = last();
    lc.onResponse(ctx, CTL, { type: "kraft-broker-heartbeat-response", corr: (m as { corr: number }).corr, error: "NONE", isCaughtUp: false, isFenced: true, inControlledShutdown: false, shouldShutDown: false, ...fields });
  };
  const register = (brokerEpoch: number): void => {
    fire();
    const m = last();
    lc.onResponse(ctx, CTL, { type: "kraft-broker-registration-response", corr: (m as { corr: number }).corr, error: "NONE", brokerEpoch });
  };
  return { ctx, lc, fire, last, heartbeatAnswer, register, registered, published, setController: (c: NodeId | null) => (controller = c) };
}

/** Registered with epoch 7, caught up, published, unfenced: RUNNING. */
function running() {
  const t = lifecycle({ published: { offset: 10, publications: 1 } });
  t.lc.start(t.ctx);
  t.register(7);
  t.fire();
  t.heartbeatAnswer({ isCaughtUp: true });
  t.fire();
  t.heartbeatAnswer({ isCaughtUp: true, isFenced: false });
  return t;
}

describe("BrokerLifecycle: registration", () => {
  it("registers with the active controller under a new incarnation id per start and the epoch of its last clean stop", () => {
    const t = lifecycle();
    t.lc.start(t.ctx);
    t.register(7);
    expect(t.ctx.sent[0]).toEqual({ to: CTL, atUs: 0, msg: { type: "kraft-broker-registration", corr: 1, brokerId: 1, incarnationId: "broker-1@0", previousBrokerEpoch: -1 } });
    expect([t.lc.registered, t.lc.brokerEpoch, t.registered]).toEqual([true, 7, [7]]);
    expect(t.ctx.emitted).toContainEqual({ type: "broker-registered", broker: 1, brokerEpoch: 7 });
    // A clean stop writes the epoch; the next process (same disk) says so, with another incarnation id.
    t.lc.onShutdown(t.ctx);
    const next = lifecycle();
    const disk = t.ctx.disk;
    Object.defineProperty(next.ctx, "disk", { value: disk });
    next.ctx.nowUs = 5_000_000;
    next.lc.start(next.ctx);
    next.fire();
    expect(next.last()).toEqual({ type: "kraft-broker-registration", corr: 1, brokerId: 1, incarnationId: "broker-1@5000000", previousBrokerEpoch: 7 });
    // Starting resets the file: a crash of this incarnation is an unclean shutdown for the one after it.
    expect(disk.readBlob<number>(CLEAN_SHUTDOWN_FILE)).toBe(-1);
  });

  it("without a known controller it sends nothing and looks again every 100 ms", () => {
    const t = lifecycle({ controller: null });
    t.lc.start(t.ctx);
    t.fire();
    t.fire();
    expect(t.ctx.sent).toEqual([]);
    expect(t.ctx.nowUs).toBe(100_000);
    t.setController(CTL);
    t.fire();
    expect(t.last().type).toBe("kraft-broker-registration");
    expect(t.ctx.nowUs).toBe(200_000);
  });
});

describe("BrokerLifecycle: heartbeats and unfencing", () => {
  it("asks to stay fenced until it has published metadata, even once the controller says it caught up; then RUNNING", () => {
    const t = lifecycle();
    t.lc.start(t.ctx);
    t.register(7);
    t.fire();
    expect(t.last()).toEqual({ type: "kraft-broker-heartbeat", corr: 2, brokerId: 1, brokerEpoch: 7, currentMetadataOffset: -1, wantFence: true, wantShutDown: false });
    t.heartbeatAnswer({ isCaughtUp: true });
    expect(t.lc.state).toBe("RECOVERY");
    t.fire();
    expect(t.last()).toMatchObject({ type: "kraft-broker-heartbeat", wantFence: true });
    t.heartbeatAnswer({ isCaughtUp: true });
    expect([t.lc.state, t.lc.servedSince]).toEqual(["RECOVERY", false]);
    // The first publication: it asks at once to be unfenced, with its published offset.
    t.published.offset = 12;
    t.published.publications = 1;
    t.lc.onPublished(t.ctx);
    const at = t.ctx.nowUs;
    t.fire();
    expect(t.ctx.nowUs).toBe(at);
    expect(t.last()).toMatchObject({ type: "kraft-broker-heartbeat", currentMetadataOffset: 12, wantFence: false });
    t.heartbeatAnswer({ isCaughtUp: true, isFenced: false });
    expect([t.lc.state, t.lc.servedSince]).toEqual(["RUNNING", true]);
    expect(t.ctx.emitted.filter((e) => e.type === "kraft-broker-state").map((e) => (e as { state: string }).state)).toEqual(["STARTING", "RECOVERY", "RUNNING"]);
  });

  it("a broker that published before the controller said it caught up asks to be unfenced with its next heartbeat", () => {
    const t = lifecycle({ published: { offset: 4, publications: 1 } });
    t.lc.start(t.ctx);
    t.register(7);
    t.fire();
    t.heartbeatAnswer({ isCaughtUp: true });
    t.fire();
    expect(t.last()).toMatchObject({ type: "kraft-broker-heartbeat", wantFence: false });
  });

  it("RUNNING: a heartbeat every broker.heartbeat.interval.ms", () => {
    const t = running();
    const n = t.ctx.sent.length;
    const from = t.ctx.nowUs;
    for (let i = 0; i < 3; i++) {
      t.fire();
      t.heartbeatAnswer({ isCaughtUp: true, isFenced: false });
    }
    expect(t.ctx.sent.slice(n).map((s) => s.atUs - from)).toEqual([2_000_000, 4_000_000, 6_000_000]);
  });

  it("an unanswered heartbeat times out after min(controller.socket.timeout.ms, session / 2), closes the connection and backs off 100 ms, doubling", () => {
    const t = running();
    t.fire();
    const sentAt = t.ctx.nowUs;
    t.fire(); // the request timeout
    expect(t.ctx.nowUs - sentAt).toBe(4_500_000);
    expect(t.ctx.closed.at(-1)?.peer).toBe(CTL);
    const failedAt = t.ctx.nowUs;
    t.fire();
    expect(Math.abs(t.ctx.nowUs - failedAt - 100_000)).toBeLessThanOrEqual(2_000);
    t.fire(); // times out again
    const failed2 = t.ctx.nowUs;
    t.fire();
    expect(Math.abs(t.ctx.nowUs - failed2 - 200_000)).toBeLessThanOrEqual(4_000);
    expect(t.last().type).toBe("kraft-broker-heartbeat");
  });

  it("NOT_CONTROLLER: disconnects and sends again after reconnect.backoff.ms to the controller then known", () => {
    const t = running();
    t.fire();
    const m = t.last() as { corr: number };
    t.lc.onResponse(t.ctx, CTL, { type: "kraft-broker-heartbeat-response", corr: m.corr, error: "NOT_CONTROLLER", isCaughtUp: false, isFenced: false, inControlledShutdown: false, shouldShutDown: false });
    expect(t.ctx.closed.at(-1)?.peer).toBe(CTL);
    const c2 = nodeId("controller-2");
    t.setController(c2);
    const at = t.ctx.nowUs;
    t.fire();
    expect([t.ctx.nowUs - at, t.ctx.lastSent().to]).toEqual([50_000, c2]);
  });

  it("an answer to a request no longer in flight (an older corr, or from another node) is ignored", () => {
    const t = lifecycle();
    t.lc.start(t.ctx);
    t.register(7);
    t.fire();
    t.heartbeatAnswer({ isCaughtUp: true });
    t.published.publications = 1;
    t.lc.onPublished(t.ctx);
    t.fire();
    const m = t.last() as { corr: number };
    const unfenced = { type: "kraft-broker-heartbeat-response", error: "NONE", isCaughtUp: true, isFenced: false, inControlledShutdown: false, shouldShutDown: false } as const;
    t.lc.onResponse(t.ctx, CTL, { ...unfenced, corr: m.corr - 1 });
    t.lc.onResponse(t.ctx, nodeId("controller-2"), { ...unfenced, corr: m.corr });
    expect(t.lc.state).toBe("RECOVERY");
    t.lc.onResponse(t.ctx, CTL, { ...unfenced, corr: m.corr });
    expect(t.lc.state).toBe("RUNNING");
  });
});

describe("BrokerLifecycle: controlled shutdown", () => {
  it("heartbeats with wantShutDown until the controller says shouldShutDown, then stops (done once)", () => {
    const t = running();
    let done = 0;
    t.lc.beginControlledShutdown(t.ctx, () => done++);
    expect(t.lc.state).toBe("PENDING_CONTROLLED_SHUTDOWN");
    t.fire();
    expect(t.last()).toMatchObject({ type: "kraft-broker-heartbeat", wantShutDown: true });
    t.heartbeatAnswer({ isCaughtUp: true, isFenced: false, inControlledShutdown: true });
    expect(done).toBe(0);
    const at = t.ctx.nowUs;
    t.fire();
    expect(t.ctx.nowUs - at).toBe(50_000);
    t.heartbeatAnswer({ isCaughtUp: true, isFenced: false, inControlledShutdown: true, shouldShutDown: true });
    expect([done, t.lc.state]).toEqual([1, "SHUTTING_DOWN"]);
    // No more heartbeats; the deadline timer does nothing.
    const n = t.ctx.sent.length;
    while (t.ctx.nextTimer() !== undefined) t.fire();
    expect([t.ctx.sent.length, done]).toEqual([n, 1]);
  });

  it("without the controller's answer it stops at the deadline (5 minutes)", () => {
    const r = running();
    let done = 0;
    r.setController(null);
    r.lc.beginControlledShutdown(r.ctx, () => done++);
    const at = r.ctx.nowUs;
    while (done === 0) r.fire();
    expect([r.ctx.nowUs - at, r.lc.state]).toEqual([300_000_000, "SHUTTING_DOWN"]);
  });

  it("a broker that is not RUNNING stops at once", () => {
    const t = lifecycle();
    t.lc.start(t.ctx);
    let done = 0;
    t.lc.beginControlledShutdown(t.ctx, () => done++);
    expect([done, t.lc.state]).toEqual([1, "SHUTTING_DOWN"]);
    t.fire();
    expect(t.ctx.sent).toEqual([]);
  });
});
