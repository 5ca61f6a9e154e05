// kafkajs's ConsumerGroup.heartbeat({ interval }) as its runner calls it (runner.ts): there is no heartbeat thread, a
// heartbeat goes out between records only when heartbeatInterval passed since the last one, and one in flight is
// shared by every caller waiting for it.
import type { KafkaErrorCode } from "../../kafka/errors.ts";
import type { Consumer } from "../consumer/consumer.ts";
import type { Ctx } from "../consumer/types.ts";

export class Heartbeats {
  /** Continuations waiting for the heartbeat in flight (ConsumerGroup's shared heartbeat). */
  private waiters: ((error: KafkaErrorCode) => void)[] = [];
  /** When the last heartbeat was answered without error (or the member was assigned its partitions). */
  lastUs = 0;

  constructor(private readonly c: Consumer) {}

  /** ConsumerGroup.heartbeat({ interval }): a heartbeat when heartbeatInterval passed since the last one (shared
   *  while one is in flight); `then("NONE")` when none was due or it was answered without error. A rebalance the
   *  member already knows of counts as that error at once. */
  heartbeat(ctx: Ctx, then: (error: KafkaErrorCode) => void): void {
    const m = this.c.membership;
    if (m.needsRejoin || m.state !== "stable") return then(m.memberId === "" ? "UNKNOWN_MEMBER_ID" : "REBALANCE_IN_PROGRESS");
    if (this.waiters.length > 0) {
      this.waiters.push(then);
      return;
    }
    if (ctx.nowUs < this.lastUs + this.c.cfg["heartbeat.interval.ms"] * 1000) return then("NONE");
    if (!m.sendHeartbeat(ctx)) return then("NONE");
    this.waiters.push(then);
  }

  /** The heartbeat in flight was answered: its waiters go on. */
  answered(ctx: Ctx, error: KafkaErrorCode): void {
    if (error === "NONE") this.lastUs = ctx.nowUs;
    // A coordinator that moved (NOT_COORDINATOR) makes kafkajs rejoin: it counts as rebalancing (isRebalancing).
    if (error === "NOT_COORDINATOR") this.c.membership.needsRejoin = true;
    const ws = this.waiters;
    this.waiters = [];
    for (const w of ws) w(error);
  }
}
