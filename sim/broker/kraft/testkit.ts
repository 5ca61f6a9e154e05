// Test helpers for the KRaft broker's parts (publisher, lifecycle, AlterPartition manager): a hand-driven node
// context that records what a part sends, emits and closes, holds its timers until the test fires them, and has a
// real Disk (the clean-shutdown file). Not a test file itself.
import type { NodeId } from "../../core/ids.ts";
import { nodeId } from "../../core/ids.ts";
import { Rng } from "../../core/rng.ts";
import { asTimeUs } from "../../core/time.ts";
import type { TimeUs } from "../../core/time.ts";
import { Disk } from "../../disk/disk.ts";
import type { CloseOptions } from "../../core/node.ts";
import type { Message } from "../../kafka/protocol.ts";
import type { TraceEvent } from "../../events.ts";
import type { BrokerCtx } from "../group/host.ts";
import type { RaftBatch } from "../../controller/kraft/raft/log.ts";
import type { MetadataRecord } from "../../controller/kraft/controller/records.ts";

export interface PendingTimer {
  readonly handle: number;
  readonly atUs: number;
  readonly tag: unknown;
}

export class ManualCtx implements BrokerCtx {
  private us = 0;
  readonly rng = new Rng(1, "kraft-broker-test");
  readonly disk = new Disk();
  readonly sent: { readonly to: NodeId; readonly msg: Message; readonly atUs: number }[] = [];
  readonly emitted: TraceEvent[] = [];
  readonly closed: { readonly peer: NodeId; readonly opts: CloseOptions | undefined; readonly atUs: number }[] = [];
  readonly timers: PendingTimer[] = [];
  private handles = 0;

  constructor(readonly self: NodeId = nodeId("broker-1")) {}

  get nowUs(): TimeUs {
    return asTimeUs(this.us);
  }
  /** Tests move time by hand. */
  set nowUs(us: number) {
    this.us = us;
  }

  send(to: NodeId, msg: Message): void {
    this.sent.push({ to, msg, atUs: this.nowUs });
  }
  setTimer(delayUs: number, tag: unknown): number {
    const handle = ++this.handles;
    this.timers.push({ handle, atUs: this.nowUs + delayUs, tag });
    return handle;
  }
  cancelTimer(handle: number): void {
    const i = this.timers.findIndex((t) => t.handle === handle);
    if (i >= 0) this.timers.splice(i, 1);
  }
  emit(ev: TraceEvent): void {
    this.emitted.push(ev);
  }
  closeConnection(peer: NodeId, opts?: CloseOptions): void {
    this.closed.push({ peer, opts, atUs: this.nowUs });
  }
  isUp(): boolean {
    return true;
  }

  /** The earliest pending timer (first set on a tie), or undefined. */
  nextTimer(): PendingTimer | undefined {
    let best: PendingTimer | undefined;
    for (const t of this.timers) if (best === undefined || t.atUs < best.atUs) best = t;
    return best;
  }
  /** Move to the earliest timer, remove it and hand its tag to `fire`; returns it. */
  fireNext(fire: (tag: unknown) => void): PendingTimer {
    const t = this.nextTimer();
    if (t === undefined) throw new Error("no timer pending");
    this.timers.splice(this.timers.indexOf(t), 1);
    this.nowUs = t.atUs;
    fire(t.tag);
    return t;
  }
  /** The messages sent so far of one type. */
  sentOf<T extends Message["type"]>(type: T): Extract<Message, { type: T }>[] {
    return this.sent.filter((s) => s.msg.type === type).map((s) => s.msg as Extract<Message, { type: T }>);
  }
  lastSent(): { readonly to: NodeId; readonly msg: Message; readonly atUs: number } {
    const s = this.sent[this.sent.length - 1];
    if (s === undefined) throw new Error("nothing sent");
    return s;
  }
}

/** A committed metadata batch of data records at `baseOffset`. */
export function metadataBatch(baseOffset: number, records: readonly MetadataRecord[], epoch = 1): RaftBatch<MetadataRecord> {
  return { baseOffset, lastOffset: baseOffset + records.length - 1, epoch, appendUs: 0, records: records.map((data) => ({ kind: "data" as const, data })) };
}
