import { describe, expect, it } from "vitest";
import { defaultControllerConfig } from "../config.ts";
import { MetadataImage } from "./image.ts";
import { BrokerHeartbeatManager } from "./heartbeat-manager.ts";
import { maybeFenceOneStaleBroker, processBrokerHeartbeat, registerBroker } from "./cluster-control.ts";
import { RecordSink } from "./replication-control.ts";
import type { BrokerHeartbeatRequest, BrokerRegistrationRequest } from "./messages.ts";
import type { MetadataRecord } from "./records.ts";

const SESSION_US = 9_000_000;

/** A controller's state and a log: records appended at increasing offsets and replayed at once. */
function cluster() {
  const img = new MetadataImage(defaultControllerConfig());
  const hb = new BrokerHeartbeatManager(SESSION_US);
  let next = 0;
  const apply = (sink: RecordSink): void => sink.records.forEach((r: MetadataRecord) => img.replay(r, next++));
  const register = (brokerId: number, incarnationId: string, nowUs = 0, previousBrokerEpoch = -1) => {
    const req: BrokerRegistrationRequest = { type: "kraft-broker-registration", corr: 1, brokerId, incarnationId, previousBrokerEpoch };
    const sink = new RecordSink();
    const r = registerBroker(img, hb, sink, req, next, nowUs);
    apply(sink);
    return r;
  };
  const heartbeat = (brokerId: number, nowUs: number, p: Partial<BrokerHeartbeatRequest> = {}) => {
    const req: BrokerHeartbeatRequest = { type: "kraft-broker-heartbeat", corr: 1, brokerId, brokerEpoch: img.brokers.get(brokerId)?.epoch ?? -1, currentMetadataOffset: next - 1, wantFence: false, wantShutDown: false, ...p };
    hb.updateContactTime(brokerId, req.brokerEpoch, nowUs);
    const sink = new RecordSink();
    const resp = processBrokerHeartbeat(img, hb, sink, req);
    const offset = next + sink.records.length - 1;
    apply(sink);
    if (resp.inControlledShutdown) hb.maybeUpdateControlledShutdownOffset(brokerId, offset);
    return { resp, records: sink.records };
  };
  return { img, hb, apply, register, heartbeat, get next() { return next; } };
}

describe("broker registration (ClusterControlManager.registerBroker)", () => {
  it("a new incarnation gets the offset its records are written at as broker epoch, and starts fenced", () => {
    const c = cluster();
    expect(c.register(1, "a")).toEqual({ error: "NONE", brokerEpoch: 0 });
    expect(c.register(2, "b")).toEqual({ error: "NONE", brokerEpoch: 1 });
    expect(c.img.brokers.get(1)).toMatchObject({ epoch: 0, fenced: true, registerRecordOffset: 0 });
    // The same incarnation registering again keeps its epoch.
    expect(c.register(1, "a").brokerEpoch).toBe(0);
  });

  it("another incarnation under a live session is refused; once the session expired it gets a new epoch", () => {
    const c = cluster();
    c.register(1, "a");
    c.heartbeat(1, 1_000_000);
    expect(c.register(1, "a2", 5_000_000).error).toBe("DUPLICATE_BROKER_REGISTRATION");
    expect(c.register(1, "a2", 10_000_001)).toEqual({ error: "NONE", brokerEpoch: 2 });
  });
});

describe("broker heartbeats (BrokerHeartbeatManager.calculateNextBrokerState)", () => {
  it("a fenced broker is unfenced only once its metadata has reached its registration record", () => {
    const c = cluster();
    c.register(1, "a");
    c.register(2, "b");
    const behind = c.heartbeat(2, 1000, { currentMetadataOffset: 0 });
    expect(behind.resp).toMatchObject({ error: "NONE", isFenced: true, isCaughtUp: false });
    expect(behind.records).toEqual([]);
    const caughtUp = c.heartbeat(2, 2000, { currentMetadataOffset: 1 });
    expect(caughtUp.resp).toMatchObject({ isFenced: false, isCaughtUp: true });
    expect(caughtUp.records.map((r) => r.type)).toEqual(["BrokerRegistrationChangeRecord"]);
    expect(c.img.isActive(2)).toBe(true);
  });

  it("a heartbeat from another incarnation is STALE_BROKER_EPOCH", () => {
    const c = cluster();
    c.register(1, "a");
    expect(c.heartbeat(1, 1000, { brokerEpoch: 99 }).resp.error).toBe("STALE_BROKER_EPOCH");
  });

  it("controlled shutdown: leaderships move first; shut down once every active broker has seen that", () => {
    const c = cluster();
    for (const b of [1, 2, 3]) c.register(b, `i${b}`);
    for (const b of [1, 2, 3]) c.heartbeat(b, 1000);
    const sink = new RecordSink();
    sink.add({ type: "TopicRecord", name: "t" });
    sink.add({ type: "PartitionRecord", topic: "t", partition: 0, replicas: [1, 2, 3], isr: [1, 2, 3], elr: [], lastKnownElr: [], leader: 1, leaderRecoveryState: "RECOVERED", leaderEpoch: 0, partitionEpoch: 0 });
    c.apply(sink);
    const start = c.heartbeat(1, 2000, { wantShutDown: true });
    expect(start.resp).toMatchObject({ inControlledShutdown: true, shouldShutDown: false });
    expect(c.img.partition("t", 0)).toMatchObject({ leader: 2, isr: [2, 3] });
    const shutdownOffset = c.next - 1;
    // No more leaderships, but brokers 2 and 3 have not seen the change yet.
    expect(c.heartbeat(1, 2500, { wantShutDown: true }).resp.shouldShutDown).toBe(false);
    c.heartbeat(2, 2600, { currentMetadataOffset: shutdownOffset });
    expect(c.heartbeat(1, 2700, { wantShutDown: true }).resp.shouldShutDown).toBe(false);
    c.heartbeat(3, 2800, { currentMetadataOffset: shutdownOffset });
    expect(c.heartbeat(1, 2900, { wantShutDown: true }).resp.shouldShutDown).toBe(true);
  });
});

describe("stale brokers (maybeFenceOneStaleBroker)", () => {
  it("fences brokers whose session expired, one per call", () => {
    const c = cluster();
    for (const b of [1, 2, 3]) c.register(b, `i${b}`);
    for (const b of [1, 2, 3]) c.heartbeat(b, 1000);
    c.heartbeat(3, 5_000_000);
    const now = 10_500_000;
    const fenced: number[] = [];
    for (let i = 0; i < 3; i++) {
      const sink = new RecordSink();
      const did = maybeFenceOneStaleBroker(c.img, c.hb, sink, now);
      c.apply(sink);
      fenced.push(...sink.records.filter((r) => r.type === "BrokerRegistrationChangeRecord").map((r) => (r as { brokerId: number }).brokerId));
      if (!did) break;
    }
    expect(fenced).toEqual([1, 2]);
    expect([1, 2, 3].map((b) => c.img.isActive(b))).toEqual([false, false, true]);
  });
});
