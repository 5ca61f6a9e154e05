// The configuration oracle: from the scenario's configuration and the faults that fired, which anomalies Kafka
// permits, and why. An anomaly the oracle does not permit is a bug (of Kafka's model, or of the simulator).
// Rules with their sources are in docs/kafka-facts.md; bug switches never make anything allowed.
import type { RunResult } from "../sim/result.ts";
import type { AnomalyType } from "../sim/scenario/types.ts";
import type { FaultAction, FiredFault } from "../sim/faults/types.ts";
import type { Allowance } from "./types.ts";
import { OFFSETS_TOPIC } from "../sim/broker/group/host.ts";
import { weakestBrokerConfig } from "../sim/scenario/defaults.ts";

/** What may follow once committed data can be lost: the log is rewritten under the consumers' feet. */
const LOSS_FAMILY: readonly AnomalyType[] = [
  "lost-write",
  "inconsistent-offsets",
  "uncommitted-read",
  "unseen",
  "committed-unprocessed",
  "processed-twice",
  "poll-skip",
  "nonmonotonic-poll",
];

const DISRUPTIVE: ReadonlySet<FaultAction["kind"]> = new Set(["kill", "power", "stop", "pause", "partition", "partition-oneway", "isolate", "expire-session", "flaky", "slow"]);

export interface FaultSummary {
  /** Some fault could have moved a leader or cut a broker off (kill, power loss, pause, partitions...). */
  readonly disruptive: boolean;
  /** Distinct brokers that lost power. */
  readonly powerLost: ReadonlySet<string>;
  /** Faults that hit clients (crash, pause, partition) or a group's downstream. */
  readonly clientFaults: boolean;
  /** A flaky (lossy) link: connections stall in TCP retransmission and clients close them on request timeouts. */
  readonly lossy: boolean;
  readonly any: boolean;
}

function hitsBroker(f: FiredFault): boolean {
  if (f.nodes.some((n) => n.startsWith("broker-") || n === "zk")) return true;
  const a = f.action;
  if ("target" in a && a.target) return !("client" in a.target);
  return a.kind === "partition" || a.kind === "partition-oneway";
}

export function summariseFaults(faults: readonly FiredFault[]): FaultSummary {
  let disruptive = false;
  let clientFaults = false;
  let lossy = false;
  const powerLost = new Set<string>();
  for (const f of faults) {
    const a = f.action;
    if (a.kind === "downstream-down") {
      clientFaults = true;
      continue;
    }
    if (!DISRUPTIVE.has(a.kind)) continue;
    if (hitsBroker(f)) disruptive = true;
    if (f.nodes.some((n) => !n.startsWith("broker-") && n !== "zk") || ("target" in a && a.target && "client" in a.target)) clientFaults = true;
    if (a.kind === "power") for (const n of f.nodes) if (n.startsWith("broker-")) powerLost.add(n);
    if (a.kind === "flaky" && a.lossProb > 0) lossy = true;
  }
  return { disruptive, powerLost, clientFaults, lossy, any: faults.length > 0 };
}

const PROTOCOL_RANK: Record<string, number> = { "0.10": 0, "0.11": 1, "2.0": 2, "2.7": 3, "3.7": 4 };

/** Every permission the configuration and the fired faults give, per topic. */
export function oracle(result: RunResult): Allowance[] {
  const s = result.scenario;
  const broker = weakestBrokerConfig(s);
  const out: Allowance[] = [];
  const allow = (type: AnomalyType, topic: string | null, reason: string): void => {
    out.push({ type, topic, reason });
  };
  const allowAll = (types: readonly AnomalyType[], topic: string | null, reason: string): void => {
    for (const t of types) allow(t, topic, reason);
  };
  const fs = summariseFaults(result.faults);
  const rank = PROTOCOL_RANK[result.protocol] ?? 4;

  // Rules that follow from the brokers' configuration and the faults; they hold for every partition, the internal
  // __consumer_offsets topic too (its replicas follow the same replication protocol and the same flush settings).
  const replicationRules = (topic: string, cfg: Readonly<Record<string, unknown>>, rf: number): void => {
    const minIsr = (cfg["min.insync.replicas"] as number | undefined) ?? broker["min.insync.replicas"];
    const unclean = (cfg["unclean.leader.election.enable"] as boolean | undefined) ?? broker["unclean.leader.election.enable"];
    const flushMsgs = (cfg["log.flush.interval.messages"] as number | undefined) ?? broker["log.flush.interval.messages"];
    if (fs.disruptive && unclean) {
      allowAll(LOSS_FAMILY, topic, "unclean.leader.election.enable=true: an out-of-sync replica may become leader and truncate committed records (fact 11, KIP-106)");
    }
    if (fs.disruptive && rank === 0) {
      allowAll([...LOSS_FAMILY, "log-divergence", "leader-incomplete", "strong-isr"], topic, "protocol 0.10 truncates to the high watermark on becoming follower: committed records may be lost and replicas diverge (KIP-101)");
    }
    if (fs.disruptive && rank === 1) {
      allowAll([...LOSS_FAMILY, "log-divergence", "leader-incomplete", "strong-isr"], topic, "protocol 0.11 (KIP-101 without KIP-279): consecutive fast leader changes may diverge the logs and lose records");
    }
    // Only an fsync per message makes every acknowledged record durable. The time-based flush (log.flush.interval.ms)
    // runs only every log.flush.scheduler.interval.ms (never by default: LogManager's kafka-log-flusher), so even
    // log.flush.interval.ms=0 leaves the records appended since the last run unflushed.
    const noFlush = flushMsgs !== 1;
    if (noFlush && fs.powerLost.size > 0) {
      // A broker that lost its page cache restarts with a shorter log but stays in the ISR (the controller never
      // saw it leave); elected leader, it overwrites records the others hold at the same epoch (fact 27).
      const all = fs.powerLost.size >= Math.min(minIsr, rf) ? `, here ${fs.powerLost.size} of min.insync.replicas=${minIsr}` : "";
      allowAll([...LOSS_FAMILY, "log-divergence", "leader-incomplete", "strong-isr"], topic, `power loss without fsync (log.flush.interval.messages unset): a broker restarts without its unflushed records yet stays in the ISR and may lead, losing acknowledged records and diverging from the others${all} (fact 27)`);
    }
  };
  // __consumer_offsets: broker-level settings (offsets.topic.replication.factor; KafkaConfig, GroupMetadataManager).
  replicationRules(OFFSETS_TOPIC, {}, broker["offsets.topic.replication.factor"]);

  for (const t of s.topics) {
    const minIsr = t.config["min.insync.replicas"] ?? broker["min.insync.replicas"];
    const rf = t["replication.factor"];
    const producers = s.producers.filter((p) => p.topic === t.name);
    replicationRules(t.name, t.config, rf);
    for (const p of producers) {
      const acks = p.config.acks;
      if (acks === 0) {
        allowAll(["lost-write"], t.name, `acks=0 (${p.id}): the producer never hears whether a record was written; any leader failure or dropped request loses it`);
        // With acks=0 a produce request has no response to wait for, but it shares its connection with the
        // producer's metadata requests: one that times out closes the connection (NetworkClient), and produce
        // requests the old connection is still retransmitting reach the broker after later ones sent on the new
        // connection. Without acks there is no retry and no sequence check to restore the order.
        if (fs.lossy) allow("nonmonotonic-send", t.name, `acks=0 (${p.id}) on a lossy link: a request timeout closes the producer's connection, and records it was still retransmitting land after later ones sent on the new connection`);
      } else if (acks === 1 && fs.disruptive) {
        allowAll(["lost-write", "inconsistent-offsets", "unseen"], t.name, `acks=1 (${p.id}): the leader acknowledges before followers have the record; a leader failure loses it (fact 14)`);
      } else if ((acks === "all" || acks === -1) && minIsr <= 1 && fs.disruptive) {
        allowAll(LOSS_FAMILY, t.name, `acks=all with min.insync.replicas=1 (${p.id}): when the ISR has shrunk to the leader alone, acks=all means acks=1 and a leader failure loses acknowledged records (fact 15)`);
      }
      const idempotent = p.config["enable.idempotence"] && rank >= 1;
      if (!idempotent && p.config.retries > 0) {
        const why = rank < 1 ? "protocol 0.10 has no idempotent producer" : `enable.idempotence=false (${p.id})`;
        allowAll(["duplicate", "processed-twice"], t.name, `${why} with retries=${p.config.retries}: a batch written but whose response was lost is written again (fact 19)`);
        if (p.config["max.in.flight.requests.per.connection"] > 1) {
          allow("nonmonotonic-send", t.name, `${why} with max.in.flight.requests.per.connection=${p.config["max.in.flight.requests.per.connection"]}: a failed batch retried behind a later one lands after it (fact 19)`);
        }
      }
      if (p.onFailure === "drop" || p.onFailure === "log") {
        // A record that fails for good is a `fail`/`info` op, never an ok: nothing to permit.
      }
    }
  }

  for (const c of s.consumers) {
    const proc = c.processing;
    for (const t of c.topics) {
      if (proc.commit === "before-processing") {
        allow("committed-unprocessed", t, `group ${c.group} commits offsets before processing (at-most-once): a member that stops in between skips records`);
      }
      if (proc.commit === "auto" && c.config["enable.auto.commit"] && proc.async) {
        allow("committed-unprocessed", t, `group ${c.group} auto-commits while processing asynchronously: poll() commits positions of records the worker has not processed yet (fact 21)`);
      }
      if (fs.any || c.members > 1 || proc.commitMode === "async" || proc.commitEvery === "interval" || proc.commit === "auto") {
        allow("processed-twice", t, `group ${c.group} delivers at least once: records processed but not yet committed are processed again after a rebalance or restart (no transactions)`);
      }
      if (c.config["auto.offset.reset"] === "latest") {
        allow("unseen", t, `group ${c.group} uses auto.offset.reset=latest: records written before it first got the partition are never read (fact 24)`);
      }
      if (proc.onFailure === "skip" && proc.failureProb > 0) {
        allow("committed-unprocessed", t, `group ${c.group} skips records whose processing fails for good`);
      }
    }
  }
  if (result.end.reason !== "completed") {
    allow("unseen", null, `the run stopped early (${result.end.reason}): consumers had no time to catch up`);
  }
  return out;
}

/** The first reason the oracle gives for this anomaly type on this topic, or undefined: a bug. */
export function allowedReason(allowances: readonly Allowance[], type: AnomalyType, topic: string | null): string | undefined {
  for (const a of allowances) if (a.type === type && (a.topic === null || topic === null || a.topic === topic)) return a.reason;
  return undefined;
}
