// The transaction module a broker hosts: its transaction coordinator (coordinator.ts, with its marker channel:
// markers.ts) and, as a partition leader, the writing of the markers coordinators send (WriteTxnMarkers:
// KafkaApis.handleWriteTxnMarkersRequest). The broker hands it every message first; it takes the "txn." ones (but
// TxnOffsetCommit, which goes to the group coordinator), FindCoordinator with key type transaction and
// InitProducerId with a transactional.id.
import type { NodeId } from "../../core/ids.ts";
import type { KafkaErrorCode } from "../../kafka/errors.ts";
import type { Message } from "../../kafka/protocol.ts";
import type { WriteTxnMarkersRequest } from "../../kafka/protocol-txn.ts";
import type { BrokerCtx } from "../group/host.ts";
import type { TxnHost } from "./host.ts";
import { TxnCoordinator } from "./coordinator.ts";
import { PartitionVerifier } from "./verification.ts";
import type { VerifierHost } from "./verification.ts";

export { TXN_TOPIC, txnPartitionFor } from "./host.ts";
export type { TxnHost } from "./host.ts";
export { TxnLogState } from "./log-state.ts";
export type { VerifierHost } from "./verification.ts";

export class TxnModule {
  readonly coordinator: TxnCoordinator;
  /** KIP-890 on this broker as a partition leader or group coordinator: part 1's verification
   *  (transaction.partition.verification.enable) and part 2's adds for clients of transaction.version 2; null in
   *  worlds without a verifier host (tests). */
  readonly verifier: PartitionVerifier | null;

  constructor(
    private readonly host: TxnHost,
    verifierHost: VerifierHost | null = null,
  ) {
    this.coordinator = new TxnCoordinator(host);
    this.verifier = verifierHost === null ? null : new PartitionVerifier(verifierHost);
  }

  onStart(ctx: BrokerCtx): void {
    this.verifier?.clear();
    this.coordinator.onStart(ctx);
  }

  /** True when the message was the transaction module's. */
  onMessage(ctx: BrokerCtx, from: NodeId, msg: Message): boolean {
    switch (msg.type) {
      case "group.find-coordinator":
        if (msg.keyType !== "transaction") return false;
        this.coordinator.handleFindCoordinator(ctx, from, msg);
        return true;
      case "group.init-producer-id":
        if (msg.transactionalId === undefined) return false;
        this.coordinator.handleInitProducerId(ctx, from, { ...msg, transactionalId: msg.transactionalId });
        return true;
      case "txn.add-partitions":
        this.coordinator.handleAddPartitions(ctx, from, msg);
        return true;
      case "txn.add-offsets":
        this.coordinator.handleAddOffsets(ctx, from, msg);
        return true;
      case "txn.end":
        this.coordinator.handleEndTxn(ctx, from, msg);
        return true;
      case "txn.write-markers":
        this.writeMarkers(ctx, from, msg);
        return true;
      case "txn.write-markers-response":
        this.coordinator.markers.onResponse(ctx, msg);
        return true;
      case "txn.verify-partitions":
        this.coordinator.handleVerifyPartitions(ctx, from, msg);
        return true;
      case "txn.verify-partitions-response":
        this.verifier?.onResponse(ctx, msg);
        return true;
      case "txn.add-partitions-response":
      case "txn.add-offsets-response":
      case "txn.end-response":
      case "txn.offset-commit-response":
        return true; // answers are for clients
      default:
        return false;
    }
  }

  onTimer(ctx: BrokerCtx, tag: unknown): boolean {
    return this.coordinator.onTimer(ctx, tag) || (this.verifier !== null && this.verifier.onTimer(ctx, tag));
  }

  onDisconnect(ctx: BrokerCtx, peer: NodeId): void {
    this.coordinator.markers.onDisconnect(ctx, peer);
  }

  onElected(ctx: BrokerCtx, partition: number): void {
    this.coordinator.onElected(ctx, partition);
  }

  onResigned(ctx: BrokerCtx, partition: number): void {
    this.coordinator.onResigned(ctx, partition);
  }

  /** As the leader of each named partition, append the marker (acks=all); answer once every one is settled. */
  private writeMarkers(ctx: BrokerCtx, from: NodeId, msg: WriteTxnMarkersRequest): void {
    const results = msg.markers.map((m) => ({ producerId: m.producerId, partitions: m.partitions.map((p) => ({ topic: p.topic, partition: p.partition, error: "NONE" as KafkaErrorCode })) }));
    let remaining = 0;
    for (const r of results) remaining += r.partitions.length;
    if (remaining === 0) return ctx.send(from, { type: "txn.write-markers-response", corr: msg.corr, markers: results });
    // A leader waits request.timeout.ms for a marker to be replicated before answering REQUEST_TIMED_OUT.
    msg.markers.forEach((m, i) => {
      m.partitions.forEach((p, j) => {
        this.host.appendMarker(ctx, p.topic, p.partition, m.producerId, m.producerEpoch, m.commit, m.coordinatorEpoch, this.host.config["request.timeout.ms"], (error) => {
          ((results[i] as (typeof results)[number]).partitions[j] as { error: KafkaErrorCode }).error = error;
          if (error === "NONE") this.host.onMarkerWritten(ctx, p.topic, p.partition, m.producerId, m.commit);
          if (--remaining === 0) ctx.send(from, { type: "txn.write-markers-response", corr: msg.corr, markers: results });
        });
      });
    });
  }
}
