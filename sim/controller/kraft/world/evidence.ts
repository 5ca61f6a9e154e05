// The evidence a KRaft world leaves for the oracle and the checkers, from the committed metadata log: the first
// time any controller's listener is handed a committed batch, its partition changes are replayed into one image and
// told as the ZooKeeper-era events the oracle reads — leader-elected (with the ISR, or with ELR the ISR and ELR, the
// controller elected from: `isrBefore`), partition-offline, isr-shrink / isr-expand — so elections are judged from
// the committed PartitionChangeRecords, not from a flag. The same image answers "the leader of orders-0" for fault
// targets. At the end, each controller's log (epoch and digest per record) is the final state the checkers hold the
// committed batches against.
import type { NodeId } from "../../../core/ids.ts";
import type { Runtime } from "../../../core/runtime.ts";
import type { Message } from "../../../kafka/protocol.ts";
import type { TraceEvent } from "../../../events.ts";
import type { FinalMetadataLog } from "../../../history.ts";
import type { ControllerConfig } from "../config.ts";
import { MetadataImage } from "../controller/image.ts";
import { NO_LEADER_CHANGE } from "../controller/records.ts";
import type { MetadataRecord, PartitionRegistration } from "../controller/records.ts";
import { recordDigest } from "../controller/digest.ts";
import { RaftLog } from "../raft/log.ts";
import type { RaftBatch } from "../raft/log.ts";

type Election = "clean" | "elr" | "unclean" | "last-known-leader";

/** How the leader of `after` was chosen from `before` (PartitionChangeBuilder's order). */
function electionOf(before: PartitionRegistration, after: PartitionRegistration): Election {
  const l = after.leader;
  if (before.isr.includes(l)) return "clean";
  if (before.elr.includes(l)) return "elr";
  if (after.leaderRecoveryState === "RECOVERING" && before.isr.length === 0 && before.elr.length === 0 && before.lastKnownElr.length === 1 && before.lastKnownElr[0] === l) return "last-known-leader";
  return "unclean";
}

export class CommittedMetadata {
  readonly image: MetadataImage;
  /** The next committed offset not yet told. */
  private next = 0;
  /** Who wrote each partition change: `${epoch}/${offset}` → source (kraft-partition events, at append time). */
  private readonly sources = new Map<string, "alter-partition" | "controller">();

  constructor(
    defaults: ControllerConfig,
    private readonly rt: Runtime<Message, TraceEvent>,
  ) {
    this.image = new MetadataImage(defaults);
    rt.trace.onEmit((_t, ev) => {
      const e = ev as TraceEvent;
      if (e.type === "kraft-partition") this.sources.set(`${e.epoch}/${e.offset}`, e.source);
    });
  }

  /** A controller's listener was handed `batch` (QuorumControllerOptions.onCommit). */
  onCommit(_node: NodeId, batch: RaftBatch<MetadataRecord>): void {
    if (batch.baseOffset !== this.next) return; // told already (or, diverged, for the checkers to find)
    batch.records.forEach((r, i) => {
      if (r.kind === "data") this.replay(r.data, batch.baseOffset + i, batch.epoch);
    });
    this.next = batch.lastOffset + 1;
  }

  private replay(r: MetadataRecord, offset: number, epoch: number): void {
    if (r.type !== "PartitionChangeRecord") return this.image.replay(r, offset);
    const before = this.image.partition(r.topic, r.partition);
    this.image.replay(r, offset);
    const after = this.image.partition(r.topic, r.partition);
    if (before === undefined || after === undefined) return;
    const tp = `${r.topic}-${r.partition}`;
    const emit = (ev: TraceEvent): void => this.rt.trace.emit(this.rt.nowUs, ev);
    if (r.leader !== NO_LEADER_CHANGE && after.leader !== before.leader) {
      if (after.leader < 0) return emit({ type: "partition-offline", tp, leaderEpoch: after.leaderEpoch });
      const election = electionOf(before, after);
      const isrBefore = election === "last-known-leader" ? [...before.isr, ...before.elr, after.leader] : [...before.isr, ...before.elr];
      return emit({
        type: "leader-elected",
        tp,
        leader: after.leader,
        leaderEpoch: after.leaderEpoch,
        isr: after.isr,
        unclean: election === "unclean",
        isrBefore,
        elr: after.elr,
        election,
        recovering: after.leaderRecoveryState === "RECOVERING",
      });
    }
    const removed = before.isr.filter((b) => !after.isr.includes(b));
    const added = after.isr.filter((b) => !before.isr.includes(b));
    const by = this.sources.get(`${epoch}/${offset}`) === "alter-partition" ? "leader" : "controller";
    if (removed.length > 0) emit({ type: "isr-shrink", tp, leader: after.leader, isr: after.isr, removed, by });
    if (added.length > 0) emit({ type: "isr-expand", tp, leader: after.leader, isr: after.isr, added });
  }

  /** The leader of a partition in the committed metadata (null: none, or unknown partition). */
  leaderOf(topic: string, partition: number): number | null {
    const p = this.image.partition(topic, partition);
    return p === undefined || p.leader < 0 ? null : p.leader;
  }
}

/** Each controller's metadata log at the end, from its disk (what survived), with a digest per record. */
export function finalMetadataLogs(rt: Runtime<Message, TraceEvent>, controllers: readonly NodeId[]): FinalMetadataLog[] {
  return controllers.map((node) => {
    const log = new RaftLog<MetadataRecord>(rt.disk(node));
    const epochs: number[] = [];
    const digests: number[] = [];
    for (let o = log.startOffset; o < log.endOffset; o++) {
      epochs.push(log.epochAt(o));
      digests.push(recordDigest(log.recordAt(o)));
    }
    return { node, alive: rt.status(node) === "up", startOffset: log.startOffset, epochs, digests };
  });
}
