// The leader's high watermark and ISR maintenance (core/.../cluster/Partition.scala): HW = min LEO over the
// maximal ISR (fact 4), what an HW move completes, the periodic shrink check (ReplicaManager.maybeShrinkIsr,
// fact 7), expansion on a follower's fetch (Partition.maybeExpandIsr, fact 8), and the proposal of an ISR change
// through the IsrChangePort (hooks.requestIsrChange: AlterPartition to the controller from 2.7, the leader's own
// conditional write of the state znode before) with its outcome.
import type { BrokerCtx } from "../group/host.ts";
import type { Partition } from "./partition.ts";
import type { ReplicaState } from "./state.ts";
import { checkProduceWaiters } from "./produce.ts";
import { wakeFetches } from "./leader-fetch.ts";

/** ISR-change answers that mean our leadership view is stale (a newer partition state exists). */
const FENCING_ERRORS: ReadonlySet<string> = new Set(["FENCED_LEADER_EPOCH", "INVALID_UPDATE_VERSION", "STALE_BROKER_EPOCH", "NOT_LEADER_OR_FOLLOWER", "UNKNOWN_TOPIC_OR_PARTITION", "NEW_LEADER_ELECTED"]);

export function maybeIncrementHw(rs: ReplicaState, ctx: BrokerCtx, p: Partition): boolean {
  if (!p.maybeIncrementHw(rs.holdHwUnderMinIsr, rs.spec.bugs.hwIgnoresMaximalIsr === true)) return false;
  ctx.emit({ type: "hw-advance", tp: p.key, broker: rs.brokerId, highWatermark: p.hw });
  return true;
}

/** The HW moved: complete satisfied acks=all requests (DelayedProduce) and wake consumer long polls. */
export function onHwAdvanced(rs: ReplicaState, ctx: BrokerCtx, p: Partition): void {
  if (p.produceWaiters.length > 0) checkProduceWaiters(ctx, p);
  if (p.fetchWaiters.length > 0) wakeFetches(rs, ctx, p, true);
}

/** ReplicaManager.maybeShrinkIsr, every replica.lag.time.max.ms / 2 (fact 7). */
export function checkIsrShrink(rs: ReplicaState, ctx: BrokerCtx): void {
  for (const p of rs.partitions.values()) {
    if (!p.isLeader || p.fenced || p.pendingIsr !== null) continue;
    const out = p.outOfSyncFollowers(ctx.nowUs, rs.lagUs);
    if (out.length === 0) continue;
    const newIsr = p.isr.filter((r) => !out.includes(r));
    alterIsr(rs, ctx, p, newIsr, p.isr, "shrink");
  }
}

/** Partition.maybeExpandIsr (fact 8): the follower reached the HW and the current epoch's start offset. */
export function maybeExpandIsr(rs: ReplicaState, ctx: BrokerCtx, p: Partition, follower: number, fetchOffset: number): void {
  if (p.pendingIsr !== null || p.fenced || p.isr.includes(follower)) return;
  if (fetchOffset < p.hw || fetchOffset < p.epochStartOffset) return;
  if (rs.hooks.isReplicaIsrEligible?.(follower) === false) return;
  const newIsr = [...p.isr, follower];
  alterIsr(rs, ctx, p, newIsr, newIsr, "expand");
}

function alterIsr(rs: ReplicaState, ctx: BrokerCtx, p: Partition, newIsr: readonly number[], maximal: readonly number[], kind: "shrink" | "expand"): void {
  p.pendingIsr = maximal;
  const epoch = p.leaderEpoch;
  rs.hooks.requestIsrChange(ctx, { topic: p.topic, partition: p.partition, leaderEpoch: epoch, newIsr, partitionEpoch: p.partitionEpoch }, (resp) => {
    if (!p.isLeader || p.leaderEpoch !== epoch || p.pendingIsr !== maximal) return; // superseded by leader-and-isr
    p.pendingIsr = null;
    if (resp.error === "NONE") {
      const old = p.isr;
      p.touchQuiet();
      p.isr = resp.isr;
      p.partitionEpoch = resp.partitionEpoch;
      if (rs.hooks.tracesIsrChanges === true) {
        // KRaft: the committed PartitionChangeRecord is the evidence (sim/controller/kraft/world/evidence.ts); from 2.7
        // in ZooKeeper mode the controller's write, announced when ZooKeeper applies it (control/controller.ts).
      } else if (kind === "shrink") {
        ctx.emit({ type: "isr-shrink", tp: p.key, leader: rs.brokerId, isr: resp.isr, removed: old.filter((r) => !resp.isr.includes(r)), by: "leader" });
      } else {
        ctx.emit({ type: "isr-expand", tp: p.key, leader: rs.brokerId, isr: resp.isr, added: resp.isr.filter((r) => !old.includes(r)) });
      }
    } else if (resp.retriable === true) {
      // Before 2.7 (Partition.updateIsr): the conditional write failed; the ISR stays as it was and the next
      // check tries again ("Cached zkVersion not equal to that in zookeeper, skip updating ISR").
      ctx.emit({ type: "isr-change-rejected", tp: p.key, broker: rs.brokerId, reason: resp.error });
    } else if (FENCING_ERRORS.has(resp.error)) {
      // Our view is stale: a newer leader epoch or partition state exists. Partition.handleAlterPartitionError
      // keeps the change pending (no retry) until leader-and-isr: the leader goes on appending, and its HW is
      // held by the maximal ISR (followers that moved on no longer fetch), so acks=all writes wait and time out.
      p.pendingIsr = maximal;
      p.fenced = true;
      ctx.emit({ type: "isr-change-rejected", tp: p.key, broker: rs.brokerId, reason: resp.error });
      return;
    }
    // Other errors (controller unreachable / moving): retried at the next check.
    if (maybeIncrementHw(rs, ctx, p) || p.produceWaiters.length > 0) onHwAdvanced(rs, ctx, p);
  });
}
