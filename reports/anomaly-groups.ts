// Anomalies as a reader takes them in: grouped by type and by the oracle's rule (its cause), with counts, the
// records involved as ranges, the setting that would have kept them, and explanations tidied for reading
// (steps one per line; internal topics only where the anomaly is about one). Shared by the run report and the
// terminal.
import type { RuleId } from "../properties/oracle/rules.ts";
import type { EvidenceRef, Justification } from "../properties/types.ts";
import type { CapacityFinding, LivenessReport } from "../properties/oracle/liveness.ts";

/** An anomaly as the reports read it (properties' Anomaly fits). */
export interface ReportAnomaly {
  readonly type: string;
  readonly partition: string | null;
  readonly offset: number | null;
  readonly value: number | null;
  readonly explanation: string;
  readonly allowed?: boolean;
  readonly allowedBecause?: Justification | null;
  readonly liveness?: boolean;
  readonly sinceUs?: number;
  readonly process?: string;
  readonly group?: string;
  readonly relatedValue?: number;
}

/** What the run reports need of a Judgement (properties/types.ts); the real one fits. */
export interface RunJudgement {
  readonly verdict: string;
  readonly anomalies: readonly ReportAnomaly[];
  readonly stats?: object;
  readonly liveness?: LivenessReport;
  readonly capacity?: readonly CapacityFinding[];
}

export type GroupStatus = "bug" | "liveness" | "allowed";

export interface AnomalyGroup {
  /** "lost-write/acks1-leader-change", "duplicate/bug": also the HTML anchor. */
  readonly key: string;
  readonly type: string;
  readonly rule: RuleId | null;
  readonly status: GroupStatus;
  /** Indices into the judgement's anomalies, in their order. */
  readonly members: number[];
  /** The first member's justification (its sentence names the first record's evidence). */
  readonly because: Justification | null;
}

const STATUS_ORDER: Readonly<Record<GroupStatus, number>> = { bug: 0, liveness: 1, allowed: 2 };

function statusOf(a: ReportAnomaly): GroupStatus {
  if (a.allowed === true) return "allowed";
  return a.liveness === true ? "liveness" : "bug";
}

/** Groups by type and rule: bugs first, then liveness, then what the configuration allows; within a status, in
 *  the order the checkers reported them. */
export function groupAnomalies(anomalies: readonly ReportAnomaly[]): AnomalyGroup[] {
  const groups = new Map<string, AnomalyGroup>();
  anomalies.forEach((a, i) => {
    const status = statusOf(a);
    const rule = status === "allowed" ? ((a.allowedBecause?.rule as RuleId | undefined) ?? null) : null;
    const key = `${a.type}/${rule ?? status}`;
    const g = groups.get(key);
    if (g) g.members.push(i);
    else groups.set(key, { key, type: a.type, rule, status, members: [i], because: a.allowedBecause ?? null });
  });
  return [...groups.values()].sort((x, y) => STATUS_ORDER[x.status] - STATUS_ORDER[y.status]);
}

/** The setting that would have kept each kind of anomaly from happening (what a reader changes). */
export const REMEDIES: Readonly<Record<RuleId, string>> = {
  "acks0-unacknowledged": "acks=1 or acks=all: the producer then learns whether a write happened and retries it (acks=all with min.insync.replicas=2 also survives the leader's loss)",
  "acks1-leader-change": "acks=all with min.insync.replicas=2: the leader acknowledges only once the in-sync followers hold the record, so any leader elected from the ISR has it",
  "unclean-election": "unclean.leader.election.enable=false (the default): the partition stays offline until an in-sync replica returns instead of electing one that lacks acknowledged records",
  "power-loss-unflushed": "log.flush.interval.messages=1 (an fsync per record), or replicas that cannot lose power together (acks=all, min.insync.replicas=2 across failure domains)",
  "protocol-0.10-truncation": 'Kafka 0.11 or later (protocol: "0.11"): KIP-101 truncates by leader epoch, not to the high watermark',
  "protocol-0.11-divergence": 'Kafka 2.0 or later (protocol: "2.0"): KIP-279 walks back epoch by epoch until leader and follower agree',
  "protocol-2.0-stale-follower": 'Kafka 2.1 or later (protocol: "2.7"): KIP-320 fences a follower that missed a leader change by its leader epoch',
  "protocol-zk-isr-write": 'Kafka 2.7 or later (protocol: "2.7"): AlterIsr (KIP-497) holds the high watermark over the maximal ISR until the controller answers',
  "idempotent-sequence-reset": "Kafka 2.1+ clients (KIP-320) keep off a deposed leader's stale metadata; the epoch bump itself is Kafka's idempotent producer (transactions, not modelled, fence instead)",
  "pre-kip360-sequence-reuse": 'Kafka 2.5 or later clients (protocol: "2.7"): KIP-360 bumps the producer epoch after a batch whose sequence is unresolved instead of reusing the sequence',
  "retry-without-idempotence": "enable.idempotence=true (Kafka's default since 3.0): the leader drops a retried batch it already has and keeps the producer's order; max.in.flight.requests.per.connection=1 alone prevents only the reorder",
  "acks0-reconnect-reorder": "acks=all with enable.idempotence=true: sequence numbers keep the order across connections",
  "commit-before-processing": "commit after processing (at-least-once) instead of before it",
  "auto-commit-async": "enable.auto.commit=false, committing only what the worker has processed",
  "processing-failure-skipped": "onFailure: dead-letter (keep the record) or halt, instead of skip / log",
  "at-least-once-redelivery": "idempotent processing: at-least-once delivery repeats records after a rebalance, crash or failed commit (Kafka transactions make a pipeline's output to Kafka exactly-once — processing.output with transactional: true — not the processing's other side effects)",
  "at-least-once-pipeline": "transactions: processing.output with transactional: true and isolation.level=read_committed readers (the output and the input offsets commit together, or neither does)",
  "transaction-open-at-end": "a longer drain (drainMs past transaction.timeout.ms + the coordinator's sweep interval), or a shorter transaction.timeout.ms: an abandoned transaction is then aborted before the end",
  "eos-before-kip447": 'Kafka 2.5 or later (protocol: "2.7"): KIP-447 fences a replaced member\'s transactional offsets by its group generation; before it, a transactional.id per input partition (a producer per partition, as Kafka Streams did)',
  "pending-txn-offsets-before-kip447": 'Kafka 2.5 or later (protocol: "2.7"): KIP-447\'s OffsetFetch waits for a transaction\'s pending offsets (UNSTABLE_OFFSET_COMMIT) instead of answering the ones before',
  "markers-pending-at-end": "a longer drain (past the broker's request.timeout.ms), or a shorter broker request.timeout.ms: markers to a leader that died are then re-sent to the new one before the end",
  "tv1-late-end-txn": 'transaction.version=2 (Kafka 4.0+, protocol: "4.0" / "4.1" on a new cluster; kafka-features upgrade on an upgraded one): every EndTxn bumps the producer epoch, so a late EndTxn of an earlier transaction is fenced (PRODUCER_FENCED)',
  "zombie-coordinator-endtxn": 'transaction.version 2 (Kafka 4.0+, KIP-890 part 2): every transaction ends with a bumped producer epoch, so an EndTxn a deposed coordinator took for a retry is fenced',
  "zombie-coordinator-add": 'partition verification (Kafka 3.6+, transaction.partition.verification.enable, on by default) or transaction.version 2 (Kafka 4.0+): the leader checks the partition is in the transaction with the current coordinator before taking its records',
  "unverified-late-produce": 'transaction.partition.verification.enable=true (the default from Kafka 3.6, protocol: "3.7"): the leader asks the coordinator before a producer\'s first transactional write to a partition and refuses a late batch of an ended transaction; transaction.version=2 (4.0+) also fences it by the abort\'s bumped epoch',
  "late-commit-on-lossy-link": "no client setting: a timed-out commit still in flight can land late (fact 32); processing must tolerate a rewind",
  "offset-reset-stale-leader": 'Kafka 2.1+ clients (protocol: "2.7"): KIP-320 keeps a consumer off a deposed leader by its leader epoch',
  "offset-reset-latest": "auto.offset.reset=earliest: a group without a committed offset starts from the beginning, not the end",
  capacity: "more consumers (and partitions) or faster processing: the group fell behind its producers",
  "run-stopped-early": "raise the run's limits (maxEvents / maxDurationMs): it stopped before the end",
  "drain-too-short": "a longer drainMs (at least the settle time), so the cluster can converge before it is judged",
};

export function remedyOf(g: AnomalyGroup): string {
  if (g.rule !== null) return REMEDIES[g.rule];
  return g.status === "liveness" ? "a cluster and group that converge after the heal: see the liveness findings (nothing permits the record to stay unread)" : "none: no configuration permits this; it is a bug in the system under test (or a seeded bug switch)";
}

/** One line on what the group's records are: values and offsets as ranges, the partitions. */
export function recordsLine(anomalies: readonly ReportAnomaly[], members: readonly number[], ranges: (v: readonly number[]) => string): string {
  const as = members.map((i) => anomalies[i]!);
  const values = as.map((a) => a.value).filter((v): v is number => v !== null);
  const offsets = as.map((a) => a.offset).filter((v): v is number => v !== null);
  const tps = [...new Set(as.map((a) => a.partition).filter((p): p is string => p !== null))];
  const parts: string[] = [];
  if (values.length > 0) parts.push(`value${values.length === 1 ? "" : "s"} ${ranges(values)}`);
  if (offsets.length > 0) parts.push(`offset${offsets.length === 1 ? "" : "s"} ${ranges(offsets)}`);
  if (tps.length > 0) parts.push(`of ${tps.slice(0, 4).join(", ")}${tps.length > 4 ? ` and ${tps.length - 4} more partitions` : ""}`);
  return parts.join(" ");
}

const INTERNAL = /^__/;

/** A partition list entry like "__consumer_offsets-17 LEO 0" is left out unless the anomaly is about an internal
 *  topic; "broker-2" and "broker 2" are written one way ("broker 2"). */
export function tidyText(text: string, keepInternal: boolean): string {
  let out = text.replace(/\bbroker-(\d+)\b/g, "broker $1");
  if (!keepInternal) {
    out = out.replace(/\(([^()]*)\)/g, (whole, inner: string) => {
      const items = inner.split(", ");
      if (!items.some((it) => /^__[a-z_]+-\d+\b/.test(it))) return whole;
      const kept = items.filter((it) => !/^__[a-z_]+-\d+\b/.test(it));
      const dropped = items.length - kept.length;
      return `(${[...kept, `${dropped} internal partition${dropped === 1 ? "" : "s"} left out`].join(", ")})`;
    });
  }
  return out;
}

/** An explanation as lines: the sentence, then "Steps:" one per line. */
export function explanationLines(a: ReportAnomaly): string[] {
  const keep = a.partition !== null && INTERNAL.test(a.partition);
  const text = tidyText(a.explanation, keep);
  const out: string[] = [];
  for (const para of text.split("\n")) {
    const at = para.indexOf(" Steps: ");
    if (at < 0) {
      out.push(para);
      continue;
    }
    out.push(para.slice(0, at), "Steps:");
    // Without a recorded trace the story is the faults: "then: 3.000 s kill …" reads as a step like the others.
    for (const s of para.slice(at + 8).split("; ")) out.push(`  ${s.replace(/^(?:then|faults): /, "")}`);
  }
  return out;
}

/** The evidence events the group's anomalies cite (deduplicated, time order), at most `max`. */
export function citedEvents(anomalies: readonly ReportAnomaly[], members: readonly number[], max = 6): EvidenceRef[] {
  const seen = new Map<string, EvidenceRef>();
  for (const i of members) {
    for (const e of anomalies[i]!.allowedBecause?.events ?? []) {
      const k = `${e.source}-${e.index}`;
      if (!seen.has(k)) seen.set(k, e);
    }
    if (seen.size >= 50) break;
  }
  return [...seen.values()].sort((a, b) => a.timeUs - b.timeUs).slice(0, max);
}

/** The anchor of a cited event in the run report. */
export function evidenceAnchor(e: Pick<EvidenceRef, "source" | "index">): string {
  return `${e.source === "trace" ? "ev" : "op"}-${e.index}`;
}
