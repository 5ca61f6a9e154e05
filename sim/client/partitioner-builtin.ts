// Kafka ≥ 3.3's partitioner for records without a key (kafka-facts 39; KIP-794: BuiltInPartitioner, with the parts of
// RecordAccumulator that feed it: append, partitionReady, updateNodeLatencyStats), for the 3.7 profile. A topic
// sticks to one partition until batch.size bytes (100 a record) went to it and its last batch is full — or twice
// batch.size went — and then draws the next one: uniformly among the partitions that have a leader, or, with
// partitioner.adaptive.partitioning.enable (the default), weighted against the length of each partition's queue,
// so a partition whose leader is slow or unreachable gets few records. With partitioner.availability.timeout.ms > 0
// a partition is left out while its leader has had data ready but could not take a request for that long.
import type { Rng } from "../core/rng.ts";
import { BYTES_PER_RECORD } from "./producer-accumulator.ts";
import type { Batch, RecordAccumulator, TopicQueues } from "./producer-accumulator.ts";
import type { ProducerMetadata, TopicMeta } from "./producer-metadata.ts";
import type { StickyStrategy } from "./partitioner.ts";

interface TopicState {
  readonly topic: string;
  /** The accumulator's queues of the topic, once it has any. */
  queues: TopicQueues | undefined;
  /** The sticky partition (StickyPartitionInfo.index); -1 before the first record. */
  partition: number;
  /** Bytes appended to it since it was chosen (StickyPartitionInfo.producedBytes). */
  producedBytes: number;
  /** PartitionLoadStats: a cumulative frequency table over partition ids [0, length); length 0 = no stats. */
  readonly cft: number[];
  readonly ids: number[];
  length: number;
}

/** RecordAccumulator.NodeLatencyStats: when the sender last had data ready for the node, and last could drain it. */
interface NodeLatency {
  readyUs: number;
  drainUs: number;
}

export interface BuiltInPartitionerConfig {
  /** batch.size (at least 1): bytes to a partition before switching. */
  readonly stickyBatchBytes: number;
  readonly adaptive: boolean;
  /** partitioner.availability.timeout.ms in µs; 0 = off. */
  readonly availabilityTimeoutUs: number;
}

export class BuiltInPartitioner implements StickyStrategy {
  private readonly topics = new Map<string, TopicState>();
  /** The same states, for the sender's pass over them (no iterator per pass). */
  private readonly states: TopicState[] = [];
  /** By broker id. */
  private readonly nodeStats: (NodeLatency | undefined)[] = [];
  private lastTopic = "";
  private lastState: TopicState | undefined;

  constructor(
    private readonly cfg: BuiltInPartitionerConfig,
    private readonly accumulator: RecordAccumulator,
    private readonly metadata: ProducerMetadata,
  ) {}

  private state(topic: string): TopicState {
    if (topic === this.lastTopic && this.lastState !== undefined) return this.lastState;
    let st = this.topics.get(topic);
    if (st === undefined) {
      st = { topic, queues: undefined, partition: -1, producedBytes: 0, cft: [], ids: [], length: 0 };
      this.topics.set(topic, st);
      this.states.push(st);
    }
    this.lastTopic = topic;
    this.lastState = st;
    return st;
  }

  /** BuiltInPartitioner.peekCurrentPartitionInfo, then RecordAccumulator.partitionChanged: a switch that an
   *  incomplete batch held back happens once the partition's batches are all full. */
  partition(rng: Rng, topic: string, m: TopicMeta): number {
    const st = this.state(topic);
    if (st.partition < 0 || st.partition >= m.partitions) this.switchPartition(rng, st, m);
    else if (st.producedBytes >= this.cfg.stickyBatchBytes && this.accumulator.allBatchesFull(this.accumulator.queues.get(this.accumulator.tpName(topic, st.partition)))) this.switchPartition(rng, st, m);
    return st.partition;
  }

  /** BuiltInPartitioner.updatePartitionInfo: count the bytes; switch after batch.size if the partition's batches
   *  are all full (a switch mid-batch would leave a small batch behind), after twice batch.size in any case. */
  onAppend(rng: Rng, batch: Batch, _key: number | null, sticky: boolean): void {
    if (!sticky) return;
    const st = this.state(batch.topic);
    st.producedBytes += BYTES_PER_RECORD;
    const size = this.cfg.stickyBatchBytes;
    if (st.producedBytes < size) return;
    if (st.producedBytes >= 2 * size || this.accumulator.allBatchesFull(this.accumulator.lastQueue)) {
      const m = this.metadata.topics.get(batch.topic);
      if (m !== undefined) this.switchPartition(rng, st, m);
    }
  }

  onDrain(): void {}

  /** BuiltInPartitioner.nextPartition. */
  private switchPartition(rng: Rng, st: TopicState, m: TopicMeta): void {
    st.producedBytes = 0;
    if (st.length > 0) {
      // Weighted: the first partition whose running sum exceeds a uniform draw below the total.
      const draw = rng.int(0, (st.cft[st.length - 1] as number) - 1);
      let lo = 0;
      let hi = st.length - 1;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if ((st.cft[mid] as number) > draw) hi = mid;
        else lo = mid + 1;
      }
      st.partition = st.ids[lo] as number;
      return;
    }
    // Uniform over the partitions with a leader (Cluster.availablePartitionsForTopic), else over all of them.
    let available = 0;
    for (let p = 0; p < m.partitions; p++) if (m.leaders[p] !== null) available++;
    if (available === 0) {
      st.partition = rng.int(0, m.partitions - 1);
      return;
    }
    let k = rng.int(0, available - 1);
    for (let p = 0; p < m.partitions; p++) {
      if (m.leaders[p] !== null && k-- === 0) {
        st.partition = p;
        return;
      }
    }
  }

  /** RecordAccumulator.partitionReady's queue sizes, then BuiltInPartitioner.updatePartitionLoadStats, for each
   *  topic this partitioner serves. */
  updateLoadStats(): void {
    if (!this.cfg.adaptive) return;
    const states = this.states;
    for (let si = 0; si < states.length; si++) {
      const st = states[si] as TopicState;
      st.length = 0;
      const tq = (st.queues ??= this.accumulator.byTopic.get(st.topic));
      const m = this.metadata.topics.get(st.topic);
      // No adaptive partitioning until every partition has had a batch (a queue): the stats are built from them.
      if (tq === undefined || m === undefined || tq.queues.length < m.partitions) continue;
      const n = tq.queues.length;
      const sizes = st.cft;
      const ids = st.ids;
      let idx = -1;
      for (let i = 0; i < n; i++) {
        const p = tq.partitions[i] as number;
        const leader = m.leaders[p] ?? null;
        if (leader === null) continue; // partitions without a leader are left out
        ids[++idx] = p;
        const size = (tq.queues[i] as Batch[]).length;
        sizes[idx] = size;
        if (size === 0 || this.cfg.availabilityTimeoutUs <= 0) continue;
        // A leader that has had data ready and could not take it for longer than the timeout: left out.
        const ns = this.nodeStats[leader];
        if (ns !== undefined && ns.readyUs - ns.drainUs > this.cfg.availabilityTimeoutUs) idx--;
      }
      const length = idx + 1;
      if (length < 1 || n < 2) continue;
      let maxPlus1 = sizes[0] as number;
      let allEqual = true;
      for (let i = 1; i < length; i++) {
        const s = sizes[i] as number;
        if (s !== maxPlus1) allEqual = false;
        if (s > maxPlus1) maxPlus1 = s;
      }
      maxPlus1++;
      // All queues alike and none left out: uniform.
      if (allEqual && length === n) continue;
      // Invert (a shorter queue weighs more) and fold into a running sum.
      sizes[0] = maxPlus1 - (sizes[0] as number);
      for (let i = 1; i < length; i++) sizes[i] = maxPlus1 - (sizes[i] as number) + (sizes[i - 1] as number);
      st.length = length;
    }
  }

  /** RecordAccumulator.updateNodeLatencyStats (only with partitioner.availability.timeout.ms > 0). */
  nodeReady(leader: number, nowUs: number, canDrain: boolean): void {
    if (this.cfg.availabilityTimeoutUs <= 0) return;
    let ns = this.nodeStats[leader];
    if (ns === undefined) this.nodeStats[leader] = ns = { readyUs: nowUs, drainUs: nowUs };
    if (canDrain) ns.drainUs = nowUs;
    ns.readyUs = nowUs;
  }

  /** For tests: the load stats of a topic (partition ids and their running sums), or null when uniform. */
  loadStats(topic: string): { readonly ids: readonly number[]; readonly cft: readonly number[] } | null {
    const st = this.topics.get(topic);
    if (st === undefined || st.length === 0) return null;
    return { ids: st.ids.slice(0, st.length), cft: st.cft.slice(0, st.length) };
  }
}
