// Delayed operations (core/.../server/DelayedProduce.scala, DelayedFetch.scala): one object per waiting request,
// doubling as its timer tag; partitions keep light references to them and drop completed ones lazily.
import type { NodeId } from "../../core/ids.ts";
import type { KafkaErrorCode } from "../../kafka/errors.ts";
import type { FetchRequest, ProducePartitionResponse } from "../../kafka/protocol.ts";
import type { Partition } from "./partition.ts";
import type { LeaderFetchSession } from "../fetch-session/leader-sessions.ts";
import { insertBySeq } from "../../core/insert-by-seq.ts";

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
  /** Parking order on this broker: a partition's waiters are kept in it (see insertFetchWaiter). */
  seq = 0;
  constructor(
    readonly from: NodeId,
    readonly req: FetchRequest,
    /** The replicas its partitions named, as looked up when it arrived (undefined: none then). */
    readonly replicas: readonly (Partition | undefined)[],
    /** KIP-227: the fetch session it belongs to (null: a sessionless fetch), whether it was the session's full
     *  fetch, and the session epoch its answer expects (IncrementalFetchContext checks it did not move on). */
    readonly session: LeaderFetchSession | null,
    readonly fullFetch: boolean,
    readonly sessionEpoch: number,
  ) {}
  get isConsumer(): boolean {
    return this.req.replicaId < 0;
  }
}

/** Watch `p` for `pf` in parking order (a fetch-session entry rejoining after a quiet spell joins the waiters it
 *  would have been among had it been watched all along). */
export function insertFetchWaiter(p: Partition, pf: ParkedFetch): void {
  if (p.fetchWaiters.length > 32) p.fetchWaiters = p.fetchWaiters.filter((w) => !w.done);
  insertBySeq(p.fetchWaiters, pf);
}

/** One delay's expiry queue: operations in the order they were added, so their deadlines only grow. */
export class DeadlineQueue {
  items: (PendingProduce | ParkedFetch)[] = [];
  dueUs: number[] = [];
  /** Items before `head` are gone (completed or expired). */
  head = 0;
  /** True while the queue's one timer is set (for the deadline of its first pending item, or earlier). */
  armed = false;
  constructor(readonly delayUs: number) {}
}

/** Expiry of delayed operations (Kafka's DelayedOperationPurgatory with its timing wheel, DelayedProduce /
 *  DelayedFetch): one FIFO queue per delay, each with at most one scheduler timer, never cancelled. Completed
 *  operations are dropped from the head as new ones arrive, so the queue holds about what is in flight and a
 *  timer fires about once per delay, not once per request. */
export class DeadlineWheel {
  private readonly queues = new Map<number, DeadlineQueue>();
  private last: DeadlineQueue | null = null;

  add(ctx: { readonly nowUs: number; setTimer(delayUs: number, tag: unknown): number }, item: PendingProduce | ParkedFetch, delayUs: number): void {
    let q: DeadlineQueue | undefined = this.last ?? undefined;
    if (q === undefined || q.delayUs !== delayUs) {
      q = this.queues.get(delayUs);
      if (q === undefined) this.queues.set(delayUs, (q = new DeadlineQueue(delayUs)));
      this.last = q;
    }
    dropDone(q);
    q.items.push(item);
    q.dueUs.push(ctx.nowUs + delayUs);
    if (!q.armed) {
      q.armed = true;
      ctx.setTimer(delayUs, q);
    }
  }

  /** The queue's timer fired: its operations now due and not yet done, oldest first (removed from the queue);
   *  the timer is set again for the next pending one. */
  take(ctx: { readonly nowUs: number; setTimer(delayUs: number, tag: unknown): number }, q: DeadlineQueue): (PendingProduce | ParkedFetch)[] {
    q.armed = false;
    const now = ctx.nowUs;
    const { items, dueUs } = q;
    const out: (PendingProduce | ParkedFetch)[] = [];
    let h = q.head;
    for (; h < items.length; h++) {
      const it = items[h] as PendingProduce | ParkedFetch;
      if (it.done) continue;
      if ((dueUs[h] as number) > now) break;
      out.push(it);
    }
    q.head = h;
    dropDone(q); // may replace q's arrays
    if (q.head < q.items.length) {
      q.armed = true;
      ctx.setTimer(Math.max(0, (q.dueUs[q.head] as number) - now), q);
    }
    return out;
  }
}

/** Advance the head past completed operations; reclaim the space once the gone part is most of the array. */
function dropDone(q: DeadlineQueue): void {
  const items = q.items;
  let h = q.head;
  while (h < items.length && (items[h] as PendingProduce | ParkedFetch).done) h++;
  if (h === items.length) {
    if (h > 0) {
      // Fresh arrays: cheaper than shrinking these (the length setter is a slow path).
      q.items = [];
      q.dueUs = [];
    }
    h = 0;
  } else if (h >= 256 && h * 2 >= items.length) {
    items.splice(0, h);
    q.dueUs.splice(0, h);
    h = 0;
  }
  q.head = h;
}
