// kafkajs's OffsetManager (src/consumer/offsetManager): the committed offsets as the runner knows them, the
// resolved offsets not committed yet, and the commits the runner makes — automatic (autoCommitInterval,
// autoCommitThreshold, before a rebalance) or asked for (consumer.commitOffsets, a seek). One OffsetCommit each,
// through the consumer's commit machinery (sim/client/consumer/commits.ts).
import type { KafkaErrorCode } from "../../kafka/errors.ts";
import type { Consumer } from "../consumer/consumer.ts";
import type { Ctx, TopicPartitionOffset } from "../consumer/types.ts";
import type { RunConfig } from "./consumer.ts";

/** What the offset manager needs of its runner. */
export interface OffsetManagerHost {
  config(): RunConfig;
  /** isRebalancing (src/errors.js), and UNKNOWN_MEMBER_ID. */
  rebalancing(error: KafkaErrorCode): boolean;
  /** A commit ended: the runner's loop goes on. */
  pump(ctx: Ctx): void;
}

export class OffsetManager {
  /** The committed offset of each assigned partition as the runner knows it (OffsetManager.committedOffsets). */
  readonly committed = new Map<string, number>();
  lastCommitUs = 0;

  constructor(
    private readonly c: Consumer,
    private readonly host: OffsetManagerHost,
  ) {}

  /** OffsetManager.uncommittedOffsets: resolved offsets that differ from the committed ones. */
  uncommitted(): TopicPartitionOffset[] {
    const out: TopicPartitionOffset[] = [];
    for (const p of this.c.positions.parts.values()) {
      if (p.processed < 0) continue;
      const cm = this.committed.get(p.tp);
      if (cm !== undefined && p.processed !== cm) out.push({ topic: p.topic, partition: p.partition, offset: p.processed });
    }
    return out;
  }

  uncommittedByTopic(): { topic: string; partitions: { partition: number; offset: string }[] }[] {
    const byTopic = new Map<string, { partition: number; offset: string }[]>();
    for (const o of this.uncommitted()) {
      let l = byTopic.get(o.topic);
      if (l === undefined) byTopic.set(o.topic, (l = []));
      l.push({ partition: o.partition, offset: String(o.offset) });
    }
    return [...byTopic].map(([topic, partitions]) => ({ topic, partitions }));
  }

  /** Runner.autoCommitOffsets: with autoCommit, commit every resolved offset not committed yet (one attempt). */
  autoCommitOffsets(ctx: Ctx, then: (error: KafkaErrorCode) => void): void {
    if (!this.host.config().autoCommit) return then("NONE");
    this.commit(ctx, this.uncommitted(), then);
  }

  /** OffsetManager.commitOffsetsIfNecessary: when autoCommitInterval passed since the last commit, or
   *  autoCommitThreshold offsets were resolved since. */
  autoCommitIfNecessary(ctx: Ctx, then: (error: KafkaErrorCode) => void): void {
    const cfg = this.host.config();
    if (!cfg.autoCommit) return then("NONE");
    const interval = cfg.autoCommitInterval !== null && ctx.nowUs >= this.lastCommitUs + cfg.autoCommitInterval * 1000;
    let resolved = 0;
    if (cfg.autoCommitThreshold !== null) for (const o of this.uncommitted()) resolved += o.offset - (this.committed.get(`${o.topic}-${o.partition}`) ?? 0);
    const threshold = cfg.autoCommitThreshold !== null && resolved >= cfg.autoCommitThreshold;
    if (!interval && !threshold) return then("NONE");
    this.commit(ctx, this.uncommitted(), then);
  }

  /** OffsetManager.commitOffsets: one OffsetCommit; the committed offsets are noted when it succeeds. */
  commit(ctx: Ctx, offsets: TopicPartitionOffset[], then: (error: KafkaErrorCode) => void, retry = false): void {
    if (offsets.length === 0) {
      this.lastCommitUs = ctx.nowUs;
      return then("NONE");
    }
    // The commit can fail at once (no coordinator, not in the group): its callback then runs before commit()
    // returns, and runs again below once the pending commit (its result) is known.
    const box: { pc?: { readonly result: KafkaErrorCode | null } } = {};
    let early = false;
    const done = (): void => {
      const pc = box.pc;
      if (pc === undefined) {
        early = true;
        return;
      }
      const error = pc.result ?? "NETWORK_EXCEPTION";
      if (error === "NONE") {
        for (const o of offsets) this.committed.set(`${o.topic}-${o.partition}`, o.offset);
        this.lastCommitUs = ctx.nowUs;
      }
      then(error === "NONE" ? "NONE" : this.c.membership.needsRejoin && !this.host.rebalancing(error) ? "REBALANCE_IN_PROGRESS" : error);
      this.host.pump(ctx);
    };
    box.pc = this.c.commits.commit(ctx, "sync", offsets, done, retry);
    if (early) done();
  }
}
