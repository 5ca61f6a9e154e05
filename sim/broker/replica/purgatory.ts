// Delayed operations (core/.../server/DelayedProduce.scala, DelayedFetch.scala): one object per waiting request,
// doubling as its timer tag; partitions keep light references to them and drop completed ones lazily.
import type { NodeId } from "../../core/ids.ts";
import type { KafkaErrorCode } from "../../kafka/errors.ts";
import type { FetchRequest, ProducePartitionResponse } from "../../kafka/protocol.ts";

export type ProduceResult = { -readonly [K in keyof ProducePartitionResponse]: ProducePartitionResponse[K] };

export class PendingProduce {
  done = false;
  timer = -1;
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
  timer = -1;
  constructor(
    readonly from: NodeId,
    readonly req: FetchRequest,
  ) {}
  get isConsumer(): boolean {
    return this.req.replicaId < 0;
  }
}
