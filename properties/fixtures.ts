// Hand-built histories and final states, for the checkers' and the oracle's tests (and users' own).
import type { FinalPartition, FinalReplica, HistoryOp, HistoryOpInput, PolledRecord } from "../sim/history.ts";
import { countSendsAcked } from "../sim/history.ts";
import type { RunResult } from "../sim/result.ts";
import { HOT_EVENT_TYPES } from "../sim/events.ts";
import type { TraceEvent } from "../sim/events.ts";
import type { Recorded } from "../sim/core/trace.ts";
import type { TimeUs } from "../sim/core/time.ts";
import type { NodeId } from "../sim/core/ids.ts";
import type { FiredFault } from "../sim/faults/types.ts";
import type { Scenario } from "../sim/scenario/types.ts";
import type { ScenarioInput } from "../sim/scenario/defaults.ts";
import { buildScenario } from "../sim/scenario/defaults.ts";

export class HistoryBuilder {
  readonly ops: HistoryOp[] = [];
  timeUs = 0;

  add(op: HistoryOpInput): this {
    this.timeUs = Math.max(this.timeUs, op.timeUs);
    this.ops.push({ ...op, index: this.ops.length } as HistoryOp);
    return this;
  }
  private t(): number {
    return (this.timeUs += 1000);
  }
  sendInvoke(process: string, topic: string, value: number, partition?: number): this {
    return this.add({ f: "send", type: "invoke", process, timeUs: this.t(), value: { topic, key: null, value, ...(partition !== undefined ? { partition } : {}) } });
  }
  sendOutcome(process: string, topic: string, value: number, type: "ok" | "fail" | "info", partition?: number, offset?: number): this {
    return this.add({ f: "send", type, process, timeUs: this.t(), value: { topic, key: null, value, ...(partition !== undefined ? { partition } : {}), ...(offset !== undefined ? { offset } : {}) } });
  }
  /** invoke + ok at once (acknowledged by `broker` when given). */
  send(process: string, topic: string, partition: number, value: number, offset: number, broker?: number): this {
    this.sendInvoke(process, topic, value, partition);
    if (broker === undefined) return this.sendOutcome(process, topic, value, "ok", partition, offset);
    return this.add({ f: "send", type: "ok", process, timeUs: (this.timeUs += 1000), value: { topic, key: null, value, partition, offset, broker } });
  }
  poll(process: string, group: string, records: readonly [topic: string, partition: number, offset: number, value: number][]): this {
    const recs: PolledRecord[] = records.map(([topic, partition, offset, value]) => ({ topic, partition, offset, value, key: null }));
    return this.add({ f: "poll", type: "ok", process, timeUs: this.t(), value: { group, records: recs } });
  }
  commit(process: string, group: string, offsets: readonly [topic: string, partition: number, offset: number][], type: "ok" | "info" | "fail" = "ok"): this {
    return this.add({ f: "commit", type, process, timeUs: this.t(), value: { group, generation: 1, mode: "sync", offsets: offsets.map(([topic, partition, offset]) => ({ topic, partition, offset })) } });
  }
  process(proc: string, group: string, topic: string, partition: number, offset: number, value: number): this {
    return this.add({ f: "process", type: "ok", process: proc, timeUs: this.t(), value: { group, topic, partition, offset, value, result: "ok" } });
  }
  assign(process: string, group: string, generation: number, partitions: readonly [topic: string, partition: number][]): this {
    return this.add({ f: "assign", type: "ok", process, timeUs: this.t(), value: { group, generation, partitions: partitions.map(([topic, partition]) => ({ topic, partition })) } });
  }
  reset(process: string, group: string, topic: string, partition: number, offset: number, strategy: "earliest" | "latest" = "earliest", reason: "no-committed-offset" | "out-of-range" = "no-committed-offset"): this {
    return this.add({ f: "reset", type: "ok", process, timeUs: this.t(), value: { group, topic, partition, offset, reason, strategy } });
  }
  crash(process: string): this {
    return this.add({ f: "crash", type: "info", process, timeUs: this.t(), value: null });
  }
  /** Move the clock to `atMs` (later ops follow it). */
  at(atMs: number): this {
    this.timeUs = atMs * 1000;
    return this;
  }
}

export interface ReplicaInput {
  readonly broker: number;
  readonly values: readonly number[];
  readonly epochs?: readonly number[];
  readonly hw?: number;
  readonly start?: number;
  readonly alive?: boolean;
}

export function replica(r: ReplicaInput): FinalReplica {
  const start = r.start ?? 0;
  return {
    broker: r.broker,
    alive: r.alive ?? true,
    logStartOffset: start,
    logEndOffset: start + r.values.length,
    highWatermark: r.hw ?? start + r.values.length,
    values: r.values,
    epochs: r.epochs ?? r.values.map(() => 0),
  };
}

export function partition(topic: string, p: number, leader: number | null, isr: readonly number[], replicas: readonly ReplicaInput[], leaderEpoch = 0): FinalPartition {
  return { topic, partition: p, leader, leaderEpoch, isr, replicas: replicas.map(replica) };
}

/** Three identical replicas of one log. */
export function healthy(topic: string, p: number, values: readonly number[]): FinalPartition {
  return partition(topic, p, 1, [1, 2, 3], [1, 2, 3].map((broker) => ({ broker, values })));
}

export interface FakeRunInput {
  readonly scenario?: Scenario | ScenarioInput;
  readonly history?: readonly HistoryOp[];
  readonly partitions?: readonly FinalPartition[];
  readonly committedOffsets?: RunResult["final"]["committedOffsets"];
  readonly faults?: readonly FiredFault[];
  readonly trace?: RunResult["trace"];
  /** Default: the trace's evidence events. */
  readonly evidence?: RunResult["evidence"];
}

export function fakeRun(input: FakeRunInput): RunResult {
  const sc = input.scenario && "broker" in input.scenario && input.scenario.broker && "replica.lag.time.max.ms" in input.scenario.broker ? (input.scenario as Scenario) : buildScenario((input.scenario ?? {}) as ScenarioInput);
  return {
    seed: sc.seed,
    scenario: sc,
    protocol: sc.protocol,
    traceHash: "0",
    end: { reason: "completed" },
    virtualMs: 10_000,
    workloadEndMs: 5_000,
    events: 0,
    history: input.history ?? [],
    sendsAcked: countSendsAcked(input.history ?? []),
    final: { partitions: input.partitions ?? [], committedOffsets: input.committedOffsets ?? [] },
    faults: input.faults ?? [],
    trace: input.trace ?? [],
    evidence: (input.evidence ?? input.trace ?? []).filter((e) => !HOT_EVENT_TYPES.has(e.type)),
    diskBytes: 0,
    network: { sent: 0, delivered: 0, dropped: 0 },
  };
}

/** Hand-built evidence (RunResult.evidence) for the oracle's tests: times in ms, events in the order added. */
export class EvidenceBuilder {
  readonly events: Recorded<TraceEvent>[] = [];

  add(atMs: number, ev: TraceEvent): this {
    this.events.push({ ...ev, timeUs: (atMs * 1000) as TimeUs });
    return this;
  }
  /** The controller elects `leader` (leader-elected) and it becomes leader with `leo` (become-leader). */
  elect(atMs: number, tp: string, leader: number, epoch: number, isr: readonly number[], leo: number, unclean = false, view?: { isrBefore: readonly number[]; live: readonly number[] }): this {
    return this.add(atMs, { type: "leader-elected", tp, leader, leaderEpoch: epoch, isr, unclean, ...(view ?? {}) }).add(atMs, { type: "become-leader", tp, broker: leader, leaderEpoch: epoch, logEndOffset: leo });
  }
  shrink(atMs: number, tp: string, leader: number, isr: readonly number[], removed: readonly number[]): this {
    return this.add(atMs, { type: "isr-shrink", tp, leader, isr, removed, by: "leader" });
  }
  powerLoss(atMs: number, broker: number, lostRecords: number, recovered?: Readonly<Record<string, number>>): this {
    this.add(atMs, { type: "node-power-loss", node: `broker-${broker}` as NodeId, lostRecords });
    return recovered ? this.add(atMs + 1, { type: "broker-recovered", broker, logEndOffsets: recovered }) : this;
  }
  truncate(atMs: number, tp: string, broker: number, fromOffset: number, toOffset: number, reason: string): this {
    return this.add(atMs, { type: "truncate", tp, broker, fromOffset, toOffset, reason });
  }
  /** A producer retry (the shape sim/client/events.ts emits). */
  retry(atMs: number, producer: string, tp: string, values: readonly number[], error = "REQUEST_TIMED_OUT"): this {
    return this.add(atMs, { type: "produce-retry", producer, tp, error, attempt: 1, values } as unknown as TraceEvent);
  }
  disconnect(atMs: number, producer: string, broker: number): this {
    return this.add(atMs, { type: "producer-disconnect", producer, broker, reason: "request-timeout" } as unknown as TraceEvent);
  }
  rebalance(atMs: number, group: string, generation: number, members: readonly string[]): this {
    return this.add(atMs, { type: "rebalance", group, generation, members });
  }
}

/** A transactional producer (10 records a transaction, 30 % aborted) on 2 partitions and a read_committed group,
 *  3 s of workload on 3.7: the transaction checkers' common run. */
export const TXN_READ_COMMITTED_INPUT: ScenarioInput = {
  seed: 1,
  protocol: "3.7",
  durationMs: 3000,
  drainMs: 6000,
  broker: { "group.initial.rebalance.delay.ms": 0, "offsets.topic.num.partitions": 1, "transaction.state.log.num.partitions": 1, "group.min.session.timeout.ms": 1000 },
  topics: [{ name: "orders", partitions: 2 }],
  producers: [{ id: "p1", topic: "orders", ratePerSec: 200, transaction: { records: 10, abortProb: 0.3 }, config: { "transactional.id": "tx-1" } }],
  consumers: [{ group: "committed", topics: ["orders"], config: { "isolation.level": "read_committed", "auto.offset.reset": "earliest" } }],
};
