// The verdict of one run: every checker, then the oracle, then the liveness checks. `valid`: no anomaly;
// `allowed`: only anomalies the configuration permits (each with its rule and the events behind it); `liveness`: no
// safety bug, but the cluster or a group did not converge after the heal; `bug`: an anomaly nothing permits.
import type { RunResult } from "../sim/result.ts";
import type { AnomalyType, Expectation } from "../sim/scenario/types.ts";
import type { Anomaly, Judgement, JudgementStats } from "./types.ts";
import { CHECKERS } from "./checkers/index.ts";
import { historyScan, topicOfTp } from "./context.ts";
import { fmtTime } from "./explain.ts";
import { Oracle, RULES, livenessReport } from "./oracle/index.ts";
import type { LivenessReport, LivenessViolation } from "./oracle/index.ts";
import { lazyJustification, oracleContext } from "./oracle/context.ts";

function countStats(result: RunResult, anomalies: readonly Anomaly[]): JudgementStats {
  const { sent, acked, failed, polled, committed } = historyScan(result).counts;
  const n = (t: AnomalyType): number => anomalies.reduce((k, a) => k + (a.type === t ? 1 : 0), 0);
  return {
    sent,
    acked,
    failed,
    unknown: sent - acked - failed,
    lostWrites: n("lost-write"),
    duplicates: n("duplicate"),
    reorders: n("nonmonotonic-send"),
    uncommittedReads: n("uncommitted-read"),
    unseen: n("unseen"),
    skipped: n("poll-skip") + n("committed-unprocessed"),
    processedTwice: n("processed-twice"),
    duplicateOutputs: n("duplicate-output"),
    polled,
    committed,
  };
}

/** Unread records of one partition that no rule explains, as one liveness violation (a stuck group). */
function stalledGroups(result: RunResult, unexplained: readonly Anomaly[]): LivenessViolation[] {
  const byTp = new Map<string, Anomaly[]>();
  for (const a of unexplained) {
    const k = a.partition ?? "?";
    const l = byTp.get(k);
    if (l) l.push(a);
    else byTp.set(k, [a]);
  }
  // When each partition was last polled by a group reading its topic (one pass over the polls).
  const lastPollUs = new Map<string, number>();
  const h = historyScan(result).h;
  for (let i = 0; i < h.length; i++) {
    if (h.f(i) !== "poll" || h.type(i) !== "ok") continue;
    for (let j = 0; j < h.records(i); j++) {
      const tp = `${h.recTopic(i, j)}-${h.recPartition(i, j)}`;
      if (byTp.has(tp)) lastPollUs.set(tp, h.timeUs(i));
    }
  }
  const out: LivenessViolation[] = [];
  for (const [tp, list] of byTp) {
    const topic = topicOfTp(tp);
    const groups = result.scenario.consumers.filter((c) => c.topics.includes(topic)).map((c) => c.group);
    const offsets = list.map((a) => a.offset ?? -1).sort((x, y) => x - y);
    const last = lastPollUs.get(tp);
    out.push({
      kind: "group-stalled",
      subject: `${groups.join(", ")} on ${tp}`,
      explanation: `group ${groups.join(", ")} never read ${list.length} acknowledged record(s) of ${tp} (offsets ${offsets[0]}..${offsets[offsets.length - 1]}) by the end (${fmtTime(result.virtualMs * 1000)}), with the capacity to; it last polled ${tp} ${last === undefined ? "never" : `at ${fmtTime(last)}`}`,
    });
  }
  return out;
}

export function judge(result: RunResult): Judgement {
  const oracle = new Oracle(result);
  const report = livenessReport(oracleContext(result));
  const anomalies: Anomaly[] = [];
  const unexplainedUnseen: Anomaly[] = [];
  for (const type of Object.keys(CHECKERS) as AnomalyType[]) {
    for (const f of CHECKERS[type](result)) {
      let because = oracle.justify(f);
      if (because === null && f.type === "unseen" && !report.judged) {
        because = lazyJustification("drain-too-short", [], () => `${RULES["drain-too-short"].when}: ${report.reason ?? ""}`);
      }
      if (because !== null) {
        anomalies.push({ ...f, allowed: true, allowedBecause: because });
      } else if (f.type === "unseen") {
        const a: Anomaly = { ...f, allowed: false, allowedBecause: null, liveness: true };
        anomalies.push(a);
        unexplainedUnseen.push(a);
      } else anomalies.push({ ...f, allowed: false, allowedBecause: null });
    }
  }
  const liveness: LivenessReport = unexplainedUnseen.length === 0 ? report : { ...report, violations: [...report.violations, ...stalledGroups(result, unexplainedUnseen)] };
  const bug = anomalies.some((a) => !a.allowed && a.liveness !== true);
  const verdict = bug ? "bug" : liveness.violations.length > 0 ? "liveness" : anomalies.length === 0 ? "valid" : "allowed";
  const allowed: { type: AnomalyType; reason: string }[] = [];
  const seen = new Set<AnomalyType>();
  for (const a of anomalies) {
    if (!a.allowedBecause || seen.has(a.type)) continue;
    seen.add(a.type);
    allowed.push({ type: a.type, reason: a.allowedBecause.sentence });
  }
  return { verdict, anomalies, stats: countStats(result, anomalies), allowed, liveness, capacity: oracle.capacity };
}

/** Does a judgement meet a scenario's expectation? */
export function checkExpectation(expect: Expectation | undefined, j: Judgement): { ok: boolean; problems: string[] } {
  const problems: string[] = [];
  if (expect) {
    if (expect.verdict !== undefined && expect.verdict !== j.verdict) problems.push(`expected verdict ${expect.verdict}, got ${j.verdict}`);
    const found = new Set(j.anomalies.map((a) => a.type));
    for (const t of expect.anomalies ?? []) if (!found.has(t)) problems.push(`expected a ${t} anomaly, found none`);
    for (const t of expect.absent ?? []) {
      const n = j.anomalies.filter((a) => a.type === t).length;
      if (n > 0) problems.push(`expected no ${t} anomaly, found ${n}`);
    }
  }
  return { ok: problems.length === 0, problems };
}
