// Delayed operations (core/.../server/DelayedProduce.scala, DelayedFetch.scala): one object per waiting request,
// doubling as its timer tag; partitions keep light references to them and drop completed ones lazily.
import type { NodeId } from "../../core/ids.ts";
import type { KafkaErrorCode } from "../../kafka/errors.ts";
import type { FetchRequest, ProducePartitionResponse } from "../../kafka/protocol.ts";

export type ProduceResult = { -readonly [K in keyof ProducePartitionResponse]: ProducePartitionResponse[K] };

export class PendingProduce {
  done = false;
  /** Partitions still waiting for the HW. */
  remaining = 0;
  constructor(
    /** The producer node, or null for an internal append (group offsets) answered through `callback`. */
    readonly from: NodeId | null,
    readonly corr: number,
    readonly results: ProduceResult[],
    readonly callback: ((error: KafkaErrorCode) => void) | null,
  ) {}
}

export class ParkedFetch {
  done = false;
  constructor(
    readonly from: NodeId,
    readonly req: FetchRequest,
  ) {}
  get isConsumer(): boolean {
    return this.req.replicaId < 0;
  }
}

/** Expiry of delayed operations, bucketed by whole millisecond (a coarse timing wheel like Kafka's Timer):
 *  one scheduler timer per bucket, never cancelled; completed operations are skipped when their bucket fires.
 *  Keeps the scheduler free of one set/cancel pair per request on the hot path. */
export class DeadlineBucket {
  readonly items: (PendingProduce | ParkedFetch)[] = [];
  fired = false;
  constructor(readonly key: number) {}
}

export class DeadlineWheel {
  private readonly buckets = new Map<number, DeadlineBucket>();
  private last: DeadlineBucket | null = null;

  add(ctx: { readonly nowUs: number; setTimer(delayUs: number, tag: unknown): number }, item: PendingProduce | ParkedFetch, delayUs: number): void {
    const nowUs = ctx.nowUs;
    const key = Math.ceil((nowUs + delayUs) / 1000);
    // Most operations of a kind share a delay: consecutive adds usually hit the same bucket.
    const last = this.last;
    if (last !== null && last.key === key && !last.fired) {
      last.items.push(item);
      return;
    }
    let b = this.buckets.get(key);
    if (b === undefined) {
      b = new DeadlineBucket(key);
      this.buckets.set(key, b);
      ctx.setTimer(Math.max(0, key * 1000 - nowUs), b);
    }
    b.items.push(item);
    this.last = b;
  }

  /** The bucket's timer fired: its operations, to expire unless done. */
  take(b: DeadlineBucket): readonly (PendingProduce | ParkedFetch)[] {
    this.buckets.delete(b.key);
    b.fired = true;
    return b.items;
  }
}
