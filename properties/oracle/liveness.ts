// Liveness (TigerBeetle's liveness mode): once the faults have healed and the drain has run long enough for the
// cluster to settle, it must have converged — every partition led, every live replica back in the ISR and, where
// nothing was written in the last fetch rounds, caught up (HW = LEO = the leader's LEO) — and a run without
// faults must have acknowledged every send. A group that
// processes more slowly than its topics are produced gets a capacity finding instead: neither bug nor liveness.
import { CONTROLLER_SOCKET_TIMEOUT_MS } from "../../sim/broker/control/controller-channel.ts";
import type { RunResult } from "../../sim/result.ts";
import { fmtTime } from "../explain.ts";
import type { OracleContext } from "./context.ts";
import { historyScan } from "../context.ts";
import { OFFSETS_TOPIC } from "../../sim/broker/group/host.ts";
import { TXN_TOPIC } from "../../sim/broker/txn/host.ts";
import { DEFAULT_LATENCY, TCP_RTO_MIN_US } from "../../sim/net/tcp.ts";
import type { LatencyDist } from "../../sim/core/rng.ts";
import { modeOf, versionAtLeast } from "../../sim/kafka/profiles.ts";

export interface CapacityFinding {
  readonly kind: "capacity";
  readonly group: string;
  /** Records the group processed per second, measured from its first to its last processing. */
  readonly processingRatePerSec: number;
  /** Records acknowledged to the group's topics per second of the workload phase. */
  readonly produceRatePerSec: number;
  /** Acknowledged records of its topics the group had not processed by the end. */
  readonly backlog: number;
  readonly explanation: string;
}

export type LivenessKind = "leaderless" | "out-of-isr" | "not-caught-up" | "sends-not-acknowledged" | "group-rebalancing" | "group-stalled";

export interface LivenessViolation {
  readonly kind: LivenessKind;
  /** A partition, a producer or a group. */
  readonly subject: string;
  readonly explanation: string;
}

export interface LivenessReport {
  /** False when the drain was too short to expect convergence (or the run stopped early): nothing is judged. */
  readonly judged: boolean;
  /** How long the cluster may need after the heal: what the drain must give it. */
  readonly settleMs: number;
  readonly reason?: string;
  readonly violations: readonly LivenessViolation[];
}

/** How long after the heal the cluster may take to settle: a dead controller's or broker's ZooKeeper session must
 *  expire, then a few fetch rounds re-elect, catch up and re-expand the ISR; a group whose member a fault hit waits
 *  for the old member's session to expire before it rebalances (its session timeout plus a few heartbeats). */
export function settleMs(s: RunResult["scenario"], faults: RunResult["faults"] = [], evidence: RunResult["evidence"] = []): number {
  const b = s.broker;
  let ms = (modeOf(s) === "kraft" ? kraftSettleMs(b) : b["zookeeper.session.timeout.ms"] + 4 * b["replica.fetch.wait.max.ms"]) + tcpBackoffMs(s, faults) + slowTailMs(s, faults);
  // An AlterPartition a resigning controller dropped unanswered is sent again only after controller.socket.timeout.ms.
  for (const e of evidence) {
    if (e.type !== "alter-partition-preempted") continue;
    ms = Math.max(ms, Math.ceil(e.timeUs / 1000) - s.durationMs + CONTROLLER_SOCKET_TIMEOUT_MS + 4 * b["replica.fetch.wait.max.ms"]);
  }
  for (const c of s.consumers) {
    if (!faults.some((f) => f.nodes.some((n) => n.startsWith(`${c.group}/`)))) continue;
    ms = Math.max(ms, c.config["session.timeout.ms"] + 3 * c.config["heartbeat.interval.ms"] + c.config["fetch.max.wait.ms"]);
  }
  return ms;
}

/** What was sent into a network cut (or lost on a lossy link) is retransmitted with a doubling timeout (fact 42):
 *  after a cut of d ms the next retransmission may come up to d + TCP_RTO_MIN after the heal. The longest cut or
 *  lossy period (from its start to the next full heal, or the end of the workload, when everything heals). */
function tcpBackoffMs(s: RunResult["scenario"], faults: RunResult["faults"]): number {
  let longestUs = 0;
  for (let i = 0; i < faults.length; i++) {
    const f = faults[i] as RunResult["faults"][number];
    const k = f.action.kind;
    // A lossy link backs off the same way: each lost retransmission doubles the RTO (fact 42).
    if (k !== "partition" && k !== "partition-oneway" && k !== "isolate" && !(k === "flaky" && f.action.lossProb > 0)) continue;
    let healUs = s.durationMs * 1000;
    for (let j = i + 1; j < faults.length; j++) {
      const h = faults[j] as RunResult["faults"][number];
      if (h.action.kind === "heal" && h.action.target === undefined && h.timeUs >= f.timeUs) {
        healUs = Math.min(healUs, h.timeUs);
        break;
      }
    }
    longestUs = Math.max(longestUs, healUs - f.timeUs);
  }
  return longestUs === 0 ? 0 : Math.ceil(longestUs / 1000) + TCP_RTO_MIN_US / 1000;
}

/** A message sent on a slow link just before its heal still takes factor × its latency (sim/net's slow(): the
 *  delivery time is fixed when it is sent), so the drain waits for that tail past the end of the workload: e.g. the
 *  stall-controller episode's ×3000 controller sends its last leader-and-isr up to 3.5 s after the heal. The
 *  latency is the distribution's 99.9th percentile (heavy tails have no maximum). */
function slowTailMs(s: RunResult["scenario"], faults: RunResult["faults"]): number {
  const endUs = s.durationMs * 1000;
  let tailUs = 0;
  for (let i = 0; i < faults.length; i++) {
    const f = faults[i] as RunResult["faults"][number];
    if (f.action.kind !== "slow" || f.action.factor <= 1) continue;
    let healUs = endUs;
    for (let j = i + 1; j < faults.length; j++) {
      const h = faults[j] as RunResult["faults"][number];
      if (h.action.kind !== "heal" || h.timeUs < f.timeUs) continue;
      if (h.action.target === undefined || h.nodes.some((n) => f.nodes.includes(n))) {
        healUs = Math.min(healUs, h.timeUs);
        break;
      }
    }
    tailUs = Math.max(tailUs, healUs + f.action.factor * latencyTailMs(s.network.latency ?? DEFAULT_LATENCY) * 1000 - endUs);
  }
  return Math.ceil(tailUs / 1000);
}

/** A latency no more than one message in a thousand exceeds. */
export function latencyTailMs(d: LatencyDist): number {
  switch (d.dist) {
    case "constant":
      return d.valueMs;
    case "uniform":
      return d.maxMs;
    case "exponential":
      return (d.minMs ?? 0) + d.meanMs * Math.log(1000);
    case "lognormal":
      return d.medianMs * Math.exp(3.09 * d.sigma);
    case "pareto":
      return d.scaleMs * Math.pow(1000, 1 / d.shape);
  }
}

/** KRaft: the quorum elects a leader (a follower notices after controller.quorum.fetch.timeout.ms, then up to two
 *  election timeouts), brokers whose heartbeats failed for long retry after at most broker.session.timeout.ms
 *  (BrokerLifecycleManager's backoff), register, catch up and are unfenced within two heartbeats (and, before
 *  KIP-1166, one 500 ms fetch park), then a few fetch rounds re-elect, catch up and re-expand the ISR. */
export function kraftSettleMs(b: RunResult["scenario"]["broker"]): number {
  return b["controller.quorum.fetch.timeout.ms"] + 2 * b["controller.quorum.election.timeout.ms"] + b["broker.session.timeout.ms"] + 2 * b["broker.heartbeat.interval.ms"] + 4 * b["replica.fetch.wait.max.ms"];
}

const round1 = (x: number): number => Math.round(x * 10) / 10;

/** Groups that were still processing at the end, below the rate their topics were produced at. */
export function capacityFindings(ctx: OracleContext): CapacityFinding[] {
  const r = ctx.result;
  const groups = r.scenario.consumers;
  if (groups.length === 0) return [];
  // Per group, its first and last processing, and the values it processed: gathered by the one pass over the history.
  const { processing, h } = historyScan(r);
  const out: CapacityFinding[] = [];
  const endUs = r.virtualMs * 1000;
  for (const c of groups) {
    const st = processing.get(c.group);
    // Busy to the end: its last processing within a second (or a few records' time) of the end of the run.
    const busyWindowUs = Math.max(1_000_000, 5 * c.processing.timeMs * 1000);
    if (st === undefined || st.processed < 2 || st.lastUs <= st.firstUs || endUs - st.lastUs > busyWindowUs) continue;
    const topics = new Set(c.topics);
    let produced = 0;
    let backlog = 0;
    const sends = ctx.run.sends;
    sends.forEachSend((v, invoke) => {
      if (!sends.acked(v) || !topics.has(h.topic(invoke))) return;
      produced++;
      if (st.done.get(v) === 0) backlog++;
    });
    if (backlog === 0) continue;
    const processingRatePerSec = round1(st.processed / ((st.lastUs - st.firstUs) / 1e6));
    const produceRatePerSec = round1(produced / (Math.max(1, r.workloadEndMs) / 1000));
    if (processingRatePerSec >= produceRatePerSec) continue;
    out.push({
      kind: "capacity",
      group: c.group,
      processingRatePerSec,
      produceRatePerSec,
      backlog,
      explanation: `group ${c.group} (${c.members} member(s), ${c.processing.timeMs} ms a record) processed ${processingRatePerSec} records/s while ${produceRatePerSec}/s were produced to ${c.topics.join(", ")}; ${backlog} acknowledged record(s) were still waiting at the end. Add members (and partitions) or process faster`,
    });
  }
  return out;
}

/** The convergence checks. Unseen records no rule explains are added by the judge as `group-stalled`. */
export function livenessReport(ctx: OracleContext): LivenessReport {
  const r = ctx.result;
  const settle = settleMs(r.scenario, r.faults, r.evidence);
  if (r.end.reason !== "completed") return { judged: false, settleMs: settle, reason: `the run stopped early (${r.end.reason})`, violations: [] };
  const violations: LivenessViolation[] = [];
  if (r.faults.length === 0) {
    const byProducer = new Map<string, number>();
    const sends = ctx.run.sends;
    sends.forEachSend((v, invoke) => {
      if (sends.acked(v)) return;
      const p = ctx.h.process(invoke);
      byProducer.set(p, (byProducer.get(p) ?? 0) + 1);
    });
    for (const [p, n] of byProducer) {
      violations.push({ kind: "sends-not-acknowledged", subject: p, explanation: `no fault fired, yet ${n} of ${p}'s sends were not acknowledged by the end (${fmtTime(r.virtualMs * 1000)})` });
    }
  }
  if (r.scenario.drainMs < settle) {
    const cluster = modeOf(r.scenario) === "kraft" ? "controller.quorum.fetch.timeout.ms + 2 × controller.quorum.election.timeout.ms + broker.session.timeout.ms + 2 × broker.heartbeat.interval.ms + 4 × replica.fetch.wait.max.ms" : "zookeeper.session.timeout.ms + 4 × replica.fetch.wait.max.ms";
    return { judged: violations.length > 0, settleMs: settle, reason: `the drain (${r.scenario.drainMs} ms) is shorter than the ${settle} ms the cluster may need to settle (${cluster}, or, when a fault hit a member of a group, its session.timeout.ms + 3 heartbeats + fetch.max.wait.ms; after a network cut or a lossy link, plus as long again as the longest, for TCP's retransmission backoff; after a slow link, until its slowed messages arrive; after a resigning controller dropped an AlterPartition, until controller.socket.timeout.ms after it): raise drainMs to judge convergence`, violations };
  }
  // A partition written within the last fetch rounds is still replicating: its followers' HW lags by design.
  const quietUs = Math.max(1_000_000, 4 * r.scenario.broker["replica.fetch.wait.max.ms"] * 1000);
  // topic → partition → the last send's time, and the last commit's (read from the history only when a replica is
  // behind: no string per record, one pass).
  let writes: { byTopic: Map<string, number[]>; lastCommitUs: number; lastTxnLogUs: number; markers: Map<string, number> } | undefined;
  const lastWriteOf = (topic: string, partition: number): number => {
    if (!writes) {
      writes = { byTopic: new Map(), lastCommitUs: -1, lastTxnLogUs: -1, markers: new Map() };
      const h = ctx.h;
      for (let i = 0; i < h.length; i++) {
        const f = h.f(i);
        if (f === "send") {
          const partition = h.partition(i);
          if (partition === undefined) continue;
          const topic = h.topic(i);
          let byPartition = writes.byTopic.get(topic);
          if (!byPartition) writes.byTopic.set(topic, (byPartition = []));
          byPartition[partition] = h.timeUs(i);
        } else if (f === "commit") writes.lastCommitUs = h.timeUs(i);
      }
      // The brokers' own writes: a transaction coordinator's transitions (to __transaction_state) and the markers
      // it has leaders write (to any partition of a transaction).
      for (const e of r.evidence) {
        if (e.type === "txn-transition") writes.lastTxnLogUs = e.timeUs;
        else if (e.type === "txn-marker") writes.markers.set(e.tp, e.timeUs);
      }
    }
    const sent = topic === OFFSETS_TOPIC ? writes.lastCommitUs : topic === TXN_TOPIC ? writes.lastTxnLogUs : (writes.byTopic.get(topic)?.[partition] ?? -1);
    return Math.max(sent, writes.markers.get(`${topic}-${partition}`) ?? -1);
  };
  const endUs = r.virtualMs * 1000;
  // With fetch sessions (KIP-227, fact 14a) a follower learns the HW only from an answer that carries it, and the
  // leader leaves a partition out while its HW is the one last sent — even when the follower dropped that answer
  // (its fetch state had changed): the follower's HW may then lag until the leader's moves again (KAFKA-9952: no
  // immediate HW propagation). Converged then means the follower holds the leader's log and the leader's HW is at
  // its end.
  const followerHwMayLag = versionAtLeast(r.scenario.protocol, "2.0") && r.scenario.broker["max.incremental.fetch.session.cache.slots"] > 0;
  const caughtUp = (x: (typeof r.final.partitions)[number]["replicas"][number], leader: (typeof r.final.partitions)[number]["replicas"][number]): boolean =>
    x.logEndOffset === leader.logEndOffset && (x.highWatermark === x.logEndOffset || (followerHwMayLag && x !== leader && leader.highWatermark === leader.logEndOffset && x.highWatermark <= x.logEndOffset));
  for (const p of r.final.partitions) {
    // The common case first, without allocating: a live leader, every live replica in the ISR and caught up.
    const leader = p.leader === null ? undefined : p.replicas.find((x) => x.broker === p.leader);
    let converged = leader !== undefined && leader.alive;
    for (let i = 0; converged && i < p.replicas.length; i++) {
      const x = p.replicas[i] as (typeof p.replicas)[number];
      if (x.alive && (!p.isr.includes(x.broker) || !caughtUp(x, leader as typeof x))) converged = false;
    }
    if (converged) continue;
    const tp = `${p.topic}-${p.partition}`;
    const live = p.replicas.filter((x) => x.alive);
    if (live.length === 0) continue;
    if (!leader || !leader.alive) {
      violations.push({ kind: "leaderless", subject: tp, explanation: `${tp} has no live leader at the end although broker(s) ${live.map((x) => x.broker).join(", ")} hold replicas (ISR [${p.isr.join(",")}], leader epoch ${p.leaderEpoch})` });
      continue;
    }
    const out = live.filter((x) => !p.isr.includes(x.broker));
    if (out.length > 0) {
      violations.push({ kind: "out-of-isr", subject: tp, explanation: `${tp}: live replica(s) on broker ${out.map((x) => `${x.broker} (LEO ${x.logEndOffset})`).join(", ")} never rejoined the ISR [${p.isr.join(",")}] (leader ${leader.broker}, LEO ${leader.logEndOffset}, HW ${leader.highWatermark})` });
    }
    const behind = live.filter((x) => !caughtUp(x, leader));
    if (behind.length > 0 && endUs - lastWriteOf(p.topic, p.partition) >= quietUs) {
      violations.push({ kind: "not-caught-up", subject: tp, explanation: `${tp} did not converge: ${behind.map((x) => `broker ${x.broker} HW ${x.highWatermark} LEO ${x.logEndOffset}`).join(", ")} against leader ${leader.broker}'s LEO ${leader.logEndOffset}` });
    }
  }
  // Every group settled: its coordinator holds it Stable (or Empty), not still rebalancing.
  for (const g of r.final.groups ?? []) {
    if (g.state !== "preparing" && g.state !== "completing") continue;
    const rebalances = (ctx.idx.groups.get(g.group)?.disruptions ?? []).filter((d) => d.type === "rebalance").length;
    violations.push({ kind: "group-rebalancing", subject: g.group, explanation: `group ${g.group} was still rebalancing at the end (${g.state === "preparing" ? "PreparingRebalance" : "CompletingRebalance"}, generation ${g.generation}, ${g.members} member(s), ${rebalances} rebalance(s) in the run)` });
  }
  return { judged: true, settleMs: settle, violations };
}
