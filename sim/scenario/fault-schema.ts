// Faults in scenario files: the written form ({ at | on, afterMs, <kind>: <target>, parameters }), its
// targets (broker ids, controller, coordinator, clients, leaderOf / followersOf a partition) and its
// normalisation into the Fault values the interpreter runs (sim/faults/types.ts).
import { z } from "zod";
import type { Fault, FaultAction, FaultEvent, FaultKind, FaultTarget } from "../faults/types.ts";
import { show } from "./issues.ts";
import type { IssuePath, RawIssue } from "./issues.ts";
import { int, ms, num, oneOf, str, strict } from "./primitives.ts";
import { FAULT_EVENTS, FAULT_KINDS } from "./names.ts";

const TARGET_HELP =
  "a fault target is a broker id (2), controller (the active one), coordinator (ZooKeeper; the controller quorum in KRaft mode), a client id (p1, g1, g1/0), { leaderOf: orders-0 }, { followersOf: orders-0 }, { broker: 2 }, { client: p1 }, or in KRaft mode controller-2 / { controllerNode: 2 } (a controller node) and quorum / { quorum: true } (every controller node)";

const targetSchema = z.union(
  [
    z.number().int().min(1),
    z.string().min(1),
    z.strictObject({ leaderOf: z.string().min(1) }),
    z.strictObject({ followersOf: z.string().min(1) }),
    z.strictObject({ broker: z.number().int().min(1) }),
    z.strictObject({ client: z.string().min(1) }),
    z.strictObject({ controller: z.literal(true) }),
    z.strictObject({ coordinator: z.literal(true) }),
    z.strictObject({ controllerNode: z.number().int().min(1) }),
    z.strictObject({ quorum: z.literal(true) }),
  ],
  { error: (iss) => `${show(iss.input)} is not a fault target: ${TARGET_HELP}` },
);
type RawTarget = z.infer<typeof targetSchema>;
const targetsSchema = z.union([targetSchema, z.array(targetSchema)], { error: (iss) => `${show(iss.input)} is not a fault target or a list of them: ${TARGET_HELP}` });

const FAULT_KIND_KEYS: Record<string, FaultKind> = Object.fromEntries([
  ...FAULT_KINDS.map((k) => [k, k] as const),
  ["expireSession", "expire-session"],
  ["partitionOneway", "partition-oneway"],
  ["oneway", "partition-oneway"],
  ["downstreamDown", "downstream-down"],
  ["metadataLag", "metadata-lag"],
  ["powerLoss", "power"],
  ["power-loss", "power"],
]);

const faultShape = {
  at: ms().optional(),
  on: strict({ event: oneOf(FAULT_EVENTS), count: int(1).optional(), partition: str("a topic-partition like orders-0").optional() }).optional(),
  afterMs: ms().optional(),
  durationMs: ms().optional(),
  factor: num("a factor", 0, { exclusiveMin: true }).optional(),
  delayMs: ms()
    .describe("metadata-lag: how late the target broker applies committed metadata while the fault lasts (durationMs, else until the drain)")
    .optional(),
  lossProb: num("a probability", 0, { max: 1 })
    .describe("flaky: the probability that each transmission on the target's links is lost; a lost one is retransmitted as TCP does (after 200 ms, doubling per loss, at most 120 s; later messages wait behind it), and 15 lost retransmissions in a row reset the connection")
    .optional(),
  ...Object.fromEntries(Object.keys(FAULT_KIND_KEYS).map((k) => [k, z.unknown().optional()])),
} as Record<string, z.ZodType>;

export const faultSchema = strict(faultShape, "a fault like { at: 5000, kill: 2 }", ["at", "on", "afterMs", ...FAULT_KINDS, "durationMs", "factor", "lossProb", "delayMs"]);

function faultTarget(t: RawTarget): FaultTarget {
  if (typeof t === "number") return { broker: t };
  if (typeof t === "string") {
    if (t === "controller") return { controller: true };
    if (t === "quorum") return { quorum: true };
    const c = /^controller[- ]?(\d+)$/.exec(t);
    if (c) return { controllerNode: Number(c[1]) };
    if (t === "coordinator" || t === "zk" || t === "zookeeper") return { coordinator: true };
    const b = /^(?:broker-?)?(\d+)$/.exec(t);
    if (b) return { broker: Number(b[1]) };
    const l = /^leader(?:Of|-of| of)\s*[:(]?\s*([^)\s]+)\)?$/.exec(t);
    if (l) return { leaderOf: l[1] as string };
    return { client: t };
  }
  return t as FaultTarget;
}

function asTargets(v: unknown): FaultTarget[] | undefined {
  const r = targetsSchema.safeParse(v);
  if (!r.success) return undefined;
  return (Array.isArray(r.data) ? r.data : [r.data]).map(faultTarget);
}

const PARAMS_OF: Partial<Record<FaultKind, readonly string[]>> = {
  pause: ["durationMs"],
  slow: ["factor"],
  flaky: ["lossProb"],
  "downstream-down": ["durationMs"],
  "metadata-lag": ["delayMs", "durationMs"],
};

export function normaliseFault(raw: Record<string, unknown>, path: IssuePath, issues: RawIssue[]): Fault | undefined {
  const kindKeys = Object.keys(raw).filter((k) => k in FAULT_KIND_KEYS && raw[k] !== undefined);
  if (kindKeys.length === 0) {
    issues.push({ path, message: `a fault needs one action: ${FAULT_KINDS.join(", ")} (e.g. { at: 5000, kill: 2 })` });
    return undefined;
  }
  if (kindKeys.length > 1) {
    issues.push({ path: [...path, kindKeys[1] as string], message: `one action per fault; this one has ${kindKeys.join(" and ")}: split it into two faults`, atKey: true });
    return undefined;
  }
  const key = kindKeys[0] as string;
  const kind = FAULT_KIND_KEYS[key] as FaultKind;
  const value = raw[key];
  const vpath = [...path, key];
  const hasAt = raw.at !== undefined;
  const on = raw.on as { event: FaultEvent; count?: number; partition?: string } | undefined;
  if (hasAt === (on !== undefined)) {
    issues.push({ path, message: hasAt ? "a fault has either at: <ms> or on: { event, ... }, not both" : "a fault needs a trigger: at: <ms> or on: { event: produce-acked, count: 100 }" });
    return undefined;
  }
  if (raw.afterMs !== undefined && hasAt) {
    issues.push({ path: [...path, "afterMs"], message: "afterMs only applies to an event trigger (on:); with at: put the delay in at", atKey: true });
  }
  const allowedParams = PARAMS_OF[kind] ?? [];
  for (const p of ["durationMs", "factor", "lossProb", "delayMs"]) {
    if (raw[p] !== undefined && !allowedParams.includes(p)) {
      issues.push({ path: [...path, p], message: `${p} does not apply to ${kind}${allowedParams.length > 0 ? `; ${kind} takes ${allowedParams.join(", ")}` : ""}`, atKey: true });
    }
  }
  const need = (p: string): number | undefined => {
    const v = raw[p];
    if (v === undefined) issues.push({ path, message: `${kind} needs ${p} (e.g. { at: 5000, ${key}: ${kind === "downstream-down" ? "g1" : "2"}, ${p}: ${p === "lossProb" ? 0.1 : p === "factor" ? 10 : p === "delayMs" ? 2000 : 3000} })` });
    return v as number | undefined;
  };
  const target = (): FaultTarget | undefined => {
    const ts = asTargets(value);
    if (ts === undefined || Array.isArray(value)) {
      issues.push({ path: vpath, message: `${show(value)} is not a fault target: ${TARGET_HELP}` });
      return undefined;
    }
    return ts[0];
  };
  const targetList = (v: unknown, p: IssuePath): FaultTarget[] | undefined => {
    const ts = asTargets(v);
    if (ts === undefined) issues.push({ path: p, message: `${show(v)} is not a fault target or a list of them: ${TARGET_HELP}` });
    return ts;
  };

  let action: FaultAction | undefined;
  switch (kind) {
    case "kill":
    case "power":
    case "stop":
    case "restart":
    case "resume":
    case "isolate":
    case "expire-session": {
      const t = target();
      if (t) action = { kind, target: t };
      break;
    }
    case "pause": {
      const t = target();
      if (t) action = raw.durationMs !== undefined ? { kind, target: t, durationMs: raw.durationMs as number } : { kind, target: t };
      break;
    }
    case "slow": {
      const t = target();
      const f = need("factor");
      if (t && f !== undefined) action = { kind, target: t, factor: f };
      break;
    }
    case "flaky": {
      const t = target();
      const p = need("lossProb");
      if (t && p !== undefined) action = { kind, target: t, lossProb: p };
      break;
    }
    case "heal": {
      if (value === "all" || value === true || value === null) action = { kind };
      else {
        const t = target();
        if (t) action = { kind, target: t };
      }
      break;
    }
    case "partition": {
      if (!Array.isArray(value) || value.length < 2) {
        issues.push({ path: vpath, message: `partition takes two or more groups of nodes that cannot talk to each other, e.g. [[1], [2, 3, coordinator]]; got ${show(value)}` });
        break;
      }
      const groups: FaultTarget[][] = [];
      value.forEach((g, gi) => {
        const ts = targetList(g, [...vpath, gi]);
        if (ts) groups.push(ts);
      });
      if (groups.length === value.length) action = { kind, groups };
      break;
    }
    case "partition-oneway": {
      const v = value as { from?: unknown; to?: unknown } | null;
      if (v === null || typeof v !== "object" || Array.isArray(v) || v.from === undefined || v.to === undefined || Object.keys(v).some((k) => k !== "from" && k !== "to")) {
        issues.push({ path: vpath, message: `partition-oneway takes { from: <targets>, to: <targets> } (messages from → to are lost); got ${show(value)}` });
        break;
      }
      const from = targetList(v.from, [...vpath, "from"]);
      const to = targetList(v.to, [...vpath, "to"]);
      if (from && to) action = { kind, from, to };
      break;
    }
    case "metadata-lag": {
      const t = target();
      const d = need("delayMs");
      if (t && d !== undefined) action = raw.durationMs !== undefined ? { kind, target: t, delayMs: d, durationMs: raw.durationMs as number } : { kind, target: t, delayMs: d };
      break;
    }
    case "downstream-down": {
      const d = need("durationMs");
      if (typeof value !== "string" || value === "") issues.push({ path: vpath, message: `downstream-down takes a consumer group id, got ${show(value)}` });
      else if (d !== undefined) action = { kind, group: value, durationMs: d };
      break;
    }
  }
  if (!action) return undefined;
  if (hasAt) return { atMs: raw.at as number, action };
  const trigger: { event: FaultEvent; count?: number; partition?: string } = { event: (on as { event: FaultEvent }).event };
  if (on?.count !== undefined) trigger.count = on.count;
  if (on?.partition !== undefined) trigger.partition = on.partition;
  return raw.afterMs !== undefined ? { on: trigger, afterMs: raw.afterMs as number, action } : { on: trigger, action };
}
