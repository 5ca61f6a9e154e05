// Replica assignment as Kafka's admin does it when a topic is created without an explicit assignment
// (AdminUtils.assignReplicasToBrokers → assignReplicasToBrokersRackUnaware, core/.../admin/AdminUtils.scala):
// the first replica of partition p goes to broker (p + startIndex) mod n; followers are shifted by
// nextReplicaShift, which grows by one every n partitions so follower sets differ between rounds. Kafka draws
// startIndex and the initial shift at random; here they come from a seeded Rng (one draw each per topic). A topic
// with a pinned replicaAssignment keeps it, as kafka-topics --replica-assignment does.
import type { Rng } from "../core/rng.ts";
import { SimInputError } from "../core/errors.ts";
import { tpKey } from "../core/ids.ts";
import type { TopicSpec } from "../scenario/types.ts";

/** Kafka's replicaIndex: the broker index of the (j+2)-th replica. */
function replicaIndex(firstReplicaIndex: number, secondReplicaShift: number, j: number, nBrokers: number): number {
  const shift = 1 + ((secondReplicaShift + j) % (nBrokers - 1));
  return (firstReplicaIndex + shift) % nBrokers;
}

/** Replica lists per partition (index = partition id), exactly as assignReplicasToBrokersRackUnaware with the
 *  given startIndex and initial nextReplicaShift (Kafka passes fixedStartIndex for both when it is set). */
export function assignReplicasToBrokers(
  nPartitions: number,
  replicationFactor: number,
  brokers: readonly number[],
  startIndex: number,
  initialShift: number,
): number[][] {
  if (!Number.isInteger(nPartitions) || nPartitions <= 0) {
    throw new SimInputError("INVALID_SCENARIO", `number of partitions must be an integer larger than 0, got ${nPartitions}`);
  }
  if (!Number.isInteger(replicationFactor) || replicationFactor <= 0) {
    throw new SimInputError("INVALID_SCENARIO", `replication factor must be an integer larger than 0, got ${replicationFactor}`);
  }
  if (replicationFactor > brokers.length) {
    // Kafka: InvalidReplicationFactorException.
    throw new SimInputError("INVALID_SCENARIO", `replication factor: ${replicationFactor} larger than available brokers: ${brokers.length}`);
  }
  const n = brokers.length;
  const out: number[][] = [];
  let nextReplicaShift = initialShift;
  for (let p = 0; p < nPartitions; p++) {
    if (p > 0 && p % n === 0) nextReplicaShift += 1;
    const first = (p + startIndex) % n;
    const replicas = [brokers[first] as number];
    for (let j = 0; j < replicationFactor - 1; j++) replicas.push(brokers[replicaIndex(first, nextReplicaShift, j, n)] as number);
    out.push(replicas);
  }
  return out;
}

export interface AssignOptions {
  /** Broker ids in Kafka's order (ascending, as the admin client lists them). */
  readonly brokers: readonly number[];
  readonly topics: readonly TopicSpec[];
  /** Seeded stream for the start index and shift of each topic (Kafka: a random draw per topic). */
  readonly rng: Rng;
}

/** The replica assignment of every topic, keyed by tpKey ("orders-0"), in topic then partition order. */
export function assignReplicas(opts: AssignOptions): Map<string, number[]> {
  const out = new Map<string, number[]>();
  const n = opts.brokers.length;
  if (n === 0) throw new SimInputError("INVALID_SCENARIO", "at least one broker is needed to assign replicas");
  for (const t of opts.topics) {
    // Drawn for every topic, pinned or not, so pinning one topic leaves the others' assignments as they were.
    const startIndex = opts.rng.int(0, n - 1);
    const shift = opts.rng.int(0, n - 1);
    if (t.replicaAssignment !== undefined) {
      // kafka-topics --replica-assignment: the lists as given, the first replica the preferred leader.
      t.replicaAssignment.forEach((replicas, p) => out.set(tpKey(t.name, p), [...replicas]));
      continue;
    }
    let lists: number[][];
    try {
      lists = assignReplicasToBrokers(t.partitions, t["replication.factor"], opts.brokers, startIndex, shift);
    } catch (e) {
      if (e instanceof SimInputError) throw new SimInputError(e.code, `topic ${t.name}: ${e.message}`, `topics.${t.name}`);
      throw e;
    }
    for (let p = 0; p < lists.length; p++) out.set(tpKey(t.name, p), lists[p] as number[]);
  }
  return out;
}
