// A Mermaid sequence diagram of a (shrunk) counterexample: produce requests and acks, polls, faults, elections,
// ISR changes and truncations in time order. GitHub renders it inside a ```mermaid block.
import type { RunResult } from "../sim/result.ts";
import { deriveMessages } from "./messages.ts";
import type { RunJudgement } from "./messages.ts";

function clean(s: string): string {
  // ';' and '#' are syntax in Mermaid; keep labels on one line.
  return s.replace(/[;#\n]/g, " ").replace(/\s+/g, " ").trim();
}

export function mermaidSequence(r: RunResult, j: RunJudgement | null = null, opts: { maxLines?: number; windowMs?: [number, number] } = {}): string {
  const maxLines = opts.maxLines ?? 200;
  const mv = deriveMessages(r, opts.windowMs ?? [0, r.virtualMs], maxLines);
  const ids = new Map<string, string>();
  mv.lanes.forEach((n, i) => ids.set(n, `N${i}`));
  const id = (n: string): string => ids.get(n) ?? "N0";
  type Line = { t: number; order: number; text: string };
  const lines: Line[] = [];
  let order = 0;
  for (const a of mv.arrows) {
    const arrow = a.kind === "ack" || a.kind === "poll" ? "-->>" : "->>";
    lines.push({ t: a.kind === "produce" ? a.t0 : a.t1, order: order++, text: `${id(a.from)}${arrow}${id(a.to)}: ${clean(a.label)} (${a.t1.toFixed(1)} ms)` });
  }
  for (const n of mv.notes) lines.push({ t: n.t, order: order++, text: `Note over ${id(n.node)}: ${clean(n.label)} (${n.t.toFixed(1)} ms)` });
  lines.sort((a, b) => a.t - b.t || a.order - b.order);
  const out: string[] = ["sequenceDiagram"];
  for (const n of mv.lanes) out.push(`  participant ${id(n)} as ${clean(n)}`);
  const shown = lines.slice(0, maxLines);
  for (const l of shown) out.push(`  ${l.text}`);
  if (lines.length > shown.length) out.push(`  Note over ${id(mv.lanes[0] ?? "")}: … ${lines.length - shown.length} more events`);
  // The first anomalies only (a run may have thousands; the JSON lists them all).
  const anomalies = j?.anomalies ?? [];
  if (anomalies.length > 20) out.push(`  Note over ${id(mv.lanes[0] ?? "")}: ${anomalies.length} anomalies, the first 20 below`);
  for (const a of anomalies.slice(0, 20)) {
    out.push(`  Note over ${id(mv.lanes[0] ?? "")},${id(mv.lanes[mv.lanes.length - 1] ?? "")}: ${clean(`${a.allowed ? "allowed" : "BUG"} ${a.type}${a.partition ? ` ${a.partition}` : ""}${a.offset !== null ? ` @${a.offset}` : ""}${a.value !== null ? ` v${a.value}` : ""}`)}`);
  }
  return out.join("\n") + "\n";
}
