// The coordinator's marker channel (TransactionMarkerChannelManager + TransactionMarkerRequestCompletionHandler):
// once PrepareCommit / PrepareAbort is in the transaction log, a WriteTxnMarkers request goes to the leader of
// every partition of the transaction (from this broker's metadata cache), each retried until that leader has
// written the marker; when every partition has it, the coordinator writes CompleteCommit / CompleteAbort. A leader
// not in the cache, a broken connection, NOT_LEADER_OR_FOLLOWER or a marker that could not be replicated in time
// are retried after a back-off; INVALID_PRODUCER_EPOCH / TRANSACTION_COORDINATOR_FENCED stop the sending (a newer
// coordinator or producer epoch took over: TransactionMarkerRequestCompletionHandler's abortSending).
import type { NodeId } from "../../core/ids.ts";
import { brokerNode } from "../../core/ids.ts";
import type { KafkaErrorCode } from "../../kafka/errors.ts";
import type { WriteTxnMarkersResponse } from "../../kafka/protocol-txn.ts";
import type { BrokerCtx } from "../group/host.ts";
import type { TxnHost } from "./host.ts";

/** The broker's back-off between marker attempts (the inter-broker send thread's retry after a metadata update). */
const RETRY_BACKOFF_US = 100_000;

/** One transaction's markers on their way. */
export class PendingMarkers {
  /** Partitions still without the marker ("topic-p" → topic and partition). */
  readonly remaining = new Map<string, { readonly topic: string; readonly partition: number }>();
  /** Partitions with a request in flight. */
  readonly inFlight = new Set<string>();
  retryHandle = -1;
  stopped = false;
  constructor(
    readonly transactionalId: string,
    /** The __transaction_state partition whose coordinator sends them. */
    readonly txnPartition: number,
    readonly producerId: number,
    readonly producerEpoch: number,
    readonly commit: boolean,
    readonly coordinatorEpoch: number,
    readonly onComplete: (ctx: BrokerCtx) => void,
  ) {}

  stop(ctx: BrokerCtx): void {
    this.stopped = true;
    if (this.retryHandle !== -1) ctx.cancelTimer(this.retryHandle);
    this.retryHandle = -1;
  }
}

interface MarkerRequest {
  readonly pending: PendingMarkers;
  readonly node: NodeId;
  readonly tps: readonly string[];
}

class MarkerTimeout {
  constructor(readonly corr: number) {}
}

export class MarkerChannel {
  private readonly pending = new Map<string, PendingMarkers>();
  private readonly requests = new Map<number, MarkerRequest>();
  private nextCorr = 1;

  constructor(private readonly host: TxnHost) {}

  /** TransactionMarkerChannelManager.addTxnMarkersToSend. */
  send(ctx: BrokerCtx, pm: PendingMarkers, partitions: Iterable<string>): void {
    this.pending.get(pm.transactionalId)?.stop(ctx);
    for (const tp of partitions) {
      const m = /^(.+)-(\d+)$/.exec(tp);
      if (m) pm.remaining.set(tp, { topic: m[1] as string, partition: Number(m[2]) });
    }
    this.pending.set(pm.transactionalId, pm);
    this.drain(ctx, pm);
  }

  /** Stop everything the coordinator of `txnPartition` was sending (it resigned: removeMarkersForTxnTopicPartition). */
  removeFor(ctx: BrokerCtx, txnPartition: number): void {
    for (const pm of [...this.pending.values()]) if (pm.txnPartition === txnPartition) this.drop(ctx, pm);
  }

  onTimer(ctx: BrokerCtx, tag: unknown): boolean {
    if (tag instanceof PendingMarkers) {
      tag.retryHandle = -1;
      if (!tag.stopped) this.drain(ctx, tag);
      return true;
    }
    if (tag instanceof MarkerTimeout) {
      const r = this.requests.get(tag.corr);
      if (r !== undefined) this.failRequest(ctx, tag.corr, r);
      return true;
    }
    return false;
  }

  /** The connection to `peer` broke: its requests are lost; retry them. */
  onDisconnect(ctx: BrokerCtx, peer: NodeId): void {
    for (const [corr, r] of [...this.requests]) if (r.node === peer) this.failRequest(ctx, corr, r);
  }

  onResponse(ctx: BrokerCtx, msg: WriteTxnMarkersResponse): void {
    const r = this.requests.get(msg.corr);
    if (r === undefined) return;
    this.requests.delete(msg.corr);
    const pm = r.pending;
    for (const tp of r.tps) pm.inFlight.delete(tp);
    if (pm.stopped) return;
    let retry = false;
    for (const entry of msg.markers) {
      for (const x of entry.partitions) {
        const tp = `${x.topic}-${x.partition}`;
        switch (classify(x.error)) {
          case "done":
            pm.remaining.delete(tp);
            break;
          case "retry":
            retry = true;
            break;
          case "abort":
            // A newer producer epoch or coordinator epoch owns the transaction now: stop sending.
            this.drop(ctx, pm);
            return;
        }
      }
    }
    if (pm.remaining.size === 0) return this.complete(ctx, pm);
    if (retry) this.retryLater(ctx, pm);
  }

  private drop(ctx: BrokerCtx, pm: PendingMarkers): void {
    pm.stop(ctx);
    if (this.pending.get(pm.transactionalId) === pm) this.pending.delete(pm.transactionalId);
  }

  private complete(ctx: BrokerCtx, pm: PendingMarkers): void {
    this.drop(ctx, pm);
    pm.onComplete(ctx);
  }

  private failRequest(ctx: BrokerCtx, corr: number, r: MarkerRequest): void {
    this.requests.delete(corr);
    for (const tp of r.tps) r.pending.inFlight.delete(tp);
    if (!r.pending.stopped) this.retryLater(ctx, r.pending);
  }

  private retryLater(ctx: BrokerCtx, pm: PendingMarkers): void {
    if (pm.retryHandle === -1 && !pm.stopped) pm.retryHandle = ctx.setTimer(RETRY_BACKOFF_US, pm);
  }

  /** Send the markers of the partitions with no request in flight, one request per leader. */
  private drain(ctx: BrokerCtx, pm: PendingMarkers): void {
    if (pm.remaining.size === 0) return this.complete(ctx, pm);
    const byLeader = new Map<number, { topic: string; partition: number }[]>();
    let unknown = false;
    for (const [tp, ref] of pm.remaining) {
      if (pm.inFlight.has(tp)) continue;
      const leader = this.host.cachedLeaderOf(ref.topic, ref.partition);
      if (leader === null) {
        unknown = true;
        continue;
      }
      let l = byLeader.get(leader);
      if (l === undefined) byLeader.set(leader, (l = []));
      l.push(ref);
    }
    for (const [leader, partitions] of byLeader) {
      const corr = this.nextCorr++;
      const node = brokerNode(leader);
      const tps = partitions.map((x) => `${x.topic}-${x.partition}`);
      for (const tp of tps) pm.inFlight.add(tp);
      this.requests.set(corr, { pending: pm, node, tps });
      // The inter-broker channel's request.timeout.ms (30 s): a leader that lost power never answers, and its
      // markers go to the new leader only after it (TransactionMarkerChannelManager, NetworkClient).
      ctx.setTimer(this.host.config["request.timeout.ms"] * 1000, new MarkerTimeout(corr));
      ctx.send(node, { type: "txn.write-markers", corr, markers: [{ producerId: pm.producerId, producerEpoch: pm.producerEpoch, commit: pm.commit, coordinatorEpoch: pm.coordinatorEpoch, partitions }] });
    }
    if (unknown) this.retryLater(ctx, pm);
  }
}

/** TransactionMarkerRequestCompletionHandler's error handling. */
function classify(error: KafkaErrorCode): "done" | "retry" | "abort" {
  switch (error) {
    case "NONE":
      return "done";
    case "INVALID_PRODUCER_EPOCH":
    case "TRANSACTION_COORDINATOR_FENCED":
      return "abort";
    default:
      // NOT_LEADER_OR_FOLLOWER, UNKNOWN_TOPIC_OR_PARTITION, NOT_ENOUGH_REPLICAS(_AFTER_APPEND), REQUEST_TIMED_OUT,
      // KAFKA_STORAGE_ERROR...: retried (after a metadata refresh in Kafka).
      return "retry";
  }
}
