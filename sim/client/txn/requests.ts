// The requests a transactional client has in flight (NetworkClient's in-flight requests, as the transactional
// producer and the pipeline's output producer use them): each with its correlation id, the node it went to, the
// batches it carries (a produce request) and its request.timeout.ms timer, whose tag is the request itself; and
// the one retry.backoff.ms timer that runs the client's state machine again after a failure.
import type { NodeId } from "../../core/ids.ts";
import type { NodeContext } from "../../core/node.ts";
import type { Message } from "../../kafka/protocol.ts";
import type { TraceEvent } from "../../events.ts";
import type { TxnBatch } from "./txn-batches.ts";

export type Ctx = NodeContext<Message, TraceEvent>;

export type TxnRequestKind =
  /** FindCoordinator (key type transaction). */
  | "find"
  /** InitProducerId. */
  | "init"
  /** AddPartitionsToTxn. */
  | "add"
  | "produce"
  | "metadata"
  /** AddOffsetsToTxn (the pipeline's). */
  | "add-offsets"
  /** TxnOffsetCommit to the group coordinator (the pipeline's). */
  | "offset-commit"
  /** EndTxn. */
  | "end";

const NO_BATCHES: readonly TxnBatch[] = [];

/** A request in flight; also its own timeout timer's tag. */
export class TxnRequest {
  timer = -1;
  constructor(
    readonly kind: TxnRequestKind,
    readonly node: NodeId,
    readonly batches: readonly TxnBatch[],
  ) {}
}

class RetryTag {}

export interface RequestTiming {
  readonly requestTimeoutMs: number;
  readonly retryBackoffMs: number;
}

export class RequestBook {
  readonly inflight = new Map<number, TxnRequest>();
  /** Requests in flight per kind: `has` is asked several times per step, on the per-tick path. */
  private readonly counts: Record<TxnRequestKind, number> = { find: 0, init: 0, add: 0, produce: 0, metadata: 0, "add-offsets": 0, "offset-commit": 0, end: 0 };
  private corr: number;
  private readonly retryTag = new RetryTag();
  private retryArmed = false;

  /** `corrBase`: correlation ids start after it (the pipeline's apart from its consumer's on a shared connection). */
  constructor(
    private readonly corrBase: number,
    private readonly timing: RequestTiming,
  ) {
    this.corr = corrBase;
  }

  send(ctx: Ctx, node: NodeId, kind: TxnRequestKind, make: (corr: number) => Message, batches: readonly TxnBatch[] = NO_BATCHES): void {
    const corr = ++this.corr;
    const r = new TxnRequest(kind, node, batches);
    r.timer = ctx.setTimer(this.timing.requestTimeoutMs * 1000, r);
    this.inflight.set(corr, r);
    this.counts[kind]++;
    ctx.send(node, make(corr));
  }

  /** The request answered by `corr`, removed from the books; undefined when it already failed (a late answer). */
  take(ctx: Ctx, corr: number): TxnRequest | undefined {
    const r = this.inflight.get(corr);
    if (r === undefined) return undefined;
    this.inflight.delete(corr);
    this.counts[r.kind]--;
    ctx.cancelTimer(r.timer);
    return r;
  }

  has(kind: TxnRequestKind): boolean {
    return this.counts[kind] > 0;
  }

  /** Whether `msg` answers one of these requests. */
  owns(msg: Message): boolean {
    const corr = (msg as { corr?: number }).corr;
    return corr !== undefined && corr > this.corrBase && this.inflight.has(corr);
  }

  /** Run the state machine again after retry.backoff.ms (one timer at a time). */
  retryLater(ctx: Ctx): void {
    if (this.retryArmed) return;
    this.retryArmed = true;
    ctx.setTimer(this.timing.retryBackoffMs * 1000, this.retryTag);
  }

  /** The retry timer fired (true: `tag` was it). */
  isRetry(tag: unknown): boolean {
    if (tag !== this.retryTag) return false;
    this.retryArmed = false;
    return true;
  }

  /** A request's timer fired while it was still in flight: that request (NetworkClient then closes its connection). */
  timedOut(tag: unknown): TxnRequest | undefined {
    if (!(tag instanceof TxnRequest)) return undefined;
    for (const r of this.inflight.values()) if (r === tag) return r;
    return undefined;
  }

  /** The connection to `node` is gone: every request on it fails; returns them, in the order they were sent. */
  failNode(ctx: Ctx, node: NodeId): TxnRequest[] {
    const failed: TxnRequest[] = [];
    for (const [corr, r] of [...this.inflight]) {
      if (r.node !== node) continue;
      this.take(ctx, corr);
      failed.push(r);
    }
    return failed;
  }
}
