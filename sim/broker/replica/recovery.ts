// What survives a restart and what keeps it up to date: at boot every log and leader-epoch cache is reloaded
// from the disk and the HW from the replication-offset-checkpoint file (LogManager.loadLogs,
// ReplicaManager's highWatermarkCheckpoints); the HW checkpoint is written every
// replica.high.watermark.checkpoint.interval.ms and at a clean shutdown; the log flusher fsyncs logs whose
// last flush is older than log.flush.interval.ms (LogManager.flushDirtyLogs).
import { msToUs } from "../../core/time.ts";
import type { BrokerCtx } from "../group/host.ts";
import { HW_CHECKPOINT_BLOB } from "./state.ts";
import type { ReplicaState } from "./state.ts";

/** Reload every log on the disk: cut each epoch cache at its log's end, the HW to min(checkpoint, LEO). Every
 *  replica starts as neither leader nor follower and waits for its partition state. */
export function recoverLogs(rs: ReplicaState, ctx: BrokerCtx): void {
  const checkpoint = ctx.disk.readBlob<Readonly<Record<string, number>>>(HW_CHECKPOINT_BLOB) ?? {};
  const leos: Record<string, number> = {};
  let any = false;
  for (const name of ctx.disk.logNames()) {
    const p = rs.partitionByKey(ctx, name);
    if (p === undefined) continue;
    p.cache.truncateFromEnd(p.leo);
    p.hw = Math.min(checkpoint[name] ?? 0, p.leo);
    leos[name] = p.leo;
    any = true;
  }
  if (any) ctx.emit({ type: "broker-recovered", broker: rs.brokerId, logEndOffsets: leos });
}

export function checkpointHw(rs: ReplicaState, ctx: BrokerCtx): void {
  const cp: Record<string, number> = {};
  for (const [k, p] of rs.partitions) cp[k] = p.hw;
  ctx.disk.writeBlob(HW_CHECKPOINT_BLOB, cp, { flush: true });
}

/** The log flusher's run: fsync each log whose last flush is at least its flush interval old. */
export function flushDueLogs(rs: ReplicaState, ctx: BrokerCtx): void {
  const now = ctx.nowUs;
  for (const p of rs.partitions.values()) {
    if (p.flushMs !== null && now - p.lastFlushUs >= msToUs(p.flushMs)) {
      p.log.flush();
      p.lastFlushUs = now;
    }
  }
}
