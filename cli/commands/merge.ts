// `kafkasim merge <results...>`: the shards of one campaign (fuzz --shard i/n --json) put back together: counts
// summed, first runs the earliest, counterexamples in run order and de-duplicated by target + shrunk schedule,
// coverage summed. All shards of a `--runs` campaign merged give exactly the unsharded campaign's result (but
// wallMs, here the longest shard's).
import { readFileSync, statSync } from "node:fs";
import { UsageError } from "../io.ts";
import { makeChalk } from "../output.ts";
import { PROBE_IDS } from "../../properties/coverage.ts";
import { CHECKERS } from "../../properties/checkers/index.ts";
import type { ProbeId } from "../../properties/coverage.ts";
import type { Verdict } from "../../sim/scenario/types.ts";
import { counterexampleKey, renderFuzz } from "./fuzz.ts";
import type { FuzzJson } from "./fuzz.ts";
import { shellWord } from "../output.ts";
import { checkJunitPath, writeJunit, junitOfFuzz } from "../junit.ts";

const MAX_RESULT_BYTES = 64 * 1024 * 1024;
const CHECKER_ORDER: readonly string[] = Object.keys(CHECKERS);

function readResult(file: string): FuzzJson {
  let text: string;
  try {
    if (statSync(file).size > MAX_RESULT_BYTES) throw new UsageError(`${file}: larger than ${MAX_RESULT_BYTES / 1024 / 1024} MB; is it a fuzz --json result?`);
    text = readFileSync(file, "utf8");
  } catch (e) {
    if (e instanceof UsageError) throw e;
    throw new UsageError(`${file}: cannot read it (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  let j: unknown;
  try {
    j = JSON.parse(text);
  } catch (e) {
    throw new UsageError(`${file}: not JSON (${(e as Error).message}); give the output of kafkasim fuzz --json`);
  }
  const o = j as Partial<FuzzJson>;
  const missing = (["seed", "campaign", "runs", "verdicts", "anomalies", "counterexamples", "coverage", "meta"] as const).filter((k) => o[k] === undefined);
  if (typeof j !== "object" || j === null || missing.length > 0) throw new UsageError(`${file}: not a fuzz --json result (missing ${missing.join(", ")}); give the output of kafkasim fuzz --json of this kafkasim version`);
  return j as FuzzJson;
}

/** The merge of shard results of one campaign. */
export function mergeResults(parts: readonly { file: string; result: FuzzJson }[]): FuzzJson {
  const first = parts[0];
  if (!first) throw new UsageError("merge: give at least one result file");
  const same = (a: FuzzJson, b: FuzzJson): boolean => String(a.seed) === String(b.seed) && JSON.stringify(a.campaign) === JSON.stringify(b.campaign);
  for (const p of parts) {
    if (!same(p.result, first.result)) throw new UsageError(`${p.file}: a shard of another campaign (seed ${String(p.result.seed)}, ${JSON.stringify(p.result.campaign)}) than ${first.file} (seed ${String(first.result.seed)}, ${JSON.stringify(first.result.campaign)})`);
    const m = p.result.meta;
    const m0 = first.result.meta;
    if (m.kafkasimVersion !== m0.kafkasimVersion || m.lockHash !== m0.lockHash) {
      throw new UsageError(`${p.file}: made by kafkasim ${m.kafkasimVersion} (lock ${m.lockHash ?? "none"}), ${first.file} by ${m0.kafkasimVersion} (lock ${m0.lockHash ?? "none"}): a seed does not replay across versions, run every shard with one version`);
    }
  }
  const counts = new Set(parts.map((p) => p.result.shard?.count ?? 1));
  if (counts.size > 1) throw new UsageError(`merge: the shards split the campaign differently (${[...counts].map((n) => `/${n}`).join(", ")})`);
  const count = [...counts][0] as number;
  const indices = parts.map((p) => p.result.shard?.index ?? 1);
  const dup = indices.find((x, i) => indices.indexOf(x) !== i);
  if (dup !== undefined) throw new UsageError(`merge: shard ${dup}/${count} is given twice`);
  const complete = indices.length === count;
  if (!complete) process.stderr.write(`warning: merging ${indices.length} of ${count} shards (missing ${Array.from({ length: count }, (_, i) => i + 1).filter((i) => !indices.includes(i)).join(", ")}): the result is not the whole campaign\n`);

  const verdicts: Record<Verdict, number> = { valid: 0, allowed: 0, liveness: 0, bug: 0 };
  const anomalies: FuzzJson["anomalies"] = {};
  const coverageCounts = Object.fromEntries(PROBE_IDS.map((p) => [p, 0])) as Record<ProbeId, number>;
  let runs = 0;
  let coverageRuns = 0;
  let capacity = 0;
  let wallMs = 0;
  let interrupted = false;
  const all: FuzzJson["counterexamples"] = [];
  for (const { result: r } of parts) {
    runs += r.runs;
    capacity += r.capacity;
    wallMs = Math.max(wallMs, r.wallMs);
    interrupted ||= r.interrupted;
    for (const v of Object.keys(verdicts) as Verdict[]) verdicts[v] += r.verdicts[v] ?? 0;
    for (const [t, e] of Object.entries(r.anomalies)) {
      const m = anomalies[t];
      if (m) {
        m.count += e.count;
        m.firstRun = Math.min(m.firstRun, e.firstRun);
      } else anomalies[t] = { count: e.count, firstRun: e.firstRun };
    }
    coverageRuns += r.coverage.runs;
    for (const p of PROBE_IDS) coverageCounts[p] += r.coverage.counts[p] ?? 0;
    all.push(...r.counterexamples);
  }
  all.sort((a, b) => a.run - b.run);
  const seen = new Map<string, FuzzJson["counterexamples"][number]>();
  const counterexamples: FuzzJson["counterexamples"] = [];
  for (const ce of all) {
    const k = counterexampleKey(ce);
    const first = seen.get(k);
    if (first) first.repeats += 1 + ce.repeats;
    else {
      const copy = { ...ce };
      seen.set(k, copy);
      counterexamples.push(copy);
    }
  }
  // Anomaly types in the order the unsharded campaign meets them: by first run, then in the checkers' order (one
  // run's types come in that order).
  const rank = (t: string): number => CHECKER_ORDER.indexOf(t);
  const ordered = Object.fromEntries(Object.entries(anomalies).sort((a, b) => a[1].firstRun - b[1].firstRun || rank(a[0]) - rank(b[0])));
  const c = first.result.campaign;
  const repro = ["npx kafkasim fuzz", ...(c.base !== null ? [shellWord(c.base)] : []), "--seed", shellWord(String(first.result.seed)), "--runs", String(c.runs ?? runs), ...c.sets.flatMap((x) => ["--set", shellWord(x)]), ...(c.until !== null ? ["--until", c.until] : []), ...(c.steer === true ? ["--steer"] : [])].join(" ");
  return {
    seed: first.result.seed,
    campaign: c,
    shard: complete ? null : first.result.shard,
    runs,
    wallMs,
    interrupted,
    verdicts,
    capacity,
    anomalies: ordered,
    counterexamples,
    coverage: { runs: coverageRuns, counts: coverageCounts, neverReached: PROBE_IDS.filter((p) => coverageCounts[p] === 0) },
    repro,
    meta: first.result.meta,
  };
}

export function mergeCommand(files: readonly string[], opts: { json?: boolean; junit?: string; write?: (t: string) => void }): number {
  const write = opts.write ?? ((t: string) => process.stdout.write(t));
  if (opts.junit !== undefined) checkJunitPath(opts.junit);
  const merged = mergeResults(files.map((file) => ({ file, result: readResult(file) })));
  if (opts.junit !== undefined) writeJunit(opts.junit, [junitOfFuzz(merged)]);
  if (opts.json) write(JSON.stringify(merged, null, 2) + "\n");
  else write(renderFuzz(makeChalk(), merged, { interrupted: merged.interrupted ? "a signal" : undefined }));
  return merged.verdicts.bug > 0 || merged.verdicts.liveness > 0 ? 1 : 0;
}
