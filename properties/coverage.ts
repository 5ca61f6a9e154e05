// Coverage of dangerous states: named probes that say which of the states where Kafka's guarantees are tested a run
// actually reached (an ISR below min.insync.replicas, an unclean election, a truncation of acknowledged records, a
// fenced zombie leader, a power loss that took unflushed records...). Read from the run's evidence and history, so
// they cost nothing while nobody asks. A campaign counts them and lists those never reached: "0 bugs in 10,000
// runs" means little if no run ever had the ISR below min.insync.replicas.
import type { RunResult } from "../sim/result.ts";
import type { TraceEvent } from "../sim/events.ts";
import { topicOfTp } from "./context.ts";
import { historyColumns } from "../sim/result.ts";

export type ProbeId =
  | "isr-below-min-isr"
  | "isr-leader-only"
  | "unclean-election"
  | "partition-offline"
  | "leader-change"
  | "truncation"
  | "truncation-of-acked"
  | "fenced-zombie-leader"
  | "stale-request-rejected"
  | "not-enough-replicas"
  | "not-enough-replicas-after-append"
  | "power-loss-unflushed"
  | "controller-failover"
  | "session-expired"
  | "producer-retry"
  | "producer-epoch-bump"
  | "rebalance-during-processing"
  | "commit-failed"
  | "poll-timeout"
  | "consumer-crash"
  // KRaft (3.9+ in KRaft mode)
  | "kraft-broker-fenced"
  | "kraft-quorum-election"
  | "kraft-metadata-truncation"
  | "metadata-lag"
  | "elr-nonempty"
  | "elr-election"
  | "recovering-leader"
  // transactions
  | "txn-aborted"
  | "txn-timed-out"
  | "producer-fenced";

export const PROBES: Readonly<Record<ProbeId, string>> = {
  "isr-below-min-isr": "a partition's ISR shrank below min.insync.replicas",
  "isr-leader-only": "a partition's ISR shrank to its leader alone",
  "unclean-election": "a leader elected from outside the ISR",
  "partition-offline": "a partition with no eligible leader",
  "leader-change": "a partition changed leader",
  truncation: "a replica truncated its log",
  "truncation-of-acked": "a replica truncated an offset a producer had been acknowledged for",
  "fenced-zombie-leader": "a leader's ISR change was refused as stale (a fenced zombie)",
  "stale-request-rejected": "a broker refused a request from a stale controller, broker epoch or leader epoch",
  "not-enough-replicas": "an acks=all write was refused: ISR below min.insync.replicas",
  "not-enough-replicas-after-append": "an acks=all write was appended but the ISR shrank below the minimum before it committed",
  "power-loss-unflushed": "a broker lost power with unflushed records",
  "controller-failover": "a second controller was elected",
  "session-expired": "a broker's ZooKeeper session expired",
  "producer-retry": "a producer retried a batch",
  "producer-epoch-bump": "an idempotent producer bumped its epoch",
  "rebalance-during-processing": "a group rebalanced while a member had polled records it had not processed",
  "commit-failed": "a consumer's commit failed",
  "poll-timeout": "a consumer left its group: poll() not called within max.poll.interval.ms",
  "consumer-crash": "a consumer process crashed",
  "kraft-broker-fenced": "KRaft: the active controller fenced a broker (missed heartbeats or an unclean restart)",
  "kraft-quorum-election": "KRaft: the controller quorum elected a leader in a later epoch than its first",
  "kraft-metadata-truncation": "KRaft: a controller truncated its metadata log (a divergent uncommitted tail)",
  "metadata-lag": "KRaft: a broker applied committed metadata late (a stale-leadership window)",
  "elr-nonempty": "KRaft ELR (KIP-966): a partition's eligible leader replicas were not empty",
  "elr-election": "KRaft ELR: a leader elected from the eligible leader replicas",
  "recovering-leader": "KRaft: an unclean leader in RECOVERING state (KIP-704)",
  "txn-aborted": "a transaction was aborted",
  "txn-timed-out": "a transaction coordinator aborted a transaction open past transaction.timeout.ms",
  "producer-fenced": "a transactional producer was fenced by a newer epoch",
};

export const PROBE_IDS = Object.keys(PROBES) as ProbeId[];

/** Events that reach a probe by happening at all. */
const DIRECT_PROBES: ReadonlyMap<string, ProbeId> = new Map<TraceEvent["type"], ProbeId>([
  ["partition-offline", "partition-offline"],
  ["stale-request-rejected", "stale-request-rejected"],
  ["session-expired", "session-expired"],
  ["producer-epoch-bump", "producer-epoch-bump"],
  ["commit-failed", "commit-failed"],
  ["poll-timeout", "poll-timeout"],
  ["raft-truncate", "kraft-metadata-truncation"],
  ["txn-timed-out", "txn-timed-out"],
  ["producer-fenced", "producer-fenced"],
]);

/** The probes one run reached. */
export function probesOf(result: RunResult): Set<ProbeId> {
  const hit = new Set<ProbeId>();
  const s = result.scenario;
  const minIsrOf = (tp: string): number => {
    const t = s.topics.find((x) => x.name === topicOfTp(tp));
    return Math.min(t?.config["min.insync.replicas"] ?? s.broker["min.insync.replicas"], t?.["replication.factor"] ?? Number.POSITIVE_INFINITY);
  };
  // Highest acknowledged offset per partition so far (by topic, then partition), for truncations of acknowledged
  // records; keyed by the history's own topic strings, so a send costs no string built.
  const acked = new Map<string, number[]>();
  const ackedOf = (tp: string): number => {
    const cut = tp.lastIndexOf("-");
    return acked.get(topicOfTp(tp))?.[Number(tp.slice(cut + 1))] ?? -1;
  };
  const h = historyColumns(result);
  let i = 0;
  let controllers = 0;
  let quorumEpoch = -1;
  // Per member: records polled and not yet processed.
  const pending = new Map<string, number>();
  const advanceHistory = (untilUs: number): void => {
    for (; i < h.length && h.timeUs(i) <= untilUs; i++) {
      switch (h.f(i)) {
        case "send": {
          const type = h.type(i);
          if (type === "ok") {
            const partition = h.partition(i);
            const offset = h.offset(i);
            if (partition !== undefined && offset !== undefined && offset >= 0) {
              const topic = h.topic(i);
              let byPartition = acked.get(topic);
              if (byPartition === undefined) acked.set(topic, (byPartition = []));
              if ((byPartition[partition] ?? -1) < offset) byPartition[partition] = offset;
            }
          } else if (type !== "invoke") {
            const error = h.error(i);
            if (error === "NOT_ENOUGH_REPLICAS") hit.add("not-enough-replicas");
            else if (error === "NOT_ENOUGH_REPLICAS_AFTER_APPEND") hit.add("not-enough-replicas-after-append");
          }
          break;
        }
        case "poll":
          if (h.type(i) === "ok") {
            const p = h.process(i);
            pending.set(p, (pending.get(p) ?? 0) + h.records(i));
          }
          break;
        case "process":
          if (h.type(i) === "ok") {
            const p = h.process(i);
            pending.set(p, Math.max(0, (pending.get(p) ?? 0) - 1));
          }
          break;
        case "crash":
          hit.add("consumer-crash");
          break;
        default:
          break;
      }
    }
  };
  for (const e of result.evidence) {
    advanceHistory(e.timeUs);
    const ev = e as TraceEvent & { readonly timeUs: number };
    const direct = DIRECT_PROBES.get(ev.type);
    if (direct !== undefined) {
      hit.add(direct);
      continue;
    }
    switch (ev.type) {
      case "leader-elected":
        if (ev.unclean) hit.add("unclean-election");
        hit.add("leader-change");
        break;
      case "isr-shrink":
        if (ev.isr.length < minIsrOf(ev.tp)) hit.add("isr-below-min-isr");
        if (ev.isr.length === 1) hit.add("isr-leader-only");
        break;
      case "truncate":
        hit.add("truncation");
        if (ackedOf(ev.tp) >= ev.toOffset) hit.add("truncation-of-acked");
        break;
      case "isr-change-rejected":
        if (ev.reason === "FENCED_LEADER_EPOCH" || ev.reason === "INVALID_UPDATE_VERSION") hit.add("fenced-zombie-leader");
        break;
      case "node-power-loss":
        if (ev.lostRecords > 0) hit.add("power-loss-unflushed");
        break;
      case "controller-elected":
        if (++controllers > 1) hit.add("controller-failover");
        break;
      case "rebalance":
        for (const [k, n] of pending) if (n > 0 && k.startsWith(`${ev.group}/`)) hit.add("rebalance-during-processing");
        break;
      case "kraft-broker":
        if (ev.change === "fenced") hit.add("kraft-broker-fenced");
        break;
      case "kraft-controller":
        if (!ev.active) break;
        if (quorumEpoch >= 0 && ev.epoch > quorumEpoch) hit.add("kraft-quorum-election");
        if (quorumEpoch < 0) quorumEpoch = ev.epoch;
        break;
      case "metadata-lag":
        if (ev.delayMs > 0) hit.add("metadata-lag");
        break;
      case "kraft-partition":
        if (ev.elr.length > 0) hit.add("elr-nonempty");
        if (ev.election === "elr") hit.add("elr-election");
        if (ev.election === "unclean") hit.add("unclean-election");
        if (ev.recovering) hit.add("recovering-leader");
        break;
      case "txn-transition":
        if (ev.state === "CompleteAbort") hit.add("txn-aborted");
        break;
      default: {
        const t = (ev as { type: string }).type;
        if (t === "produce-retry") {
          hit.add("producer-retry");
          const err = (ev as unknown as { error?: string }).error;
          if (err === "NOT_ENOUGH_REPLICAS") hit.add("not-enough-replicas");
          else if (err === "NOT_ENOUGH_REPLICAS_AFTER_APPEND") hit.add("not-enough-replicas-after-append");
        }
      }
    }
  }
  advanceHistory(Number.POSITIVE_INFINITY);
  return hit;
}

/** A campaign's coverage: runs that reached each probe, and the probes no run reached. */
export class Coverage {
  readonly counts: Record<ProbeId, number> = Object.fromEntries(PROBE_IDS.map((p) => [p, 0])) as Record<ProbeId, number>;
  runs = 0;

  add(probes: ReadonlySet<ProbeId>): void {
    this.runs++;
    for (const p of probes) this.counts[p]++;
  }

  merge(o: { readonly runs: number; readonly counts: Readonly<Record<string, number>> }): void {
    this.runs += o.runs;
    for (const p of PROBE_IDS) this.counts[p] += o.counts[p] ?? 0;
  }

  neverReached(): ProbeId[] {
    return PROBE_IDS.filter((p) => this.counts[p] === 0);
  }

  toJson(): { runs: number; counts: Record<ProbeId, number>; neverReached: ProbeId[] } {
    return { runs: this.runs, counts: { ...this.counts }, neverReached: this.neverReached() };
  }
}
