// Fetching and positions (Kafka's Fetcher and SubscriptionState): the assigned partitions, their positions from
// OffsetFetch after each assignment, else auto.offset.reset (earliest / latest via list-offsets, none: the
// partition is not consumed) — also on OFFSET_OUT_OF_RANGE (fact 24); one fetch in flight per leader, records
// buffered until poll() takes them.
import { versionAtLeast } from "../../kafka/profiles.ts";
import type { NodeId } from "../../core/ids.ts";
import type { FetchPartition, FetchResponse, ListOffsetsResponse } from "../../kafka/protocol.ts";
import type { OffsetFetchResponse, TopicPartitionRef } from "../../kafka/protocol-group.ts";
import type { KafkaMessage } from "../user-code.ts";
import type { Consumer } from "./consumer.ts";
import { STATE_BLOB } from "./types.ts";
import { RecordFilter } from "./isolation.ts";
import type { Ctx, StoredState, TopicPartitionOffset, WorkItem } from "./types.ts";

export interface PartState {
  readonly topic: string;
  readonly partition: number;
  readonly tp: string;
  /** Next offset poll() hands out; -1 while unknown (offset fetch / reset pending). */
  position: number;
  fetchOffset: number;
  /** Next offset after the last processed record (what after-processing commits may commit). */
  processed: number;
  buffer: KafkaMessage[];
  fetching: boolean;
  /** auto.offset.reset=none and nothing valid: not consumed. */
  stuck: boolean;
  /** The application holds the partition: not fetched (the kafkajs runner, while it processes its batch or
   *  while it is paused). */
  hold: boolean;
  /** Waiting for a list-offsets answer (auto.offset.reset) for this reason. */
  resetReason: "no-committed-offset" | "out-of-range" | null;
  highWatermark: number;
  /** Rewound to the committed offset after an aborted transaction: the application's seek, recorded when the
   *  committed offset is known. */
  rewinding?: boolean;
}

const KICK = { t: "kick-fetch" } as const;

export class Positions {
  /** Bumped on every revocation and assignment: answers to requests sent before are stale. */
  assignEpoch = 0;
  assignment: TopicPartitionRef[] = [];
  readonly parts = new Map<string, PartState>();
  /** Broker → no fetch / list-offsets to it before then (retry.backoff.ms after an error). */
  private readonly nodeBackoffUs = new Map<NodeId, number>();
  private kickScheduled = false;
  private pollRotation = 0;

  constructor(private readonly c: Consumer) {}

  onTimer(ctx: Ctx, tag: unknown): boolean {
    if (tag !== KICK) return false;
    this.kickScheduled = false;
    this.kickFetch(ctx);
    return true;
  }

  /** Eager protocol: every partition is revoked before joining; fetched data is dropped. */
  revokeAll(): void {
    this.assignEpoch++;
    this.assignment = [];
    this.parts.clear();
  }

  /** A new assignment (SyncGroup): positions unknown until the committed offsets are fetched. */
  assign(partitions: readonly TopicPartitionRef[]): void {
    this.assignEpoch++;
    this.assignment = partitions.slice();
    this.parts.clear();
    for (const p of this.assignment) {
      const tp = `${p.topic}-${p.partition}`;
      this.parts.set(tp, { topic: p.topic, partition: p.partition, tp, position: -1, fetchOffset: -1, processed: -1, buffer: [], fetching: false, stuck: false, hold: false, resetReason: null, highWatermark: -1 });
    }
  }

  /** Some partition waits for a position and nothing is asking for it. */
  hasUnknownPosition(): boolean {
    let unknown = false;
    for (const p of this.parts.values()) if (p.position < 0 && !p.fetching && !p.stuck) unknown = true;
    return unknown;
  }

  /** A fetch or list-offsets request was lost with its connection (or refused): back off that broker. */
  requestLost(ctx: Ctx, assignEpoch: number, tps: readonly string[] | undefined, node: NodeId): void {
    if (assignEpoch === this.assignEpoch) for (const tp of tps ?? []) this.partFetchDone(tp);
    this.backoffNode(ctx, node);
    this.c.requests.refreshMetadata(ctx);
  }

  private partFetchDone(tp: string): void {
    const p = this.parts.get(tp);
    if (p !== undefined) p.fetching = false;
  }

  private backoffNode(ctx: Ctx, node: NodeId): void {
    const backoffUs = this.c.cfg["retry.backoff.ms"] * 1000;
    this.nodeBackoffUs.set(node, ctx.nowUs + backoffUs);
    if (!this.kickScheduled) {
      this.kickScheduled = true;
      ctx.setTimer(backoffUs, KICK);
    }
  }

  // ---------------------------------------------------------------- committed offsets and resets

  fetchCommitted(ctx: Ctx): void {
    const c = this.c;
    const coord = c.requests.findCoordinator(ctx);
    if (coord === null || this.assignment.length === 0) {
      if (this.assignment.length > 0) c.membership.retryGroupLater(ctx);
      return;
    }
    // KIP-447 (OffsetFetch v7, 2.5+): a read_committed consumer asks for stable offsets only (ConsumerCoordinator
    // fetchCommittedOffsets: requireStable = isolation.level == read_committed).
    const msg = { type: "group.offset-fetch" as const, corr: c.requests.nextCorr(), group: c.groupId, partitions: this.assignment };
    const stable = c.cfg["isolation.level"] === "read_committed" && versionAtLeast(c.env.protocol ?? "3.7", "2.7") && c.app.requireStableOffsets !== false;
    c.requests.send(ctx, coord, "offset-fetch", stable ? { ...msg, requireStable: true } : msg);
  }

  onOffsetFetch(ctx: Ctx, msg: OffsetFetchResponse): void {
    const c = this.c;
    const r = c.requests.take(ctx, msg.corr);
    if (!r || r.assignEpoch !== this.assignEpoch) return;
    if (msg.error !== "NONE") {
      // UNSTABLE_OFFSET_COMMIT: a transaction's offsets are pending; retried after retry.backoff.ms, the membership
      // untouched (UnstableOffsetCommitException is retriable).
      if (msg.error !== "UNSTABLE_OFFSET_COMMIT") c.membership.onGroupError(ctx, msg.error);
      c.membership.retryGroupLater(ctx);
      return;
    }
    const resets: { tp: string; reason: "no-committed-offset" }[] = [];
    for (const o of msg.offsets) {
      const p = this.parts.get(`${o.topic}-${o.partition}`);
      if (p === undefined) continue;
      if (p.position >= 0 || p.stuck) continue;
      const stored = c.proc.state === "stored" ? (ctx.disk.readBlob<StoredState>(STATE_BLOB)?.offsets[p.tp] ?? -1) : -1;
      const start = Math.max(o.offset, stored);
      if (start >= 0) {
        this.setPosition(p, start);
        // consumer.seek(tp, committed) after the abort: a seek in the history, so the poll order starts there.
        if (p.rewinding === true) c.env.history.record({ timeUs: ctx.nowUs, process: c.name, type: "ok", f: "seek", value: { group: c.groupId, topic: p.topic, partition: p.partition, offset: start, reason: "seek" } });
        p.rewinding = false;
      } else resets.push({ tp: p.tp, reason: "no-committed-offset" });
    }
    this.resetPositions(ctx, resets);
    this.kickFetch(ctx);
  }

  /** After an aborted transaction of the pipeline (processing.output): every position back to the committed
   *  offset (the application's seek to consumer.committed(), as Kafka's exactly-once examples do). */
  rewindToCommitted(ctx: Ctx): void {
    this.assignEpoch++;
    for (const p of this.parts.values()) {
      if (p.stuck) continue;
      p.position = -1;
      p.fetchOffset = -1;
      p.buffer = [];
      p.fetching = false;
      p.resetReason = null;
      p.rewinding = true;
    }
    this.fetchCommitted(ctx);
  }

  setPosition(p: PartState, offset: number): void {
    p.position = offset;
    p.fetchOffset = offset;
    p.processed = offset;
    p.buffer = [];
  }

  /** auto.offset.reset: mark the partitions; kickFetch asks each leader (earliest / latest), or none: stuck. */
  private resetPositions(ctx: Ctx, resets: readonly { readonly tp: string; readonly reason: "no-committed-offset" | "out-of-range" }[]): void {
    const c = this.c;
    const strategy = c.cfg["auto.offset.reset"];
    for (const x of resets) {
      const p = this.parts.get(x.tp);
      if (p === undefined) continue;
      p.position = -1;
      p.buffer = [];
      if (strategy === "none") {
        // NoOffsetForPartitionException / OffsetOutOfRangeException to the application: not consumed.
        p.stuck = true;
        c.env.history.record({ timeUs: ctx.nowUs, process: c.name, type: "fail", f: "reset", value: { group: c.groupId, topic: p.topic, partition: p.partition, offset: -1, reason: x.reason, strategy } });
        continue;
      }
      p.resetReason = x.reason;
    }
  }

  onListOffsets(ctx: Ctx, msg: ListOffsetsResponse): void {
    const c = this.c;
    const r = c.requests.take(ctx, msg.corr);
    if (!r || r.assignEpoch !== this.assignEpoch) return;
    for (const o of msg.partitions) {
      const p = this.parts.get(`${o.topic}-${o.partition}`);
      if (p === undefined) continue;
      p.fetching = false;
      const reason = p.resetReason;
      if (reason === null) continue;
      if (o.error !== "NONE") {
        this.backoffNode(ctx, r.node);
        c.requests.refreshMetadata(ctx);
        continue;
      }
      p.resetReason = null;
      this.setPosition(p, o.offset);
      const strategy = c.cfg["auto.offset.reset"];
      c.env.history.record({ timeUs: ctx.nowUs, process: c.name, type: "ok", f: "reset", value: { group: c.groupId, topic: p.topic, partition: p.partition, offset: o.offset, reason, strategy } });
    }
    this.kickFetch(ctx);
  }

  // ---------------------------------------------------------------- fetching

  /** Per leader not in backoff: list-offsets for partitions being reset, then one fetch for the partitions with a
   *  position and nothing buffered (Fetcher.fetchablePartitions), one fetch in flight per broker. */
  kickFetch(ctx: Ctx): void {
    const c = this.c;
    if (c.membership.state !== "stable") return;
    const strategy = c.cfg["auto.offset.reset"] === "earliest" ? ("earliest" as const) : ("latest" as const);
    // isolation.level=read_committed: fetches stop at the LSO, "latest" is the LSO (FetchRequest/ListOffsets isolation_level).
    const readCommitted = c.cfg["isolation.level"] === "read_committed";
    const resets = new Map<number, PartState[]>();
    const fetches = new Map<number, PartState[]>();
    for (const p of this.parts.values()) {
      if (p.fetching || p.stuck || p.hold) continue;
      const wantsReset = p.resetReason !== null;
      if (!wantsReset && (p.position < 0 || p.buffer.length > 0)) continue;
      const leader = c.requests.leaderOf(p.topic, p.partition);
      if (leader === null) {
        c.requests.refreshMetadata(ctx);
        continue;
      }
      if ((this.nodeBackoffUs.get(c.requests.broker(leader)) ?? 0) > ctx.nowUs) continue;
      const target = wantsReset ? resets : fetches;
      let l = target.get(leader);
      if (l === undefined) target.set(leader, (l = []));
      l.push(p);
    }
    for (const [leader, ps] of resets) {
      for (const p of ps) p.fetching = true;
      const partitions = ps.map((p) => ({ topic: p.topic, partition: p.partition, timestamp: strategy, currentLeaderEpoch: c.requests.epochs.current(p.topic, p.partition) }));
      const isolation = readCommitted ? { isolationLevel: 1 as const } : {};
      c.requests.send(ctx, c.requests.broker(leader), "list-offsets", { type: "list-offsets", corr: c.requests.nextCorr(), partitions, ...isolation }, { tps: ps.map((p) => p.tp) });
    }
    for (const [leader, ps] of fetches) {
      const node = c.requests.broker(leader);
      if (c.requests.isInFlight("fetch", node)) continue;
      for (const p of ps) p.fetching = true;
      const partitions: FetchPartition[] = ps.map((p) => ({ topic: p.topic, partition: p.partition, fetchOffset: p.fetchOffset, currentLeaderEpoch: c.requests.epochs.current(p.topic, p.partition), lastFetchedEpoch: -1 }));
      const isolation = readCommitted ? { isolationLevel: 1 as const } : {};
      c.requests.send(ctx, node, "fetch", { type: "fetch", corr: c.requests.nextCorr(), replicaId: -1, brokerEpoch: -1, maxWaitMs: c.cfg["fetch.max.wait.ms"], partitions, ...isolation }, { tps: ps.map((p) => p.tp) });
    }
  }

  onFetch(ctx: Ctx, msg: FetchResponse): void {
    const c = this.c;
    const r = c.requests.take(ctx, msg.corr);
    if (!r) return;
    if (r.assignEpoch !== this.assignEpoch) return this.kickFetch(ctx);
    for (const tp of r.tps ?? []) this.partFetchDone(tp);
    const outOfRange: { tp: string; reason: "out-of-range" }[] = [];
    let got = false;
    for (const fp of msg.partitions) {
      const p = this.parts.get(`${fp.topic}-${fp.partition}`);
      if (p === undefined) continue;
      p.fetching = false;
      switch (fp.error) {
        case "NONE": {
          p.highWatermark = fp.highWatermark;
          const s = fp.records;
          if (s === null) break;
          const filter = RecordFilter.needed(s) ? new RecordFilter(s, fp) : null;
          for (let i = 0; i < s.count; i++) {
            const off = s.baseOffset + i;
            const j = s.at + i;
            if (off < p.fetchOffset) continue;
            // Fetcher: data for an offset other than the position (a seek or reset happened meanwhile) is dropped.
            if (off > p.fetchOffset || p.position < 0) break;
            if (filter !== null && filter.skip(j, off)) {
              // A marker or an aborted record: fetched past, never returned; with nothing buffered the position
              // moves past it too (CompletedFetch's nextFetchOffset).
              if (p.buffer.length === 0 && p.position === off) p.position = off + 1;
              p.fetchOffset = off + 1;
              continue;
            }
            const key = s.keys[j] as number;
            p.buffer.push({ offset: off, key: key < 0 ? null : key, value: s.values[j] as number });
            p.fetchOffset = off + 1;
            got = true;
          }
          break;
        }
        case "OFFSET_OUT_OF_RANGE":
          outOfRange.push({ tp: p.tp, reason: "out-of-range" });
          break;
        default:
          // NOT_LEADER_OR_FOLLOWER, FENCED_LEADER_EPOCH, ...: new metadata, and back off that broker.
          this.backoffNode(ctx, r.node);
          c.requests.refreshMetadata(ctx);
      }
    }
    if (outOfRange.length > 0) this.resetPositions(ctx, outOfRange);
    this.kickFetch(ctx);
    if (got) c.app.wakeApp(ctx);
    else c.app.fetchedNothing?.(ctx);
  }

  // ---------------------------------------------------------------- what poll() and commits read

  /** Positions handed out so far (what auto-commit commits). */
  positions(): TopicPartitionOffset[] {
    const out: TopicPartitionOffset[] = [];
    for (const p of this.parts.values()) if (p.position >= 0) out.push({ topic: p.topic, partition: p.partition, offset: p.position });
    return out;
  }

  /** Positions after the last processed record (what after-processing commits commit). */
  processedPositions(): TopicPartitionOffset[] {
    const out: TopicPartitionOffset[] = [];
    for (const p of this.parts.values()) if (p.processed >= 0) out.push({ topic: p.topic, partition: p.partition, offset: p.processed });
    return out;
  }

  /** Up to max.poll.records buffered records, advancing positions (what auto-commit will commit). */
  takeRecords(): WorkItem[] {
    const max = this.c.cfg["max.poll.records"];
    const out: WorkItem[] = [];
    // Start from the next partition each poll, so one busy partition cannot starve the others.
    const parts = [...this.parts.values()];
    const first = parts.length > 0 ? this.pollRotation++ % parts.length : 0;
    for (let k = 0; k < parts.length; k++) {
      const p = parts[(first + k) % parts.length] as PartState;
      let n = 0;
      while (n < p.buffer.length && out.length < max) {
        const m = p.buffer[n] as KafkaMessage;
        out.push({ topic: p.topic, partition: p.partition, message: m, endOfBatch: false });
        p.position = m.offset + 1;
        n++;
      }
      if (n > 0) p.buffer = p.buffer.slice(n);
      if (out.length >= max) break;
    }
    const last = out[out.length - 1];
    if (last) out[out.length - 1] = { ...last, endOfBatch: true };
    return out;
  }
}
