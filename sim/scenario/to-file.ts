// A normalised Scenario back to the written form (only what differs from Kafka's defaults), for saving fuzz
// counterexamples as scenario files that `kafkasim run` / `replay` / `explain` read back.
import { stringify } from "yaml";
import { BROKER_DEFAULTS, CONSUMER_DEFAULTS, PRODUCER_DEFAULTS } from "../kafka/config.ts";
import { DEFAULT_PROCESSING } from "./defaults.ts";
import type { Fault, FaultAction, FaultTarget } from "../faults/types.ts";
import type { Scenario } from "./types.ts";

function diff(values: Readonly<Record<string, unknown>>, defaults: Readonly<Record<string, unknown>>, keep: readonly string[] = []): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(values)) if (v !== undefined && (v !== defaults[k] || keep.includes(k))) out[k] = v;
  return out;
}

function target(t: FaultTarget): unknown {
  if ("broker" in t) return t.broker;
  if ("controller" in t) return "controller";
  if ("controllerNode" in t) return `controller-${t.controllerNode}`;
  if ("quorum" in t) return "quorum";
  if ("coordinator" in t) return "coordinator";
  if ("client" in t) return { client: t.client };
  if ("followersOf" in t) return { followersOf: t.followersOf };
  return { leaderOf: t.leaderOf };
}

function action(a: FaultAction): Record<string, unknown> {
  switch (a.kind) {
    case "partition":
      return { partition: a.groups.map((g) => g.map(target)) };
    case "partition-oneway":
      return { "partition-oneway": { from: a.from.map(target), to: a.to.map(target) } };
    case "heal":
      return { heal: a.target ? target(a.target) : "all" };
    case "downstream-down":
      return { "downstream-down": a.group, durationMs: a.durationMs };
    case "metadata-lag":
      return { "metadata-lag": target(a.target), delayMs: a.delayMs, ...(a.durationMs !== undefined ? { durationMs: a.durationMs } : {}) };
    case "slow":
      return { slow: target(a.target), factor: a.factor };
    case "flaky":
      return { flaky: target(a.target), lossProb: a.lossProb };
    case "pause":
      return a.durationMs !== undefined ? { pause: target(a.target), durationMs: a.durationMs } : { pause: target(a.target) };
    default:
      return { [a.kind]: target(a.target) };
  }
}

export function faultToFile(f: Fault): Record<string, unknown> {
  if ("atMs" in f) return { at: f.atMs, ...action(f.action) };
  return { on: { ...f.on }, ...(f.afterMs !== undefined ? { afterMs: f.afterMs } : {}), ...action(f.action) };
}

export function scenarioToFile(s: Scenario): Record<string, unknown> {
  const out: Record<string, unknown> = { name: s.name };
  if (s.description !== undefined) out.description = s.description;
  out.seed = s.seed;
  out.durationMs = s.durationMs;
  out.drainMs = s.drainMs;
  // Always written: a file replays on the profile it ran on even if the default changes (it did: 3.7 → 4.1).
  out.protocol = s.protocol;
  if (s.mode !== undefined) out.mode = s.mode;
  if (s.controllers !== undefined) out.controllers = s.controllers;
  out.brokers = s.brokers;
  const broker = diff(s.broker as unknown as Record<string, unknown>, BROKER_DEFAULTS as unknown as Record<string, unknown>);
  if (Object.keys(broker).length > 0) out.broker = broker;
  if (s.brokerOverrides !== undefined && Object.keys(s.brokerOverrides).length > 0) out.brokerOverrides = Object.fromEntries(Object.entries(s.brokerOverrides).map(([id, c]) => [id, { ...c }]));
  if (s.controller !== undefined) out.controller = s.controller;
  out.topics = s.topics.map((t) => ({
    name: t.name,
    partitions: t.partitions,
    "replication.factor": t["replication.factor"],
    ...(t.replicaAssignment !== undefined ? { replicaAssignment: t.replicaAssignment.map((r) => [...r]) } : {}),
    ...(Object.keys(t.config).length > 0 ? { config: { ...t.config } } : {}),
  }));
  if (s.network.latency) out.network = { latency: { ...s.network.latency } };
  if (s.producers.length > 0) {
    out.producers = s.producers.map((p) => {
      const config = diff(p.config as unknown as Record<string, unknown>, PRODUCER_DEFAULTS as unknown as Record<string, unknown>, p.explicit);
      return {
        id: p.id,
        topic: p.topic,
        ratePerSec: p.ratePerSec,
        ...(p.messages !== undefined ? { messages: p.messages } : {}),
        ...(p.startMs !== undefined ? { startMs: p.startMs } : {}),
        ...(p.keys !== 0 ? { keys: p.keys } : {}),
        ...(Object.keys(config).length > 0 ? { config } : {}),
        onFailure: p.onFailure,
        ...(p.deadLetterTopic !== undefined ? { deadLetterTopic: p.deadLetterTopic } : {}),
        ...(p.transaction !== undefined ? { transaction: { ...p.transaction } } : {}),
      };
    });
  }
  if (s.consumers.length > 0) {
    out.consumers = s.consumers.map((c) => {
      const { "group.id": _g, ...cfg } = c.config;
      const config = diff(cfg, CONSUMER_DEFAULTS as unknown as Record<string, unknown>, c.explicit.filter((k) => k !== "group.id"));
      const processing = diff(c.processing as unknown as Record<string, unknown>, DEFAULT_PROCESSING as unknown as Record<string, unknown>);
      return {
        group: c.group,
        members: c.members,
        ...(c.topics.length === 1 ? { topic: c.topics[0] } : { topics: [...c.topics] }),
        ...(c.startMs !== undefined ? { startMs: c.startMs } : {}),
        ...(Object.keys(config).length > 0 ? { config } : {}),
        ...(Object.keys(processing).length > 0 ? { processing } : {}),
      };
    });
  }
  if (s.faults.length > 0) out.faults = s.faults.map(faultToFile);
  const bugs = Object.fromEntries(Object.entries(s.bugs).filter(([, v]) => v === true));
  if (Object.keys(bugs).length > 0) out.bugs = bugs;
  if (s.expect) out.expect = { ...s.expect };
  if (s.limits !== undefined && Object.keys(s.limits).length > 0) out.limits = { ...s.limits };
  return out;
}

export function scenarioToYaml(s: Scenario, header?: string): string {
  const body = stringify(scenarioToFile(s), { lineWidth: 0, flowCollectionPadding: true });
  return (header ? header.split("\n").map((l) => `# ${l}`).join("\n") + "\n" : "") + body;
}
