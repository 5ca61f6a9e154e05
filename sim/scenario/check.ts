// Semantic checks on a normalised scenario: what a well-formed file can still get wrong — names that must
// exist (topics, brokers, clients, topic-partitions), and Kafka's own config rejections.
import type { FaultTarget } from "../faults/types.ts";
import { didYouMean } from "./issues.ts";
import type { IssuePath, RawIssue } from "./issues.ts";
import type { ConsumerSpec, Scenario, TopicSpec } from "./types.ts";

/** Problems a valid shape can still have: unknown topics, brokers, clients; replication factor > brokers;
 *  Kafka's idempotence conflicts. Paths are in the written form's terms. */
export function checkScenario(s: Scenario): RawIssue[] {
  const issues: RawIssue[] = [];
  const topicNames = s.topics.map((t) => t.name);
  const topicByName = new Map<string, TopicSpec>();
  s.topics.forEach((t, i) => {
    if (topicByName.has(t.name)) issues.push({ path: ["topics", i, "name"], message: `topic "${t.name}" is declared twice` });
    topicByName.set(t.name, t);
    if (t["replication.factor"] > s.brokers) {
      issues.push({ path: ["topics", i, "replication.factor"], message: `replication.factor ${t["replication.factor"]} is larger than the number of brokers (${s.brokers}); allowed: 1..${s.brokers}` });
    }
  });
  const unknownTopic = (name: string): string => {
    const dym = didYouMean(name, topicNames);
    return `unknown topic "${name}"${dym !== undefined ? `; did you mean "${dym}"?` : ""} Topics: ${topicNames.join(", ") || "(none)"}`;
  };
  const clients = new Set<string>();
  s.producers.forEach((p, i) => {
    if (clients.has(p.id)) issues.push({ path: ["producers", i, "id"], message: `client id "${p.id}" is used twice` });
    clients.add(p.id);
    if (!topicByName.has(p.topic)) issues.push({ path: ["producers", i, "topic"], message: unknownTopic(p.topic) });
    const c = p.config;
    if (p.explicit.includes("enable.idempotence") && c["enable.idempotence"]) {
      // ProducerConfig.postProcessAndValidateIdempotenceConfigs: an explicit enable.idempotence=true conflicting
      // with acks / retries / max.in.flight is a ConfigException (fact 16).
      const conflict =
        c.acks !== "all" && c.acks !== -1
          ? `acks=all (got acks=${c.acks})`
          : c.retries === 0
            ? "retries > 0 (got 0)"
            : c["max.in.flight.requests.per.connection"] > 5
              ? `max.in.flight.requests.per.connection ≤ 5 (got ${c["max.in.flight.requests.per.connection"]})`
              : undefined;
      if (conflict !== undefined) issues.push({ path: ["producers", i, "config", "enable.idempotence"], message: `enable.idempotence=true needs ${conflict}; Kafka rejects this producer config` });
    }
  });
  const groups = new Map<string, ConsumerSpec>();
  s.consumers.forEach((c, i) => {
    if (clients.has(c.group) || groups.has(c.group)) issues.push({ path: ["consumers", i, "group"], message: `client id "${c.group}" is used twice (producer ids and groups must differ)` });
    groups.set(c.group, c);
    const session = c.config["session.timeout.ms"];
    const [minS, maxS] = [s.broker["group.min.session.timeout.ms"], s.broker["group.max.session.timeout.ms"]];
    if (session < minS || session > maxS) {
      // GroupCoordinator.handleJoinGroup: INVALID_SESSION_TIMEOUT outside the broker's bounds.
      issues.push({ path: ["consumers", i, "config", "session.timeout.ms"], message: `session.timeout.ms ${session} is outside the broker's group.min/max.session.timeout.ms (${minS}..${maxS}); Kafka rejects the join with INVALID_SESSION_TIMEOUT. Lower broker.group.min.session.timeout.ms or raise session.timeout.ms` });
    }
    if (c.config["heartbeat.interval.ms"] >= session) {
      issues.push({ path: ["consumers", i, "config", "heartbeat.interval.ms"], message: `heartbeat.interval.ms ${c.config["heartbeat.interval.ms"]} must be lower than session.timeout.ms ${session}` });
    }
    c.topics.forEach((t, j) => {
      if (!topicByName.has(t)) issues.push({ path: c.topics.length === 1 ? ["consumers", i, "topic"] : ["consumers", i, "topics", j], message: unknownTopic(t) });
    });
  });
  const clientIds = [...clients, ...groups.keys(), ...[...groups.values()].flatMap((g) => Array.from({ length: g.members }, (_, m) => `${g.group}/${m}`))];
  const checkTp = (tp: string, path: IssuePath): void => {
    const m = /^(.+)-(\d+)$/.exec(tp);
    const t = m ? topicByName.get(m[1] as string) : undefined;
    if (!m) issues.push({ path, message: `"${tp}" is not a topic-partition; write it like ${topicNames[0] ?? "orders"}-0` });
    else if (!t) issues.push({ path, message: unknownTopic(m[1] as string) });
    else if (Number(m[2]) >= t.partitions) issues.push({ path, message: `topic ${t.name} has ${t.partitions} partition(s); allowed: ${t.name}-0..${t.name}-${t.partitions - 1}` });
  };
  const checkTarget = (t: FaultTarget, path: IssuePath): void => {
    if ("broker" in t) {
      if (!(t.broker >= 1 && t.broker <= s.brokers)) issues.push({ path, message: `there is no broker ${t.broker}; brokers are 1..${s.brokers}` });
    } else if ("leaderOf" in t) checkTp(t.leaderOf, [...path, "leaderOf"]);
    else if ("followersOf" in t) checkTp(t.followersOf, [...path, "followersOf"]);
    else if ("client" in t && !clientIds.includes(t.client)) {
      const dym = didYouMean(t.client, [...clientIds, "controller", "coordinator"]);
      issues.push({ path, message: `there is no node "${t.client}"${dym !== undefined ? `; did you mean "${dym}"?` : ""} Nodes: brokers 1..${s.brokers}, controller, coordinator${clientIds.length > 0 ? `, ${clientIds.join(", ")}` : ""}` });
    }
  };
  s.faults.forEach((f, i) => {
    const path: IssuePath = ["faults", i];
    if ("on" in f && f.on.partition !== undefined) checkTp(f.on.partition, [...path, "on", "partition"]);
    const a = f.action;
    const kpath: IssuePath = [...path, a.kind];
    switch (a.kind) {
      case "partition": {
        const seen = new Map<string, string>();
        a.groups.forEach((g, gi) =>
          g.forEach((t, ti) => {
            checkTarget(t, [...kpath, gi, ti]);
            const k = JSON.stringify(t);
            if (seen.has(k)) issues.push({ path: [...kpath, gi, ti], message: `${JSON.stringify(t)} is in two groups; each node may be in one group only` });
            seen.set(k, k);
          }),
        );
        break;
      }
      case "partition-oneway":
        a.from.forEach((t, ti) => checkTarget(t, [...kpath, "from", ti]));
        a.to.forEach((t, ti) => checkTarget(t, [...kpath, "to", ti]));
        break;
      case "heal":
        if (a.target) checkTarget(a.target, kpath);
        break;
      case "downstream-down":
        if (!groups.has(a.group)) {
          const dym = didYouMean(a.group, [...groups.keys()]);
          issues.push({ path: kpath, message: `there is no consumer group "${a.group}"${dym !== undefined ? `; did you mean "${dym}"?` : ""} Groups: ${[...groups.keys()].join(", ") || "(none)"}` });
        }
        break;
      default:
        checkTarget(a.target, kpath);
    }
    if ("atMs" in f && f.atMs > s.durationMs) {
      issues.push({ path: [...path, "at"], message: `at ${f.atMs} is after the workload phase ends (durationMs ${s.durationMs}); faults do not fire during the drain` });
    }
  });
  return issues;
}
