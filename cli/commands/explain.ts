// `kafkasim explain <file>`: replay a saved counterexample with the trace recorded and walk through it step
// by step — the faults, leader / ISR / HW changes and truncations of the partitions involved, and the client
// operations on the anomalous records.
import type { ChalkInstance } from "chalk";
import { makeChalk } from "../output.ts";
import { exitCodeOf, runOnce } from "./run.ts";
import type { RunCommandOptions } from "./run.ts";
import type { RunResult } from "../../sim/result.ts";
import type { TraceEvent } from "../../sim/events.ts";
import type { FaultAction, FaultTarget } from "../../sim/faults/types.ts";
import { describeTarget } from "../../sim/faults/interpreter.ts";
import { describeFired, laneTitle } from "../../reports/resolve.ts";
import { causesOf, withCauses } from "../../reports/causes.ts";
import { explanationLines, tidyText } from "../../reports/anomaly-groups.ts";
import { fmtS } from "../../reports/records.ts";
import { wrapLines } from "../../reports/wrap.ts";
import type { HistoryOp } from "../../sim/history.ts";
import type { CliJudgement } from "../engine.ts";

function t(us: number): string {
  return `${(us / 1000).toFixed(3).padStart(10)} ms`;
}

function target(x: FaultTarget): string {
  return describeTarget(x);
}

export function describeFault(a: FaultAction): string {
  switch (a.kind) {
    case "partition":
      return `network partition ${a.groups.map((g) => `{${g.map(target).join(", ")}}`).join(" | ")}`;
    case "partition-oneway":
      return `one-way partition ${a.from.map(target).join(", ")} -/-> ${a.to.map(target).join(", ")}`;
    case "heal":
      return a.target ? `heal ${target(a.target)}` : "heal all";
    case "downstream-down":
      return `downstream of ${a.group} down for ${a.durationMs} ms`;
    case "slow":
      return `slow ${target(a.target)} ×${a.factor}`;
    case "flaky":
      return `flaky ${target(a.target)} (loss ${a.lossProb})`;
    case "pause":
      return `pause ${target(a.target)}${a.durationMs !== undefined ? ` for ${a.durationMs} ms` : ""}`;
    case "power":
      return `power loss of ${target(a.target)}`;
    default:
      return `${a.kind} ${target(a.target)}`;
  }
}

const NODE_WORDS: Readonly<Record<"node-kill" | "node-power-loss" | "node-stop" | "node-restart" | "node-pause" | "node-resume", string>> = {
  "node-kill": "killed",
  "node-power-loss": "lost power",
  "node-stop": "shut down",
  "node-restart": "restarted",
  "node-pause": "paused",
  "node-resume": "resumed",
};

/** One line for a trace event, or undefined for events not worth a step. `tps`: partitions of interest. */
function step(c: ChalkInstance, r: RunResult, ev: TraceEvent & { timeUs: number }, tps: ReadonlySet<string>, hwShown: Map<string, number>): string | undefined {
  const at = c.dim(t(ev.timeUs));
  const about = (tp: string): boolean => tps.size === 0 || tps.has(tp);
  switch (ev.type) {
    case "fault": {
      // Targets resolved in words ("kill leader of orders-0 (broker 2)"); only a target that meant nobody says so.
      const nobody = ev.nodes.length === 0 && "target" in ev.action && ev.action.target !== undefined;
      return `${at}  ${c.magenta.bold("FAULT")} ${describeFired(r, ev)}${nobody ? c.dim(" (its target meant nobody then: nothing happened)") : ""}`;
    }
    case "node-kill":
    case "node-power-loss":
    case "node-stop":
    case "node-restart":
    case "node-pause":
    case "node-resume":
      return `${at}  ${laneTitle(ev.node)} ${NODE_WORDS[ev.type]}${ev.type === "node-power-loss" ? ` (lost ${ev.lostRecords} unflushed records)` : ""}`;
    case "session-expired":
      return `${at}  session of broker ${ev.broker} expired`;
    case "controller-elected":
      return `${at}  broker ${ev.broker} is controller (epoch ${ev.controllerEpoch})`;
    case "leader-elected":
      return about(ev.tp) ? `${at}  ${c.bold(ev.tp)} leader → broker ${ev.leader}, epoch ${ev.leaderEpoch}, ISR [${ev.isr.join(",")}]${ev.unclean ? c.red(" UNCLEAN election") : ""}` : undefined;
    case "partition-offline":
      return about(ev.tp) ? `${at}  ${c.bold(ev.tp)} ${c.red("offline")} (no eligible leader)` : undefined;
    case "isr-shrink":
      return about(ev.tp) ? `${at}  ${c.bold(ev.tp)} ISR shrinks to [${ev.isr.join(",")}] (removed ${ev.removed.join(",")}, by ${ev.by})` : undefined;
    case "isr-expand":
      return about(ev.tp) ? `${at}  ${c.bold(ev.tp)} ISR grows to [${ev.isr.join(",")}] (added ${ev.added.join(",")})` : undefined;
    case "truncate":
      return about(ev.tp) ? `${at}  ${c.bold(ev.tp)} broker ${ev.broker} ${c.yellow("truncates")} ${ev.fromOffset} → ${ev.toOffset} (${ev.reason})` : undefined;
    case "become-leader":
      return about(ev.tp) ? `${at}  ${c.bold(ev.tp)} broker ${ev.broker} becomes leader (epoch ${ev.leaderEpoch}, LEO ${ev.logEndOffset})` : undefined;
    case "hw-advance": {
      if (tps.size === 0 || !tps.has(ev.tp)) return undefined;
      // Only every 100th HW move per replica, so long runs stay readable.
      const key = `${ev.tp}/${ev.broker}`;
      const last = hwShown.get(key);
      if (last !== undefined && ev.highWatermark - last < 100) return undefined;
      hwShown.set(key, ev.highWatermark);
      return `${at}  ${c.bold(ev.tp)} broker ${ev.broker} HW → ${ev.highWatermark}`;
    }
    case "stale-request-rejected":
      return `${at}  broker ${ev.broker} rejects stale ${ev.request} (${ev.reason})`;
    case "isr-change-rejected":
      return about(ev.tp) ? `${at}  ${c.bold(ev.tp)} ISR change by broker ${ev.broker} rejected (${ev.reason})` : undefined;
    case "producer-halted":
      return `${at}  producer ${ev.producer} halted: ${ev.reason}`;
    case "rebalance":
      return `${at}  group ${ev.group} rebalances: generation ${ev.generation}, members ${ev.members.join(", ")}`;
    case "member-joined":
      return `${at}  group ${ev.group}: ${ev.member} ${ev.reason === "rejoin" ? "rejoins" : "joins"} as ${ev.memberId} (generation ${ev.generation})`;
    case "member-left":
      return `${at}  group ${ev.group}: ${ev.member} ${c.yellow("left")} generation ${ev.generation} (${ev.reason})`;
    case "handler-error":
      return about(`${ev.topic}-${ev.partition}`) ? `${at}  ${ev.member}'s handler ${c.yellow("threw")} on ${ev.topic}-${ev.partition} offset ${ev.offset} (value ${ev.value}): ${ev.error}` : undefined;
    case "kafkajs-crash":
      return `${at}  ${ev.member} ${c.red("crashed")} (${ev.error})${ev.restart ? ", restarts" : ", for good"}`;
    case "phase":
      return `${at}  ${c.cyan(`— ${ev.phase} phase —`)}`;
    default:
      return undefined;
  }
}

function opLine(c: ChalkInstance, op: HistoryOp): string {
  const at = c.dim(t(op.timeUs));
  switch (op.f) {
    case "send":
      return `${at}  ${op.process} send value ${op.value.value} ${op.type}${op.value.partition !== undefined ? ` ${op.value.topic}-${op.value.partition}` : ""}${op.value.offset !== undefined ? ` @${op.value.offset}` : ""}${op.value.error ? ` ${op.value.error}` : ""}`;
    case "poll":
      return `${at}  ${op.process} poll ${op.type}: ${op.value.records.length} records`;
    case "process":
      return `${at}  ${op.process} process value ${op.value.value} @${op.value.offset}: ${op.value.result}`;
    case "commit":
      return `${at}  ${op.process} commit ${op.type} ${op.value.offsets.map((o) => `${o.topic}-${o.partition}:${o.offset}`).join(" ")}`;
    default:
      return `${at}  ${op.process} ${op.f} ${op.type}`;
  }
}

export function renderExplanation(c: ChalkInstance, r: RunResult, j: CliJudgement, maxAnomalies = 3): string {
  const out: string[] = [];
  const s = r.scenario;
  out.push(`${c.bold(s.name)} — protocol ${r.protocol}, seed ${String(r.seed)}, verdict ${j.verdict}`);
  if (s.description) out.push(c.dim(s.description));
  const picked = j.anomalies.filter((a) => a.allowed !== true).concat(j.anomalies.filter((a) => a.allowed === true)).slice(0, maxAnomalies);
  const tps = new Set(picked.map((a) => a.partition).filter((p): p is string => p !== null));
  out.push("");
  out.push(c.bold(`Step by step${tps.size > 0 ? ` (partitions ${[...tps].join(", ")})` : ""}:`));
  const hwShown = new Map<string, number>();
  let n = 0;
  const MAX_STEPS = 300;
  for (const ev of r.trace as readonly (TraceEvent & { timeUs: number })[]) {
    const line = step(c, r, ev, tps, hwShown);
    if (line === undefined) continue;
    if (++n > MAX_STEPS) {
      out.push(c.dim(`  ... (more steps; use run --trace FILE for the full trace)`));
      break;
    }
    out.push(line);
  }
  if (picked.length === 0) out.push("", "No anomaly: nothing to explain beyond the steps above.");
  for (const a of picked) {
    out.push("", c.bold(`${a.type}${a.partition ? ` on ${a.partition}` : ""}${a.offset !== null ? ` at offset ${a.offset}` : ""}${a.value !== null ? `, value ${a.value}` : ""}`) + (a.allowed === true ? c.dim(` (allowed: ${a.allowedBecause?.rule ?? "by this configuration"})`) : a.allowed === false ? c.red(" (a bug)") : ""));
    // Its steps, with the faults that caused it (in effect when it was acknowledged, or between then and its loss).
    for (const l of withCauses(explanationLines(a), causesOf(r, a))) out.push(`  ${l}`);
    if (a.allowedBecause) {
      out.push(`  ${c.yellow("why it is allowed")}: ${tidyText(a.allowedBecause.sentence, false)}`);
      for (const e of a.allowedBecause.events) out.push(`    ${c.dim(`${fmtS(e.timeUs / 1000)} (cited)`)} ${tidyText(e.text, false)}`);
    }
    if (a.value !== null) {
      const ops = r.history.filter((op) => (op.f === "send" || op.f === "process") && op.value.value === a.value).slice(0, 12);
      const polls = r.history.filter((op) => op.f === "poll" && op.type === "ok" && op.value.records.some((x) => x.value === a.value)).slice(0, 6);
      const all = [...ops, ...polls].sort((x, y) => x.index - y.index);
      if (all.length > 0) out.push(c.dim("  operations on this record:"), ...all.map((op) => `  ${opLine(c, op)}`));
    }
  }
  return out.join("\n");
}

export async function explainCommand(file: string, opts: RunCommandOptions): Promise<number> {
  const write = opts.write ?? ((x: string) => process.stdout.write(x));
  const r = await runOnce(file, opts, true);
  const c = makeChalk();
  for (const w of r.json.warnings) process.stderr.write(`warning: ${w}\n`);
  const width = opts.write === undefined && process.stdout.isTTY ? (process.stdout.columns ?? 0) : 0;
  write(wrapLines(renderExplanation(c, r.result, r.judgement).split("\n"), width, "    ").join("\n") + "\n\n" + `repro: ${c.cyan(r.json.repro)}\n`);
  return exitCodeOf(r.judgement, r.outcome);
}
