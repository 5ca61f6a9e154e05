// Semantic checks on a normalised scenario: what a well-formed file can still get wrong — names that must
// exist (topics, brokers, clients, topic-partitions), and Kafka's own config rejections.
import type { FaultTarget } from "../faults/types.ts";
import { didYouMean } from "./issues.ts";
import type { IssuePath, RawIssue } from "./issues.ts";
import { brokerConfigOf } from "./defaults.ts";
import { limitIssues } from "./limits.ts";
import { DEFAULT_CONTROLLERS, hasElrFeature, hasTransactionV2, modeOf, modesOf, versionAtLeast } from "../kafka/profiles.ts";
import type { ConsumerSpec, Scenario, TopicSpec } from "./types.ts";

/** The network addresses at most this many nodes (sim/net/links.ts MAX_NODES - 1): a hard ceiling. */
const MAX_NODES = 1023;

/** Problems a valid shape can still have: unknown topics, brokers, clients; replication factor > brokers;
 *  replica assignments, the controller and broker overrides naming brokers that do not exist; Kafka's own
 *  config rejections; the limits on a run's size. Paths are in the written form's terms. */
export function checkScenario(s: Scenario, opts: { readonly externalClients?: boolean } = {}): RawIssue[] {
  const issues: RawIssue[] = limitIssues(s);
  // Real clients (kafkasim serve, the real kafkajs) are the clients of a scenario that has none of its own.
  if (s.producers.length === 0 && s.consumers.length === 0 && opts.externalClients !== true) {
    issues.push({ path: [], message: "the scenario has neither producers nor consumers, so a run would show nothing; add producers: [{ id: p1, topic: orders, ratePerSec: 100 }]" });
  }
  const kraft = modeOf(s) === "kraft";
  const controllers = kraft ? (s.controllers ?? DEFAULT_CONTROLLERS) : 0;
  const nodes = (kraft ? controllers : 1) + s.brokers + s.producers.length + s.consumers.reduce((n, c) => n + c.members, 0);
  if (nodes > MAX_NODES) issues.push({ path: ["brokers"], message: `${nodes} nodes (the ${kraft ? "controllers" : "coordinator"}, brokers, producers and consumer members) is more than the simulator addresses (${MAX_NODES})` });
  issues.push(...checkMode(s));
  const brokerRange = `brokers are 1..${s.brokers}`;
  if (s.controller !== undefined && s.controller > s.brokers) issues.push({ path: ["controller"], message: `there is no broker ${s.controller}; ${brokerRange}` });
  for (const id of Object.keys(s.brokerOverrides ?? {})) {
    if (Number(id) > s.brokers) issues.push({ path: ["brokerOverrides", id], message: `there is no broker ${id}; ${brokerRange}`, atKey: true });
  }
  const topicNames = s.topics.map((t) => t.name);
  const topicByName = new Map<string, TopicSpec>();
  s.topics.forEach((t, i) => {
    if (topicByName.has(t.name)) issues.push({ path: ["topics", i, "name"], message: `topic "${t.name}" is declared twice` });
    topicByName.set(t.name, t);
    if (t["replication.factor"] > s.brokers) {
      issues.push({ path: ["topics", i, "replication.factor"], message: `replication.factor ${t["replication.factor"]} is larger than the number of brokers (${s.brokers}); allowed: 1..${s.brokers}` });
    } else if (t.replicaAssignment !== undefined) checkAssignment(t, ["topics", i, "replicaAssignment"], s.brokers, issues);
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
    if (p.explicit.includes("delivery.timeout.ms") && c["delivery.timeout.ms"] < c["linger.ms"] + c["request.timeout.ms"]) {
      // KafkaProducer.configureDeliveryTimeout: an explicit delivery.timeout.ms below the sum is a ConfigException.
      issues.push({
        path: ["producers", i, "config", "delivery.timeout.ms"],
        message: `delivery.timeout.ms ${c["delivery.timeout.ms"]} should be equal to or larger than linger.ms + request.timeout.ms (${c["linger.ms"]} + ${c["request.timeout.ms"]}); Kafka rejects this producer config`,
      });
    }
  });
  const groups = new Map<string, ConsumerSpec>();
  s.consumers.forEach((c, i) => {
    if (clients.has(c.group) || groups.has(c.group)) issues.push({ path: ["consumers", i, "group"], message: `client id "${c.group}" is used twice (producer ids and groups must differ)` });
    groups.set(c.group, c);
    const session = c.config["session.timeout.ms"];
    // Any broker may be the group's coordinator: the session must fit each one's bounds.
    for (let b = 1; b <= (s.brokerOverrides === undefined ? 1 : s.brokers); b++) {
      const bc = brokerConfigOf(s, b);
      const [minS, maxS] = [bc["group.min.session.timeout.ms"], bc["group.max.session.timeout.ms"]];
      if (session < minS || session > maxS) {
        // GroupCoordinator.handleJoinGroup: INVALID_SESSION_TIMEOUT outside the broker's bounds.
        issues.push({ path: ["consumers", i, "config", "session.timeout.ms"], message: `session.timeout.ms ${session} is outside the broker's${s.brokerOverrides?.[b] !== undefined ? ` (broker ${b})` : ""} group.min/max.session.timeout.ms (${minS}..${maxS}); Kafka rejects the join with INVALID_SESSION_TIMEOUT. Lower broker.group.min.session.timeout.ms or raise session.timeout.ms` });
        break;
      }
    }
    if (c.config["heartbeat.interval.ms"] >= session) {
      issues.push({ path: ["consumers", i, "config", "heartbeat.interval.ms"], message: `heartbeat.interval.ms ${c.config["heartbeat.interval.ms"]} must be lower than session.timeout.ms ${session}` });
    }
    c.topics.forEach((t, j) => {
      if (!topicByName.has(t)) issues.push({ path: c.topics.length === 1 ? ["consumers", i, "topic"] : ["consumers", i, "topics", j], message: unknownTopic(t) });
    });
    issues.push(...checkOutput(s, c, i, topicByName.has(c.processing.output?.topic ?? "") ? null : unknownTopic(c.processing.output?.topic ?? "")));
  });
  const clientIds = [...clients, ...groups.keys(), ...[...groups.values()].flatMap((g) => Array.from({ length: g.members }, (_, m) => `${g.group}/${m}`))];
  const transactional = s.producers.some((p) => p.config["transactional.id"] != null) || s.consumers.some((c) => c.processing.output?.transactional === true);
  const internalTopics = new Map<string, { readonly name: string; readonly partitions: number }>([["__consumer_offsets", { name: "__consumer_offsets", partitions: s.broker["offsets.topic.num.partitions"] }]]);
  if (transactional) internalTopics.set("__transaction_state", { name: "__transaction_state", partitions: s.broker["transaction.state.log.num.partitions"] });
  const checkTp = (tp: string, path: IssuePath): void => {
    const m = /^(.+)-(\d+)$/.exec(tp);
    // The internal topics too (kill a group's or a transactional.id's coordinator: { leaderOf: __transaction_state-0 }).
    const internal = m ? internalTopics.get(m[1] as string) : undefined;
    const t = m ? (topicByName.get(m[1] as string) ?? internal) : undefined;
    if (!m) issues.push({ path, message: `"${tp}" is not a topic-partition; write it like ${topicNames[0] ?? "orders"}-0` });
    else if (!t) issues.push({ path, message: unknownTopic(m[1] as string) });
    else if (Number(m[2]) >= t.partitions) issues.push({ path, message: `topic ${t.name} has ${t.partitions} partition(s); allowed: ${t.name}-0..${t.name}-${t.partitions - 1}` });
  };
  const checkTarget = (t: FaultTarget, path: IssuePath): void => {
    if ("controllerNode" in t || "quorum" in t) {
      const what = "controllerNode" in t ? `controller-${t.controllerNode}` : "quorum";
      if (!kraft) issues.push({ path, message: `${what} names KRaft controller nodes; this scenario runs ZooKeeper (protocol ${s.protocol}${s.mode !== undefined ? `, mode ${s.mode}` : ""}): use controller or coordinator` });
      else if ("controllerNode" in t && !(t.controllerNode >= 1 && t.controllerNode <= controllers)) issues.push({ path, message: `there is no controller ${t.controllerNode}; controllers are 1..${controllers}` });
    } else if ("broker" in t) {
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
      case "metadata-lag":
        checkTarget(a.target, kpath);
        if (!kraft) issues.push({ path: kpath, message: `metadata-lag delays a broker's metadata log fetch, which exists in KRaft mode only; this scenario runs ZooKeeper (protocol ${s.protocol})` });
        else if (!("broker" in a.target || "leaderOf" in a.target || "followersOf" in a.target)) issues.push({ path: kpath, message: "metadata-lag targets brokers: a broker id, { leaderOf: orders-0 } or { followersOf: orders-0 }" });
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

/** A pinned assignment as Kafka validates one: TopicCommand.parseReplicaAssignment (no duplicate replicas, the
 *  same replication factor for every partition) and ZkAdminManager.createTopics (no unknown brokers). */
function checkAssignment(t: TopicSpec, path: IssuePath, brokers: number, issues: RawIssue[]): void {
  const a = t.replicaAssignment ?? [];
  const rf = t["replication.factor"];
  if (a.length !== t.partitions) {
    issues.push({ path, message: `topic ${t.name} has ${t.partitions} partition(s) but its replicaAssignment lists ${a.length}; give one replica list per partition (or leave partitions out)` });
    return;
  }
  a.forEach((replicas, p) => {
    const at = [...path, p];
    const dup = replicas.filter((b, k) => replicas.indexOf(b) !== k);
    const unknown = replicas.filter((b) => b > brokers);
    if (replicas.length !== rf) {
      issues.push({ path: at, message: `partition ${p} has ${replicas.length} replica(s) [${replicas.join(", ")}], not the replication factor ${rf}; every partition needs the same number of replicas` });
    } else if (dup.length > 0) {
      issues.push({ path: at, message: `partition ${p}'s replicas [${replicas.join(", ")}] list broker ${dup.join(", ")} twice; a replica list may not contain duplicate entries` });
    } else if (unknown.length > 0) {
      issues.push({ path: at, message: `partition ${p}'s replicas [${replicas.join(", ")}] name unknown broker(s) ${unknown.join(", ")}; brokers are 1..${brokers}` });
    }
  });
}

/** The control plane a scenario asks for, against what its profile offers: a mode the profile does not run (4.0 and
 *  4.1 have no ZooKeeper, 0.10–3.7 no KRaft here), KRaft-only fields in ZooKeeper mode and the other way round, and
 *  the ELR feature before 4.0. */
function checkMode(s: Scenario): RawIssue[] {
  const issues: RawIssue[] = [];
  const modes = modesOf(s.protocol);
  if (s.mode !== undefined && !modes.includes(s.mode)) {
    const why = s.mode === "zookeeper" ? "ZooKeeper was removed in Kafka 4.0 (KIP-833)" : "kafkasim models KRaft from profile 3.9 (0.10–3.7 are the ZooKeeper-era model)";
    issues.push({ path: ["mode"], message: `protocol ${s.protocol} does not run mode ${s.mode}: ${why}; allowed: ${modes.join(", ")}` });
    return issues;
  }
  const kraft = modeOf(s) === "kraft";
  if (!kraft && s.controllers !== undefined) issues.push({ path: ["controllers"], message: `controllers is the number of KRaft controller nodes; this scenario runs ZooKeeper (protocol ${s.protocol}): set mode: kraft with protocol 3.9, or protocol 4.0 / 4.1`, atKey: true });
  if (kraft && s.controller !== undefined) issues.push({ path: ["controller"], message: "controller pins the first ZooKeeper-era controller broker; in KRaft mode controllers are their own nodes (controllers: N)", atKey: true });
  const elrSet = [s.broker, ...Object.values(s.brokerOverrides ?? {})].some((c) => c["eligible.leader.replicas.version"] !== undefined && c["eligible.leader.replicas.version"] !== null);
  if (elrSet && (!kraft || !hasElrFeature(s.protocol))) {
    issues.push({ path: ["broker", "eligible.leader.replicas.version"], message: `eligible.leader.replicas.version is a KRaft feature from Kafka 4.0 (KIP-966); protocol ${s.protocol}${kraft ? "" : " in ZooKeeper mode"} does not have it` });
  }
  // TransactionVersion.TV_1 / TV_2 bootstrap from metadata.version 4.0-IV2 (KIP-890 part 2).
  const tvSet = [s.broker, ...Object.values(s.brokerOverrides ?? {})].some((c) => typeof c["transaction.version"] === "number" && c["transaction.version"] > 0);
  if (tvSet && !hasTransactionV2(s.protocol)) {
    issues.push({ path: ["broker", "transaction.version"], message: `transaction.version 1 and 2 are levels of a Kafka 4.0+ feature (KIP-890); protocol ${s.protocol} runs the classic protocol; allowed: 0, or protocol 4.0 / 4.1` });
  }
  // transaction.partition.verification.enable exists from 3.6 (KIP-890 part 1).
  const pvSet = [s.broker, ...Object.values(s.brokerOverrides ?? {})].some((c) => c["transaction.partition.verification.enable"] === true);
  if (pvSet && !versionAtLeast(s.protocol, "3.7")) {
    issues.push({ path: ["broker", "transaction.partition.verification.enable"], message: `transaction.partition.verification.enable is a Kafka 3.6+ key (KIP-890 part 1); protocol ${s.protocol} does not have it; allowed: false, or protocol 3.7 and later` });
  }
  return issues;
}

/** processing.output (consume-transform-produce): the output topic exists and is not an input; a transactional
 *  output commits the batch's offsets in its transaction, so it needs commit: after-processing, commitEvery: batch,
 *  and a profile with transactions (0.11+). */
function checkOutput(s: Scenario, c: ConsumerSpec, i: number, unknown: string | null): RawIssue[] {
  const out = c.processing.output;
  if (out === undefined) return [];
  const path: IssuePath = ["consumers", i, "processing", "output"];
  const issues: RawIssue[] = [];
  if (unknown !== null) issues.push({ path: [...path, "topic"], message: unknown });
  else if (c.topics.includes(out.topic)) issues.push({ path: [...path, "topic"], message: `output topic "${out.topic}" is also an input of group "${c.group}"; write to another topic` });
  if (c.handler?.eachBatch !== undefined) issues.push({ path, message: "output works with the processing model or eachMessage, not eachBatch" });
  if (!out.transactional) return issues;
  if (s.protocol === "0.10") issues.push({ path: [...path, "transactional"], message: `transactions need Kafka 0.11 or later; this scenario runs protocol ${s.protocol}` });
  if (c.processing.commit !== "after-processing" || c.processing.commitEvery !== "batch") {
    issues.push({ path: [...path, "transactional"], message: `a transactional output commits each poll batch's offsets in its transaction (sendOffsetsToTransaction): set processing.commit: after-processing and processing.commitEvery: batch (got commit: ${c.processing.commit}, commitEvery: ${c.processing.commitEvery})` });
  }
  if (c.config["enable.auto.commit"]) {
    issues.push({ path: ["consumers", i, "config", "enable.auto.commit"], message: "a transactional output commits offsets in its transactions; set enable.auto.commit: false in the group's config (auto-commit would commit positions outside them; its default is true)" });
  }
  return issues;
}
