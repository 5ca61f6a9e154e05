// Producer ids (Kafka's ProducerIdManager hands out blocks of ids from ZooKeeper or the controller): here broker b
// hands out b * PID_BLOCK + n, n from a counter kept in a flushed blob on its disk, so ids are unique in the world
// and across restarts. Idempotent producers get one from any broker; transactional ones from their coordinator.
import type { BrokerCtx } from "./group/host.ts";

const PID_BLOB = "group-coordinator/producer-id-seq";
/** Producer ids handed out by broker b are b * PID_BLOCK + n. */
export const PID_BLOCK = 1_000_000;

export function allocateProducerId(ctx: BrokerCtx, brokerId: number): number {
  const n = (ctx.disk.readBlob<number>(PID_BLOB) ?? 0) + 1;
  ctx.disk.writeBlob(PID_BLOB, n, { flush: true });
  return brokerId * PID_BLOCK + n;
}
