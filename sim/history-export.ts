// Exports of a recorded history: JSON lines (one op per line, exactly the HistoryOp) and a Jepsen EDN history
// that Jepsen's tools (jepsen.history, elle, the kafka workload's checker) can read. In EDN, sends and polls use
// the micro-op shape of jepsen/src/jepsen/tests/kafka.clj: `[:send key value]` on invoke, `[:send key [offset
// value]]` on completion, `[:poll {key [[offset value] ...]}]`, where a key is a topic-partition "orders-0"
// (or the topic while the partition is not yet chosen). :time is in nanoseconds, :process an integer per
// client (its name is kept in :client), :index the op's position.
import type { HistoryOp } from "./history.ts";

/** One JSON object per line, newline-terminated. */
export function toJsonLines(ops: readonly HistoryOp[]): string {
  let out = "";
  for (const op of ops) out += `${JSON.stringify(op)}\n`;
  return out;
}

/** Parse JSON lines back (blank lines are ignored). */
export function fromJsonLines(text: string): HistoryOp[] {
  const out: HistoryOp[] = [];
  for (const line of text.split("\n")) if (line.trim() !== "") out.push(JSON.parse(line) as HistoryOp);
  return out;
}

// ---------------------------------------------------------------- EDN

/** An EDN value under construction: keywords are marked, everything else maps onto EDN's own types. */
export class Keyword {
  constructor(readonly name: string) {}
}
const kw = (name: string): Keyword => new Keyword(name);

type Edn = null | boolean | number | string | Keyword | readonly Edn[] | EdnMap;
/** Entries in order; keys may be keywords or strings. */
class EdnMap {
  constructor(readonly entries: readonly (readonly [Edn, Edn])[]) {}
}
const map = (entries: readonly (readonly [Edn, Edn])[]): EdnMap => new EdnMap(entries);

function ednString(s: string): string {
  return `"${s.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n").replace(/\t/g, "\\t").replace(/\r/g, "\\r")}"`;
}

/** Kafka's error names as EDN keywords: NOT_ENOUGH_REPLICAS → :not-enough-replicas. */
function errorKeyword(e: string): Keyword {
  return kw(e.toLowerCase().replace(/_/g, "-"));
}

export function writeEdn(v: Edn): string {
  if (v === null) return "nil";
  if (typeof v === "boolean") return v ? "true" : "false";
  if (typeof v === "number") return Number.isInteger(v) ? String(v) : Number.isFinite(v) ? String(v) : "nil";
  if (typeof v === "string") return ednString(v);
  if (v instanceof Keyword) return `:${v.name}`;
  if (v instanceof EdnMap) return `{${v.entries.map(([k, x]) => `${writeEdn(k)} ${writeEdn(x)}`).join(", ")}}`;
  return `[${(v as readonly Edn[]).map(writeEdn).join(" ")}]`;
}

function tpKeyOf(topic: string, partition: number | undefined): string {
  return partition === undefined ? topic : `${topic}-${partition}`;
}

/** One op as a Jepsen history map. */
export function opToEdn(op: HistoryOp, processIndex: number): string {
  const entries: [Edn, Edn][] = [
    [kw("index"), op.index],
    [kw("time"), op.timeUs * 1000],
    [kw("type"), kw(op.type)],
    [kw("process"), processIndex],
    [kw("client"), op.process],
    [kw("f"), kw(op.f)],
  ];
  switch (op.f) {
    case "send": {
      const v = op.value;
      const key = tpKeyOf(v.topic, v.partition);
      const payload: Edn = op.type === "ok" ? [v.offset ?? -1, v.value] : v.value;
      entries.push([kw("value"), [[kw("send"), key, payload]]]);
      if (v.key !== null) entries.push([kw("key"), v.key]);
      if (v.error !== undefined) entries.push([kw("error"), errorKeyword(v.error)]);
      if (v.policy !== undefined) entries.push([kw("policy"), kw(v.policy)]);
      break;
    }
    case "poll": {
      const byTp = new Map<string, [number, number][]>();
      for (const r of op.value.records) {
        const k = tpKeyOf(r.topic, r.partition);
        let l = byTp.get(k);
        if (l === undefined) byTp.set(k, (l = []));
        l.push([r.offset, r.value]);
      }
      // An invoke is a bare [:poll]; the completion carries what was read.
      entries.push([kw("value"), op.type === "invoke" ? [[kw("poll")]] : [[kw("poll"), map([...byTp].map(([k, l]) => [k, l] as const))]]]);
      entries.push([kw("group"), op.value.group]);
      if (op.error !== undefined) entries.push([kw("error"), errorKeyword(op.error)]);
      break;
    }
    case "commit": {
      const v = op.value;
      entries.push([kw("value"), map(v.offsets.map((o) => [tpKeyOf(o.topic, o.partition), o.offset] as const))]);
      entries.push([kw("group"), v.group], [kw("generation"), v.generation], [kw("mode"), kw(v.mode)]);
      if (v.error !== undefined) entries.push([kw("error"), errorKeyword(v.error)]);
      break;
    }
    case "process": {
      const v = op.value;
      entries.push([kw("value"), [tpKeyOf(v.topic, v.partition), v.offset, v.value]]);
      entries.push([kw("group"), v.group], [kw("result"), kw(v.result)]);
      if (v.attempts !== undefined) entries.push([kw("attempts"), v.attempts]);
      break;
    }
    case "assign":
      entries.push([kw("value"), op.value.partitions.map((p) => tpKeyOf(p.topic, p.partition))]);
      entries.push([kw("group"), op.value.group], [kw("generation"), op.value.generation]);
      break;
    case "seek": {
      const v = op.value;
      entries.push([kw("value"), [tpKeyOf(v.topic, v.partition), v.offset]]);
      entries.push([kw("group"), v.group], [kw("reason"), kw(v.reason)]);
      break;
    }
    case "reset": {
      const v = op.value;
      entries.push([kw("value"), [tpKeyOf(v.topic, v.partition), v.offset]]);
      entries.push([kw("group"), v.group], [kw("reason"), kw(v.reason)], [kw("strategy"), kw(v.strategy)]);
      break;
    }
    case "crash":
    case "restart":
      entries.push([kw("value"), null]);
      break;
  }
  return writeEdn(map(entries));
}

/** The whole history as EDN, one op map per line (what jepsen.history / elle read). */
export function toJepsenEdn(ops: readonly HistoryOp[]): string {
  const procs = new Map<string, number>();
  let out = "";
  for (const op of ops) {
    let p = procs.get(op.process);
    if (p === undefined) procs.set(op.process, (p = procs.size));
    out += `${opToEdn(op, p)}\n`;
  }
  return out;
}
