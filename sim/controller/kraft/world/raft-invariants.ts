// The Raft safety properties, checked as a run goes (Vanlightly/kafka-tlaplus kraft/kip_996 properties):
// ElectionSafety (at most one leader per epoch), epochs never go back on a node (across restarts too),
// LeaderCompleteness (a new leader holds every committed record), and committed records stay committed: every
// node's log below its high watermark is the one committed prefix (which implies LogMatching below any two nodes'
// HWs). Records are compared by epoch and payload identity (followers copy the leader's payload objects).
import type { RaftLog } from "../raft/log.ts";
import type { RaftRecord } from "../raft/messages.ts";
import type { KRaftTraceEvent } from "../events.ts";

interface Entry {
  readonly epoch: number;
  readonly record: RaftRecord<unknown>;
}

export class RaftInvariants {
  readonly violations: string[] = [];
  /** epoch → the node that led it. */
  readonly leaders = new Map<number, string>();
  /** The committed prefix of the log, as the high watermarks have revealed it. */
  readonly committed: Entry[] = [];
  private readonly epochs = new Map<string, number>();
  /** How much of each live log has already been checked (a log object lives as long as its process). */
  private readonly checked = new WeakMap<RaftLog<unknown>, number>();

  /** `logOf`: the live node's Raft log (undefined while it is down). */
  constructor(private readonly logOf: (node: string) => RaftLog<unknown> | undefined) {}

  private fail(timeUs: number, msg: string): void {
    if (this.violations.length < 20) this.violations.push(`${(timeUs / 1000).toFixed(3)}ms: ${msg}`);
  }

  onEvent(timeUs: number, ev: KRaftTraceEvent | { readonly type: string }): void {
    if (ev.type === "raft-role") {
      const e = ev as Extract<KRaftTraceEvent, { type: "raft-role" }>;
      const last = this.epochs.get(e.node);
      if (last !== undefined && e.epoch < last) this.fail(timeUs, `${e.node} went back from epoch ${last} to ${e.epoch}`);
      this.epochs.set(e.node, e.epoch);
      if (e.role === "leader") {
        const other = this.leaders.get(e.epoch);
        if (other !== undefined && other !== e.node) this.fail(timeUs, `two leaders in epoch ${e.epoch}: ${other} and ${e.node}`);
        this.leaders.set(e.epoch, e.node);
        this.checkPrefix(timeUs, e.node, this.committed.length, "new leader");
      }
    } else if (ev.type === "raft-hw") {
      const e = ev as Extract<KRaftTraceEvent, { type: "raft-hw" }>;
      this.checkPrefix(timeUs, e.node, e.hw, "high watermark");
    }
  }

  /** The node's log [0, upTo) must match the committed prefix; past its end it extends it. */
  private checkPrefix(timeUs: number, node: string, upTo: number, why: string): void {
    const log = this.logOf(node);
    if (log === undefined) return;
    if (log.endOffset < Math.min(upTo, this.committed.length)) {
      this.fail(timeUs, `${node} (${why}) has ${log.endOffset} records, ${Math.min(upTo, this.committed.length)} are committed`);
      return;
    }
    let from = this.checked.get(log) ?? log.startOffset;
    if (from > log.endOffset) from = log.startOffset;
    for (let o = from; o < upTo; o++) {
      const epoch = log.epochAt(o);
      const record = log.recordAt(o);
      const c = this.committed[o];
      if (c === undefined) this.committed[o] = { epoch, record };
      else if (c.epoch !== epoch || c.record !== record) {
        this.fail(timeUs, `${node} (${why}) has epoch ${epoch} at committed offset ${o}, which was committed with epoch ${c.epoch}`);
        return;
      }
    }
    if (upTo > from) this.checked.set(log, upTo);
  }

  /** At the end: every node's log holds the committed prefix (none was lost on every node). */
  checkAllHold(timeUs: number, nodes: readonly string[]): void {
    for (const n of nodes) this.checkPrefix(timeUs, n, this.committed.length, "end of run");
  }
}
