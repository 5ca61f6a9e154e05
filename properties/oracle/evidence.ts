// The evidence index: the run's rare events (RunResult.evidence) and client ops sorted by partition, broker,
// producer and group, built once per result in one pass, for the oracle's rules to search. The ISR is tracked
// from the elections and ISR changes, so the oracle knows which elections were clean without trusting a flag.
import type { RunResult } from "../../sim/result.ts";
import type { TraceEvent } from "../../sim/events.ts";
import type { Recorded } from "../../sim/core/trace.ts";
import type { HistoryColumns, HistoryOp } from "../../sim/history.ts";
import { historyColumns } from "../../sim/result.ts";
import { describeEvent, fmtTime } from "../explain.ts";

/** A pointer to one piece of evidence: a trace (evidence) event or a history op, with its time and words. */
export interface EvidenceRef {
  readonly source: "trace" | "history";
  /** Index into RunResult.evidence (trace) or RunResult.history (history). */
  readonly index: number;
  readonly type: string;
  readonly timeUs: number;
  readonly text: string;
}

export interface Election {
  readonly ref: EvidenceRef;
  readonly leader: number;
  readonly epoch: number;
  /** The ISR the leader was elected from (the controller's, when the event says; else as tracked). */
  readonly isrBefore: readonly number[];
  /** The leader was not in that ISR (or the event says unclean). */
  readonly unclean: boolean;
  /** An election Kafka makes: clean, or unclean only when no replica of that ISR was live (fact 11). An unclean
   *  election with a live in-sync replica is never permitted, unclean.leader.election.enable or not. */
  readonly legitimate: boolean;
}

export interface Leadership {
  readonly ref: EvidenceRef;
  readonly broker: number;
  readonly epoch: number;
  readonly logEndOffset: number;
}

export interface Truncation {
  readonly ref: EvidenceRef;
  readonly broker: number;
  readonly toOffset: number;
  readonly reason: string;
}

export interface PowerLoss {
  readonly ref: EvidenceRef;
  readonly broker: number;
  readonly lostRecords: number;
  /** The broker's recovery after it (log end offsets by tp), when it restarted. */
  recovered: { readonly ref: EvidenceRef; readonly logEndOffsets: Readonly<Record<string, number>> } | null;
}

export interface PartitionEvidence {
  readonly tp: string;
  readonly elections: Election[];
  readonly leaderships: Leadership[];
  readonly truncations: Truncation[];
  /** ISR after each change, in time order (elections and ISR changes). */
  readonly isrs: { readonly timeUs: number; readonly isr: readonly number[] }[];
  /** Replicas added to the ISR by a leader at an epoch they had never followed (they missed its leader-and-isr and
   *  fetched by offset alone, without truncating: possible before KIP-320's leader epoch in follower fetches). */
  readonly staleJoins: { readonly ref: EvidenceRef; readonly broker: number; readonly leader: number; readonly epoch: number }[];
  /** Every become-follower of a replica, in time order. */
  readonly follows: { readonly timeUs: number; readonly broker: number; readonly epoch: number }[];
  /** The latest leader epoch each replica became follower or leader at (by broker). */
  readonly followed: Map<number, number>;
}

export interface GroupEvidence {
  /** Rebalances, poll timeouts, failed commits, members leaving: what re-delivers or drops records. */
  readonly disruptions: EvidenceRef[];
  /** Members joining and leaving (by client name), in time order: a member removed by its coordinator that goes on
   *  processing is a zombie until it rejoins. */
  readonly membership: { readonly member: string; readonly joined: boolean; readonly ref: EvidenceRef }[];
}

export interface EvidenceIndex {
  readonly partitions: Map<string, PartitionEvidence>;
  readonly powerLosses: PowerLoss[];
  /** Producer id → retries of its batches (values of each retried batch). */
  readonly retries: Map<string, { readonly ref: EvidenceRef; readonly tp: string; readonly values: readonly number[]; readonly error: string }[]>;
  /** Producer id → connection closes and losses. */
  readonly disconnects: Map<string, EvidenceRef[]>;
  readonly groups: Map<string, GroupEvidence>;
  /** Client process → its crashes and restarts (history ops; read from the history when first asked for). */
  readonly crashes: Map<string, EvidenceRef[]>;
  /** Group → its members' failed commits (history ops; likewise). */
  readonly failedCommits: Map<string, EvidenceRef[]>;
  /** Group → its members' requests that timed out, each closing a connection that may have carried a commit that
   *  still lands late (fact 32). */
  readonly requestTimeouts: Map<string, { readonly ref: EvidenceRef; readonly member: string }[]>;
}

const CACHE = new WeakMap<RunResult, EvidenceIndex>();

/** A reference to an evidence event or history op whose words are built when read (most refs are never shown);
 *  a class, so that making one is as cheap as a plain object, with toJSON for the JSON output. */
class LazyRef implements EvidenceRef {
  constructor(
    readonly source: "trace" | "history",
    readonly index: number,
    readonly type: string,
    readonly timeUs: number,
    private readonly words: () => string,
  ) {}
  get text(): string {
    return this.words();
  }
  toJSON(): { source: "trace" | "history"; index: number; type: string; timeUs: number; text: string } {
    return { source: this.source, index: this.index, type: this.type, timeUs: this.timeUs, text: this.text };
  }
}

export function traceRef(ev: Recorded<TraceEvent>, index: number): EvidenceRef {
  return new LazyRef("trace", index, ev.type, ev.timeUs, () => describeEvent(ev)?.text ?? ev.type);
}

/** A reference to a history op; its words (a thunk) are built when read. */
export function historyRef(op: HistoryOp, text: () => string): EvidenceRef {
  return new LazyRef("history", op.index, `${op.f}:${op.type}`, op.timeUs, text);
}

/** A reference to op `i` of the history's columns (no op object). */
export function historyRefAt(h: HistoryColumns, i: number, text: () => string): EvidenceRef {
  return new LazyRef("history", i, `${h.f(i)}:${h.type(i)}`, h.timeUs(i), text);
}

function brokerOf(node: string): number | null {
  const m = /^broker-(\d+)$/.exec(node);
  return m ? Number(m[1]) : null;
}

export function evidenceIndex(result: RunResult): EvidenceIndex {
  const hit = CACHE.get(result);
  if (hit) return hit;
  const partitions = new Map<string, PartitionEvidence>();
  const part = (tp: string): PartitionEvidence => {
    let p = partitions.get(tp);
    if (!p) partitions.set(tp, (p = { tp, elections: [], leaderships: [], truncations: [], isrs: [], staleJoins: [], follows: [], followed: new Map() }));
    return p;
  };
  const powerLosses: PowerLoss[] = [];
  const retries: EvidenceIndex["retries"] = new Map();
  const disconnects = new Map<string, EvidenceRef[]>();
  const groups = new Map<string, GroupEvidence>();
  const requestTimeouts: EvidenceIndex["requestTimeouts"] = new Map();
  const group = (g: string): GroupEvidence => {
    let e = groups.get(g);
    if (!e) groups.set(g, (e = { disruptions: [], membership: [] }));
    return e;
  };
  const push = <K, V>(m: Map<K, V[]>, k: K, v: V): void => {
    const l = m.get(k);
    if (l) l.push(v);
    else m.set(k, [v]);
  };
  const pipelineGroups = new Set(result.scenario.consumers.filter((c) => c.processing.output?.transactional === true).map((c) => c.group));
  const ev = result.evidence;
  for (let i = 0; i < ev.length; i++) {
    const e = ev[i] as Recorded<TraceEvent>;
    switch (e.type) {
      case "leader-elected": {
        const p = part(e.tp);
        const tracked = p.isrs.length > 0 ? (p.isrs[p.isrs.length - 1] as { isr: readonly number[] }).isr : null;
        // The controller's own view when the event carries it (the ISR it elected from, the replicas it held live),
        // else the ISR tracked from the evidence.
        const first = tracked === null && (e.isrBefore === undefined || e.isrBefore.length === 0);
        const isrBefore = e.isrBefore !== undefined && e.isrBefore.length > 0 ? e.isrBefore : (tracked ?? []);
        // The first election of a partition picks from its whole assignment (there is no ISR yet).
        const unclean = !first && (e.unclean || !isrBefore.includes(e.leader));
        const liveIsr = e.live === undefined ? [] : isrBefore.filter((b) => (e.live as readonly number[]).includes(b));
        p.elections.push({ ref: traceRef(e, i), leader: e.leader, epoch: e.leaderEpoch, isrBefore, unclean, legitimate: !unclean || liveIsr.length === 0 });
        p.isrs.push({ timeUs: e.timeUs, isr: e.isr });
        break;
      }
      case "isr-shrink":
        part(e.tp).isrs.push({ timeUs: e.timeUs, isr: e.isr });
        break;
      case "isr-expand": {
        const p = part(e.tp);
        p.isrs.push({ timeUs: e.timeUs, isr: e.isr });
        const epoch = p.followed.get(e.leader);
        if (epoch === undefined) break;
        for (const b of e.added) {
          const f = p.followed.get(b);
          if (f === undefined || f < epoch) p.staleJoins.push({ ref: traceRef(e, i), broker: b, leader: e.leader, epoch });
        }
        break;
      }
      case "become-leader": {
        const p = part(e.tp);
        p.leaderships.push({ ref: traceRef(e, i), broker: e.broker, epoch: e.leaderEpoch, logEndOffset: e.logEndOffset });
        p.followed.set(e.broker, e.leaderEpoch);
        break;
      }
      case "become-follower": {
        const p = part(e.tp);
        p.followed.set(e.broker, e.leaderEpoch);
        p.follows.push({ timeUs: e.timeUs, broker: e.broker, epoch: e.leaderEpoch });
        break;
      }
      case "truncate":
        part(e.tp).truncations.push({ ref: traceRef(e, i), broker: e.broker, toOffset: e.toOffset, reason: e.reason });
        break;
      case "node-power-loss": {
        const b = brokerOf(e.node);
        if (b !== null) powerLosses.push({ ref: traceRef(e, i), broker: b, lostRecords: e.lostRecords, recovered: null });
        break;
      }
      case "broker-recovered": {
        for (let j = powerLosses.length - 1; j >= 0; j--) {
          const pl = powerLosses[j] as PowerLoss;
          if (pl.broker !== e.broker) continue;
          if (pl.recovered === null) pl.recovered = { ref: traceRef(e, i), logEndOffsets: e.logEndOffsets };
          break;
        }
        break;
      }
      case "rebalance":
        group(e.group).disruptions.push(traceRef(e, i));
        break;
      case "poll-timeout":
      case "commit-failed":
        group(e.group).disruptions.push(traceRef(e, i));
        break;
      case "producer-fenced": {
        // An exactly-once pipeline member's producer was fenced (a newer epoch took over): its open transaction is
        // aborted and the member reads its batch again with a new producer (fact T10).
        const slash = e.producer.lastIndexOf("/");
        const g = slash > 0 ? e.producer.slice(0, slash) : "";
        if (pipelineGroups.has(g)) group(g).disruptions.push(new LazyRef("trace", i, e.type, e.timeUs, () => `${e.producer}'s transactional producer was fenced (${e.error}) at ${fmtTime(e.timeUs)}: its transaction aborted, the member reads its batch again`));
        break;
      }
      case "txn-ended": {
        // An exactly-once pipeline member's aborted transaction: the member seeks back to the committed offsets and
        // its batch is polled and processed again (fact T10).
        const slash = e.producer.lastIndexOf("/");
        const g = slash > 0 ? e.producer.slice(0, slash) : "";
        if (!e.commit && pipelineGroups.has(g)) group(g).disruptions.push(new LazyRef("trace", i, e.type, e.timeUs, () => `${e.producer}'s transaction was aborted at ${fmtTime(e.timeUs)} (the member reads its batch again from the committed offsets)`));
        break;
      }
      case "member-left": {
        const ref = new LazyRef("trace", i, e.type, e.timeUs, () => `${e.member} left group ${e.group} (${e.reason})`);
        const g = group(e.group);
        g.disruptions.push(ref);
        g.membership.push({ member: e.member, joined: false, ref });
        break;
      }
      case "member-joined":
        group(e.group).membership.push({ member: e.member, joined: true, ref: traceRef(e, i) });
        break;
      case "consumer-request-timeout":
        push(requestTimeouts, e.group, { ref: traceRef(e, i), member: e.member });
        break;
      default: {
        // Events other rooms add (producer retries and disconnects, members leaving) are read by shape, so the
        // oracle works with and without them.
        const o = e as unknown as Record<string, unknown> & { type: string; timeUs: number };
        if (o.type === "produce-retry" && typeof o.producer === "string" && typeof o.tp === "string" && Array.isArray(o.values)) {
          const values = o.values as number[];
          push(retries, o.producer, { ref: new LazyRef("trace", i, o.type, o.timeUs, () => `${String(o.producer)} retried a batch of ${values.length} record(s) to ${String(o.tp)} after ${String(o.error)}`), tp: o.tp, values, error: String(o.error) });
        } else if (o.type === "producer-disconnect" && typeof o.producer === "string") {
          push(disconnects, o.producer, new LazyRef("trace", i, o.type, o.timeUs, () => `${String(o.producer)} lost its connection to broker ${String(o.broker)} (${String(o.reason)})`));
        }
      }
    }
  }
  // The history-based parts are read only for consumer-side anomalies: one pass over the history, when first asked.
  let fromHistory: { crashes: Map<string, EvidenceRef[]>; failedCommits: Map<string, EvidenceRef[]> } | undefined;
  const historyParts = (): NonNullable<typeof fromHistory> => {
    if (fromHistory) return fromHistory;
    const crashes = new Map<string, EvidenceRef[]>();
    const failedCommits = new Map<string, EvidenceRef[]>();
    // Crashes, restarts and commits are kept as objects: only those ops are read.
    const h = historyColumns(result);
    for (const i of h.objectIndices()) {
      const op = h.op(i);
      if (op.f === "crash" || op.f === "restart") push(crashes, op.process, historyRef(op, () => `${op.process} ${op.f === "crash" ? "crashed" : "restarted"} at ${fmtTime(op.timeUs)}`));
      else if (op.f === "commit" && op.type !== "ok" && op.type !== "invoke") push(failedCommits, op.value.group, historyRef(op, () => `${op.process}'s ${op.value.mode} commit ${op.type === "fail" ? "failed" : "had no answer"}${op.value.error ? ` (${op.value.error})` : ""} at ${fmtTime(op.timeUs)}`));
    }
    return (fromHistory = { crashes, failedCommits });
  };
  const idx: EvidenceIndex = {
    partitions,
    powerLosses,
    retries,
    disconnects,
    groups,
    requestTimeouts,
    get crashes() {
      return historyParts().crashes;
    },
    get failedCommits() {
      return historyParts().failedCommits;
    },
  };
  CACHE.set(result, idx);
  return idx;
}

/** The ISR of a partition at a time (the last change at or before it), or null before the first election. */
export function isrAt(p: PartitionEvidence, timeUs: number): readonly number[] | null {
  let isr: readonly number[] | null = null;
  for (const x of p.isrs) {
    if (x.timeUs > timeUs) break;
    isr = x.isr;
  }
  return isr;
}

/** A broker that still believed itself the partition's leader at `timeUs` while a newer epoch had been elected (a
 *  deposed leader that had not heard: cut off while the partition moved), or undefined. */
export function zombieLeaderAt(p: PartitionEvidence, timeUs: number): Leadership | undefined {
  const last = new Map<number, Leadership>();
  let newest = -1;
  for (const l of p.leaderships) {
    if (l.ref.timeUs > timeUs) break;
    last.set(l.broker, l);
    newest = Math.max(newest, l.epoch);
  }
  for (const [broker, l] of last) {
    if (l.epoch >= newest) continue;
    if (!p.follows.some((f) => f.broker === broker && f.timeUs >= l.ref.timeUs && f.timeUs <= timeUs)) return l;
  }
  return undefined;
}

/** The epoch at which a broker led a partition at a time (its last become-leader at or before it), or -1. */
export function epochLedAt(p: PartitionEvidence, broker: number, timeUs: number): number {
  let epoch = -1;
  for (const l of p.leaderships) {
    if (l.ref.timeUs > timeUs) break;
    if (l.broker === broker) epoch = l.epoch;
  }
  return epoch;
}

/** The election behind `broker` leading at `epoch`: the controller's election of it at that epoch, or at an earlier
 *  one it has led since (a controller's ISR change bumps the leader epoch without a new election, fact 9). */
export function electionOf(p: PartitionEvidence, broker: number, epoch: number): Election | undefined {
  let best: Election | undefined;
  for (const e of p.elections) {
    if (e.epoch > epoch) break;
    best = e.leader === broker ? e : undefined;
  }
  return best;
}
