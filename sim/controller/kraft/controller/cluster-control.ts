// ClusterControlManager and the broker side of ReplicationControlManager: registration (a new incarnation gets a
// new broker epoch, the offset its records are written at), heartbeats (the fencing state machine) and the
// periodic fencing of brokers whose session expired, one at a time.
import type { KRaftErrorCode } from "../errors.ts";
import type { BrokerControlState, BrokerHeartbeatManager } from "./heartbeat-manager.ts";
import type { MetadataImage } from "./image.ts";
import type { BrokerHeartbeatRequest, BrokerHeartbeatResponse, BrokerRegistrationRequest } from "./messages.ts";
import { handleBrokerFenced, handleBrokerInControlledShutdown, handleBrokerShutdown, handleBrokerUnfenced } from "./replication-control.ts";
import type { RecordSink } from "./replication-control.ts";

/** checkBrokerEpoch: a request from another incarnation (or an unknown broker) is STALE_BROKER_EPOCH. */
export function checkBrokerEpoch(img: MetadataImage, broker: number, epoch: number): boolean {
  const reg = img.brokers.get(broker);
  return reg !== undefined && reg.epoch === epoch;
}

/** ClusterControlManager.registerBroker. `nextWriteOffset` is where this batch will start: the new epoch. */
export function registerBroker(
  img: MetadataImage,
  hb: BrokerHeartbeatManager,
  sink: RecordSink,
  req: BrokerRegistrationRequest,
  nextWriteOffset: number,
  nowUs: number,
): { error: KRaftErrorCode; brokerEpoch: number } {
  const existing = img.brokers.get(req.brokerId);
  // Another process still heartbeating under this id (within broker.session.timeout.ms).
  if (existing !== undefined && hb.hasValidSession(req.brokerId, existing.epoch, nowUs) && existing.incarnationId !== req.incarnationId) {
    return { error: "DUPLICATE_BROKER_REGISTRATION", brokerEpoch: -1 };
  }
  const newIncarnation = existing === undefined || existing.incarnationId !== req.incarnationId;
  let epoch: number;
  let fenced = true;
  let inControlledShutdown = false;
  if (newIncarnation) {
    // Clean only if the broker names the epoch it shut down cleanly in (KAFKA-15586, KAFKA-18106).
    if (existing !== undefined) handleBrokerShutdown(img, sink, req.brokerId, existing.epoch === req.previousBrokerEpoch);
    epoch = nextWriteOffset;
  } else {
    const e = existing as NonNullable<typeof existing>;
    epoch = e.epoch;
    fenced = e.fenced;
    inControlledShutdown = e.inControlledShutdown;
  }
  sink.add({ type: "RegisterBrokerRecord", brokerId: req.brokerId, incarnationId: req.incarnationId, brokerEpoch: epoch, fenced, inControlledShutdown });
  if (newIncarnation) hb.remove(req.brokerId);
  hb.register(req.brokerId, fenced);
  return { error: "NONE", brokerEpoch: epoch };
}

const isFenced = (s: BrokerControlState): boolean => s === "FENCED" || s === "SHUTDOWN_NOW";

/** ReplicationControlManager.processBrokerHeartbeat (the caller has recorded the contact time). */
export function processBrokerHeartbeat(img: MetadataImage, hb: BrokerHeartbeatManager, sink: RecordSink, req: BrokerHeartbeatRequest): BrokerHeartbeatResponse {
  const reg = img.brokers.get(req.brokerId);
  if (reg === undefined || reg.epoch !== req.brokerEpoch) {
    return { type: "kraft-broker-heartbeat-response", corr: req.corr, error: "STALE_BROKER_EPOCH", isCaughtUp: false, isFenced: true, inControlledShutdown: false, shouldShutDown: false };
  }
  const { current, next } = hb.calculateNextBrokerState(req.brokerId, req, reg.registerRecordOffset, () => img.hasLeaderships(req.brokerId));
  if (current !== next) {
    switch (next) {
      case "FENCED":
      case "SHUTDOWN_NOW":
        handleBrokerFenced(img, sink, req.brokerId);
        break;
      case "UNFENCED":
        handleBrokerUnfenced(img, sink, req.brokerId, req.brokerEpoch);
        break;
      case "CONTROLLED_SHUTDOWN":
        handleBrokerInControlledShutdown(img, sink, req.brokerId, req.brokerEpoch);
        break;
    }
  }
  hb.touch(req.brokerId, isFenced(next), req.currentMetadataOffset);
  return {
    type: "kraft-broker-heartbeat-response",
    corr: req.corr,
    error: "NONE",
    isCaughtUp: req.currentMetadataOffset >= reg.registerRecordOffset,
    isFenced: isFenced(next),
    inControlledShutdown: next === "CONTROLLED_SHUTDOWN",
    shouldShutDown: next === "SHUTDOWN_NOW",
  };
}

/** maybeFenceOneStaleBroker: fence at most one broker whose session expired, so the effect of each fencing is
 *  visible before the next. True when it did something (the task then runs again soon). */
export function maybeFenceOneStaleBroker(img: MetadataImage, hb: BrokerHeartbeatManager, sink: RecordSink, nowUs: number): boolean {
  const e = hb.maybeRemoveExpired(nowUs);
  if (e === null) return false;
  const reg = img.brokers.get(e.id);
  if (reg === undefined) {
    hb.remove(e.id);
    return true;
  }
  if (reg.epoch !== e.epoch) return true;
  handleBrokerFenced(img, sink, e.id);
  hb.fence(e.id);
  return true;
}
