// The verdict of one run: every checker, then the oracle. `valid`: no anomaly; `allowed`: only anomalies the
// configuration permits (each with its reason); `bug`: anything else.
import type { RunResult } from "../sim/result.ts";
import type { AnomalyType, Expectation } from "../sim/scenario/types.ts";
import type { Anomaly, Judgement, JudgementStats } from "./types.ts";
import { CHECKERS } from "./checkers/index.ts";
import { allowedReason, oracle } from "./oracle.ts";
import { topicOfTp } from "./context.ts";

function countStats(result: RunResult, anomalies: readonly Anomaly[]): JudgementStats {
  let sent = 0;
  let acked = 0;
  let failed = 0;
  let polled = 0;
  let committed = 0;
  const outcome = new Map<number, "ok" | "fail" | "info">();
  for (const op of result.history) {
    if (op.f === "send") {
      if (op.type === "invoke") sent++;
      else if (outcome.get(op.value.value) !== "ok") outcome.set(op.value.value, op.type);
    } else if (op.f === "poll" && op.type === "ok") polled += op.value.records.length;
    else if (op.f === "commit" && op.type === "ok") committed++;
  }
  for (const o of outcome.values()) {
    if (o === "ok") acked++;
    else if (o === "fail") failed++;
  }
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
    polled,
    committed,
  };
}

export function judge(result: RunResult): Judgement {
  const allowances = oracle(result);
  const anomalies: Anomaly[] = [];
  for (const type of Object.keys(CHECKERS) as AnomalyType[]) {
    for (const f of CHECKERS[type](result)) {
      const reason = allowedReason(allowances, f.type, f.partition === null ? null : topicOfTp(f.partition));
      anomalies.push(reason === undefined ? { ...f, allowed: false } : { ...f, allowed: true, reason });
    }
  }
  const verdict = anomalies.length === 0 ? "valid" : anomalies.every((a) => a.allowed) ? "allowed" : "bug";
  const allowed: { type: AnomalyType; reason: string }[] = [];
  const seen = new Set<AnomalyType>();
  for (const a of allowances) {
    if (seen.has(a.type)) continue;
    seen.add(a.type);
    allowed.push({ type: a.type, reason: a.reason });
  }
  return { verdict, anomalies, stats: countStats(result, anomalies), allowed };
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
