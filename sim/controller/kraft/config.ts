// KRaft settings: the controller quorum's keys (raft/.../QuorumConfig.java) and the controller's own
// (KRaftConfigs, QuorumController.Builder), with Kafka's defaults. Kafka's millisecond keys at the edge; the
// Raft node and the controller work in microseconds of virtual time.
import { SimInputError } from "../../core/errors.ts";

export interface QuorumConfig {
  /** controller.quorum.election.timeout.ms: a voter without a leader starts an election after a random
   *  timeout in [T, 2T) (QuorumState.randomElectionTimeoutMs). */
  readonly electionTimeoutMs: number;
  /** controller.quorum.fetch.timeout.ms: a follower that has not fetched successfully for this long starts an
   *  election; a leader resigns when a majority has not fetched within 1.5 × this (check-quorum). */
  readonly fetchTimeoutMs: number;
  /** controller.quorum.election.backoff.max.ms: the cap of the exponential backoff after a lost election. */
  readonly electionBackoffMaxMs: number;
  /** controller.quorum.append.linger.ms: how long the leader lets appends accumulate into one batch. */
  readonly appendLingerMs: number;
  /** controller.quorum.request.timeout.ms */
  readonly requestTimeoutMs: number;
  /** controller.quorum.retry.backoff.ms: the wait before re-sending to a node after a failed request. */
  readonly retryBackoffMs: number;
  /** How long the leader parks a Fetch with nothing new (KafkaRaftClient.MAX_FETCH_WAIT_MS, not a config). */
  readonly fetchMaxWaitMs: number;
  /** KIP-996 pre-vote (Kafka 4.0+): a voter asks for pre-votes before bumping the epoch. */
  readonly preVote: boolean;
  /** KIP-1166 (Kafka 4.1+, Fetch v18): a Fetch carries the fetcher's high watermark; the leader answers at once
   *  when it knows a higher one, and completes parked fetches when its HW moves. Before, a caught-up fetcher learns
   *  a new HW only with the next records or after the 500 ms park (KAFKA-14145). */
  readonly fetchHighWatermark: boolean;
}

export interface ControllerConfig {
  /** broker.session.timeout.ms: a broker without a heartbeat for this long is fenced. */
  readonly brokerSessionTimeoutMs: number;
  /** broker.heartbeat.interval.ms (the brokers' side; kept here so both sides read one table). */
  readonly brokerHeartbeatIntervalMs: number;
  /** metadata.max.idle.interval.ms: the active controller writes a NoOpRecord this often. */
  readonly metadataMaxIdleIntervalMs: number;
  /** The periodic unclean-election check (QuorumController uncleanLeaderElectionCheckIntervalMs: 5 min). */
  readonly uncleanLeaderElectionCheckIntervalMs: number;
  /** eligible.leader.replicas.version written by the first active controller of a new cluster (0 or 1). */
  readonly eligibleLeaderReplicasVersion: 0 | 1;
  /** Cluster defaults of the topic configs (ConfigRecords override them per topic). */
  readonly minInsyncReplicas: number;
  readonly uncleanLeaderElectionEnable: boolean;
}

interface KeyDef {
  readonly key: string;
  readonly field: string;
  readonly default: number | boolean;
  readonly min?: number;
  readonly kind: "int" | "bool" | "elr";
}

const QUORUM_KEYS: readonly KeyDef[] = [
  { key: "controller.quorum.election.timeout.ms", field: "electionTimeoutMs", default: 1000, min: 1, kind: "int" },
  { key: "controller.quorum.fetch.timeout.ms", field: "fetchTimeoutMs", default: 2000, min: 1, kind: "int" },
  { key: "controller.quorum.election.backoff.max.ms", field: "electionBackoffMaxMs", default: 1000, min: 0, kind: "int" },
  { key: "controller.quorum.append.linger.ms", field: "appendLingerMs", default: 25, min: 0, kind: "int" },
  { key: "controller.quorum.request.timeout.ms", field: "requestTimeoutMs", default: 2000, min: 1, kind: "int" },
  { key: "controller.quorum.retry.backoff.ms", field: "retryBackoffMs", default: 20, min: 0, kind: "int" },
];

const CONTROLLER_KEYS: readonly KeyDef[] = [
  { key: "broker.session.timeout.ms", field: "brokerSessionTimeoutMs", default: 9000, min: 1, kind: "int" },
  { key: "broker.heartbeat.interval.ms", field: "brokerHeartbeatIntervalMs", default: 2000, min: 1, kind: "int" },
  { key: "metadata.max.idle.interval.ms", field: "metadataMaxIdleIntervalMs", default: 500, min: 1, kind: "int" },
  { key: "unclean.leader.election.interval.ms", field: "uncleanLeaderElectionCheckIntervalMs", default: 300_000, min: 1, kind: "int" },
  { key: "eligible.leader.replicas.version", field: "eligibleLeaderReplicasVersion", default: 0, kind: "elr" },
  { key: "min.insync.replicas", field: "minInsyncReplicas", default: 1, min: 1, kind: "int" },
  { key: "unclean.leader.election.enable", field: "uncleanLeaderElectionEnable", default: false, kind: "bool" },
];

/** Kafka's defaults; pre-vote is on from 4.0 (KIP-996), so it is the caller's choice. */
export function defaultQuorumConfig(preVote: boolean, fetchHighWatermark = false): QuorumConfig {
  return quorumConfig({}, { preVote, fetchHighWatermark });
}

export function defaultControllerConfig(): ControllerConfig {
  return controllerConfig({});
}

/** The quorum's settings from Kafka keys; unknown keys and bad values are SimInputErrors naming the key. */
export function quorumConfig(keys: Readonly<Record<string, unknown>>, opts: { readonly preVote: boolean; readonly fetchHighWatermark?: boolean; readonly path?: string }): QuorumConfig {
  const out = readKeys(QUORUM_KEYS, keys, opts.path ?? "");
  return { ...out, fetchMaxWaitMs: 500, preVote: opts.preVote, fetchHighWatermark: opts.fetchHighWatermark ?? false } as unknown as QuorumConfig;
}

export function controllerConfig(keys: Readonly<Record<string, unknown>>, path = ""): ControllerConfig {
  const out = readKeys(CONTROLLER_KEYS, keys, path);
  const cfg = out as unknown as ControllerConfig;
  if (cfg.brokerHeartbeatIntervalMs >= cfg.brokerSessionTimeoutMs) {
    const where = at(path, "broker.heartbeat.interval.ms");
    throw new SimInputError("INVALID_CONFIG", `${where}: ${cfg.brokerHeartbeatIntervalMs} must be below broker.session.timeout.ms (${cfg.brokerSessionTimeoutMs})`, where);
  }
  return cfg;
}

/** A key's place for messages: "path.key", or the key alone at the top. */
const at = (path: string, key: string): string => (path === "" ? key : `${path}.${key}`);

function readKeys(defs: readonly KeyDef[], keys: Readonly<Record<string, unknown>>, path: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const d of defs) out[d.field] = d.default;
  for (const [k, v] of Object.entries(keys)) {
    const d = defs.find((x) => x.key === k);
    if (d === undefined) {
      const near = nearest(k, defs.map((x) => x.key));
      const hint = near === undefined ? "" : `; did you mean "${near}"?`;
      throw new SimInputError("INVALID_CONFIG", `${at(path, k)}: unknown key${hint} Allowed: ${defs.map((x) => x.key).join(", ")}`, at(path, k));
    }
    out[d.field] = readValue(d, v, at(path, k));
  }
  return out;
}

function readValue(d: KeyDef, v: unknown, where: string): number | boolean {
  switch (d.kind) {
    case "bool":
      if (typeof v !== "boolean") throw new SimInputError("INVALID_CONFIG", `${where}: expected true or false, got ${JSON.stringify(v)}`, where);
      return v;
    case "elr":
      if (v !== 0 && v !== 1) throw new SimInputError("INVALID_CONFIG", `${where}: allowed values are 0 and 1, got ${JSON.stringify(v)}`, where);
      return v;
    case "int": {
      const min = d.min ?? 0;
      if (typeof v !== "number" || !Number.isSafeInteger(v) || v < min) {
        throw new SimInputError("INVALID_CONFIG", `${where}: expected an integer ≥ ${min}, got ${JSON.stringify(v)}`, where);
      }
      return v;
    }
  }
}

/** The allowed key closest to `k`, when close enough to be a typo. The same rule as didYouMean in
 *  sim/scenario/schema.ts (not imported: the scenario room is being restructured; unify at integration). */
function nearest(k: string, allowed: readonly string[]): string | undefined {
  const norm = (s: string): string => s.toLowerCase().replace(/[._\-\s]/g, "");
  const w = norm(k);
  let best: string | undefined;
  let bestD = Infinity;
  for (const a of allowed) {
    const d = editDistance(w, norm(a));
    if (d < bestD) {
      bestD = d;
      best = a;
    }
  }
  return best !== undefined && bestD <= Math.max(2, Math.floor(w.length / 3)) ? best : undefined;
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min((prev[j] as number) + 1, (cur[j - 1] as number) + 1, (prev[j - 1] as number) + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length] as number;
}
