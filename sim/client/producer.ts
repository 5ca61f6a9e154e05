// The producer: Kafka's KafkaProducer as one actor, built from its parts — the record accumulator (batching per
// partition, linger.ms, batch.size at 100 bytes a record: producer-accumulator.ts), the partitioner (murmur2 of the
// key or a sticky partition: partitioner*.ts), the producer's metadata (producer-metadata.ts), the sender (requests
// to the partition leaders with acks, retries, retry.backoff.ms, request.timeout.ms, delivery.timeout.ms and
// max.in.flight.requests.per.connection per broker connection: producer-sender.ts) and, with idempotence, the
// producer id, epoch and sequences (producer-idempotence.ts; KIP-360 epoch bumps). Without idempotence a retry
// after a lost response really duplicates and a retried batch can really land after a later one. This file holds
// the workload (records generated at the spec's rate), send() and what happens to a record that fails for good.
import { WorkloadPacer } from "./workload-pacer.ts";
import type { NodeContext, Actor } from "../core/node.ts";
import type { NodeId } from "../core/ids.ts";
import { invariant } from "../core/errors.ts";
import { DEFAULT_PROTOCOL, PROTOCOL_VERSIONS, acksNumber } from "../kafka/config.ts";
import type { ProducerConfig } from "../kafka/config.ts";
import type { KafkaErrorCode } from "../kafka/errors.ts";
import type { Message } from "../kafka/protocol.ts";
import type { TraceEvent } from "../events.ts";
import type { FailurePolicy, ProducerSpec } from "../scenario/types.ts";
import { effectiveProducerConfig } from "./producer-config.ts";
import type { ClientEnv } from "./env.ts";
import { recordRestart } from "./env.ts";
import { BYTES_PER_RECORD, RecordAccumulator } from "./producer-accumulator.ts";
import { ProducerMetadata } from "./producer-metadata.ts";
import { LeaderEpochs } from "./leader-epochs.ts";
import type { TopicMeta } from "./producer-metadata.ts";
import { IdempotenceState } from "./producer-idempotence.ts";
import { StickyPartitioner } from "./partitioner-sticky.ts";
import { BuiltInPartitioner } from "./partitioner-builtin.ts";
import { partitionForKey } from "./partitioner.ts";
import type { StickyStrategy } from "./partitioner.ts";
import { Sender, WAKE } from "./producer-sender.ts";
import type { InFlight, RecordListener, SenderHost } from "./producer-sender.ts";

export { BYTES_PER_RECORD } from "./producer-accumulator.ts";

type Ctx = NodeContext<Message, TraceEvent>;

/** Builds a producer's actor other than the workload's (ProducerSpec.actor: the kafkajs API). */
export type ProducerActorFactory = (spec: ProducerSpec, env: ClientEnv) => Actor<Message, TraceEvent>;

const TICK = { t: "produce-tick" } as const;

export class Producer implements Actor<Message, TraceEvent>, SenderHost {
  readonly cfg: ProducerConfig;
  readonly idempotent: boolean;
  readonly name: string;
  readonly acks: -1 | 0 | 1;
  private readonly dltTopic: string;
  /** Topics its metadata requests ask for (the kafkajs API adds each topic it is asked to send to). */
  readonly metadataTopics: string[];
  readonly accumulator: RecordAccumulator;
  readonly metadata: ProducerMetadata;
  readonly idempotence = new IdempotenceState();
  readonly partitioner: StickyStrategy;
  protected readonly sender: Sender;
  /** Told of each record's outcome (the kafkajs API's send() promises); null for the workload's records. */
  recordListener: RecordListener | null = null;
  /** RoundRobinPartitioner's counter (`partitioner: round-robin`). */
  private roundRobin = 0;

  private sent = 0;
  private halted = false;
  private ticking = false;
  private readonly pacer = new WorkloadPacer();

  constructor(
    private readonly spec: ProducerSpec,
    readonly env: ClientEnv,
  ) {
    const eff = effectiveProducerConfig(spec);
    this.cfg = eff.config;
    this.idempotent = eff.idempotent;
    this.name = spec.id;
    this.acks = acksNumber(this.cfg.acks);
    this.dltTopic = spec.deadLetterTopic ?? `${spec.topic}.dlt`;
    this.metadataTopics = spec.onFailure === "dead-letter" ? [spec.topic, this.dltTopic] : [spec.topic];
    this.accumulator = new RecordAccumulator(Math.max(1, Math.floor(this.cfg["batch.size"] / BYTES_PER_RECORD)));
    this.metadata = new ProducerMetadata(this.cfg["retry.backoff.ms"] * 1000, LeaderEpochs.forProtocol(env.protocol));
    // Records without a key: Kafka ≥ 3.3's BuiltInPartitioner (KIP-794) on the 3.7 profile, KIP-480 before it.
    if (PROTOCOL_VERSIONS.indexOf(env.protocol ?? DEFAULT_PROTOCOL) >= PROTOCOL_VERSIONS.indexOf("3.7")) {
      const builtIn = { stickyBatchBytes: Math.max(1, this.cfg["batch.size"]), adaptive: this.cfg["partitioner.adaptive.partitioning.enable"], availabilityTimeoutUs: this.cfg["partitioner.availability.timeout.ms"] * 1000 };
      this.partitioner = new BuiltInPartitioner(builtIn, this.accumulator, this.metadata);
    } else this.partitioner = new StickyPartitioner(this.metadata, this.accumulator.recordsPerBatch);
    this.sender = new Sender(this);
  }

  // ---------------------------------------------------------------- lifecycle

  onStart(ctx: Ctx): void {
    recordRestart(ctx, this.env, this.name);
    this.sent = ctx.disk.readBlob<number>("producer/sent") ?? 0;
    this.halted = ctx.disk.readBlob<boolean>("producer/halted") ?? false;
    const startUs = (this.spec.startMs ?? 0) * 1000;
    this.ticking = true;
    ctx.setTimer(Math.max(0, startUs - ctx.nowUs), TICK);
    this.sender.run(ctx);
  }

  onTimer(ctx: Ctx, tag: unknown): void {
    if (tag === TICK) return this.tick(ctx);
    if (tag === WAKE) return this.sender.onWake(ctx);
    if (typeof tag === "object" && tag !== null && "kind" in tag) this.sender.onRequestTimeout(ctx, tag as InFlight);
  }

  onDisconnect(ctx: Ctx, peer: NodeId): void {
    // NetworkClient: a disconnect requests a metadata update (DefaultMetadataUpdater.handleServerDisconnect);
    // for acks=0 it is the only sign that the leader moved.
    this.metadata.stale = true;
    this.sender.emitDisconnect(ctx, peer, "disconnected");
    this.sender.failConnection(ctx, peer, "NETWORK_EXCEPTION");
    this.sender.run(ctx);
  }

  onMessage(ctx: Ctx, _from: NodeId, msg: Message): void {
    switch (msg.type) {
      case "produce-response":
        return this.sender.onProduceResponse(ctx, msg);
      case "metadata-response": {
        if (this.sender.take(ctx, msg.corr) === undefined) return;
        this.metadata.update(ctx.nowUs, msg);
        // Records waiting for their topic's metadata go to the accumulator now, in order; the others stay, compacted
        // in place (one pass: a KRaft cluster's first ~1.5 s can leave tens of thousands waiting).
        const waiting = this.metadata.waiting;
        let kept = 0;
        for (let i = 0; i < waiting.length; i++) {
          const r = waiting[i] as (typeof waiting)[number];
          const m = this.metadata.topics.get(r.topic);
          if (m === undefined) {
            waiting[kept++] = r;
            continue;
          }
          this.append(ctx, r.topic, m, r.value, r.key, r.partition, r.createdUs, r.deadLetter);
        }
        waiting.length = kept;
        return this.sender.run(ctx);
      }
      case "group.init-producer-id-response": {
        if (this.sender.take(ctx, msg.corr) === undefined) return;
        const idem = this.idempotence;
        idem.pidRequested = false;
        if (msg.error === "NONE") {
          idem.producerId = msg.producerId;
          idem.epoch = msg.producerEpoch;
        } else idem.pidRetryAtUs = ctx.nowUs + this.cfg["retry.backoff.ms"] * 1000;
        return this.sender.run(ctx);
      }
      default:
        return;
    }
  }

  // ---------------------------------------------------------------- workload

  /** Records are generated evenly (workload-pacer.ts). */
  private tick(ctx: Ctx): void {
    const rate = this.spec.ratePerSec;
    if (this.stopSending()) {
      this.ticking = false;
      return;
    }
    let n = this.pacer.tick(ctx, rate, TICK);
    const before = this.sent;
    while (n-- > 0 && !this.stopSending()) this.produceOne(ctx);
    if (this.sent !== before) ctx.disk.writeBlob("producer/sent", this.sent);
    this.sender.run(ctx);
  }

  private stopSending(): boolean {
    const limit = this.spec.messages;
    return !this.env.workloadActive() || this.halted || this.spec.ratePerSec <= 0 || (limit !== undefined && this.sent >= limit);
  }

  private produceOne(ctx: Ctx): void {
    let key: number | null = this.spec.keys > 0 ? ctx.rng.int(0, this.spec.keys - 1) : null;
    let partition: number | null = null;
    if (this.spec.logic) {
      const d = this.spec.logic({ nowMs: ctx.nowUs / 1000, sent: this.sent, random: () => ctx.rng.next() });
      if (d === null) return;
      if (d.key !== undefined) key = d.key;
      if (d.partition !== undefined) partition = d.partition;
    }
    this.sent++;
    const value = this.env.nextValue();
    this.send(ctx, this.spec.topic, value, key, partition, false);
  }

  /** KafkaProducer.send: record the invoke and hand the record to the accumulator. */
  protected send(ctx: Ctx, topic: string, value: number, key: number | null, partition: number | null, deadLetter: boolean): void {
    this.env.history.recordSendInvoke(ctx.nowUs, this.name, topic, key, value, partition);
    const m = this.metadata.topics.get(topic);
    if (m === undefined) {
      this.metadata.waiting.push({ topic, value, key, partition, createdUs: ctx.nowUs, deadLetter });
      this.metadata.stale = true;
      return;
    }
    this.append(ctx, topic, m, value, key, partition, ctx.nowUs, deadLetter);
  }

  /** KafkaProducer.partition, then RecordAccumulator.append: the record's own partition, else murmur2 of its key,
   *  else the round-robin or the sticky partitioner. */
  protected append(ctx: Ctx, topic: string, m: TopicMeta, value: number, key: number | null, forced: number | null, createdUs: number, deadLetter: boolean): void {
    let partition: number;
    let sticky = false;
    if (forced !== null && forced >= 0 && forced < m.partitions) partition = forced;
    else if (key !== null && this.cfg.partitioner === "default") partition = partitionForKey(key, m.partitions);
    else if (this.cfg.partitioner === "round-robin") partition = this.roundRobin++ % m.partitions;
    else {
      partition = this.partitioner.partition(ctx.rng, topic, m);
      sticky = true;
    }
    const batch = this.accumulator.append(topic, partition, value, key, createdUs, deadLetter, this.idempotence.epoch);
    this.partitioner.onAppend(ctx.rng, batch, key, sticky);
  }

  // ---------------------------------------------------------------- failures

  /** A record failed for good: record fail (certainly not written) or info (maybe written), apply the policy. */
  finalFailure(ctx: Ctx, topic: string, partition: number, value: number, key: number | null, error: KafkaErrorCode, maybeWritten: boolean, deadLetter: boolean): void {
    const policy: FailurePolicy = deadLetter ? "log" : this.spec.onFailure;
    const outcome = maybeWritten ? "info" : "fail";
    const v = partition >= 0 ? { topic, key, value, partition, error, policy } : { topic, key, value, error, policy };
    this.env.history.record({ timeUs: ctx.nowUs, process: this.name, type: outcome, f: "send", value: v });
    ctx.emit({ type: "send-failed", producer: this.name, topic, partition, value, error, policy, outcome });
    this.recordListener?.failed(value, error);
    switch (policy) {
      case "drop":
      case "log":
        return;
      case "halt":
        if (!this.halted) {
          this.halted = true;
          ctx.disk.writeBlob("producer/halted", true);
          ctx.emit({ type: "producer-halted", producer: this.name, reason: `${error} on ${topic}-${partition} value ${value}` });
        }
        return;
      case "dead-letter":
        this.send(ctx, this.dltTopic, value, key, null, true);
        return;
      default: {
        const never: never = policy;
        invariant(false, `unknown failure policy ${String(never)}`);
      }
    }
  }

  /** For tests and diagnostics. */
  get state(): { readonly producerId: number; readonly epoch: number; readonly halted: boolean; readonly idempotent: boolean; readonly ticking: boolean } {
    return { producerId: this.idempotence.producerId, epoch: this.idempotence.epoch, halted: this.halted, idempotent: this.idempotent, ticking: this.ticking };
  }
}
