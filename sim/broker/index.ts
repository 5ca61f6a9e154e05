// The broker package's surface for the world: the actor factory and the final state of every replica.
import { ATTR_CONTROL, ATTR_TRANSACTIONAL } from "../kafka/records.ts";
import type { ActorFactory } from "../core/node.ts";
import type { Runtime } from "../core/runtime.ts";
import { brokerNode, tpKey } from "../core/ids.ts";
import type { Message } from "../kafka/protocol.ts";
import type { TraceEvent } from "../events.ts";
import type { FinalPartition, FinalReplica } from "../history.ts";
import type { ClusterSpec } from "./spec.ts";
import { ControlPlane } from "./control/index.ts";
import { Broker } from "./broker.ts";
import type { ControlPlaneFactory, KeyInterner } from "./broker.ts";
import type { GroupCoordinatorFactory, GroupSnapshot } from "./group/host.ts";
import { HW_CHECKPOINT_BLOB } from "./replica/manager.ts";
import type { LogFile } from "../disk/disk.ts";
import { ReplicaLog } from "../final-log.ts";
import type { LogSource } from "../final-log.ts";

export { Broker } from "./broker.ts";
export type { BrokerDeps, ControlPlaneApi, KeyInterner } from "./broker.ts";
export { ReplicaManager } from "./replica/manager.ts";

export interface BrokerFactoryDeps {
  readonly groupCoordinator?: GroupCoordinatorFactory;
  readonly keys?: KeyInterner;
  /** The control plane (default: the ZooKeeper-era one; KRaft: sim/broker/kraft). */
  readonly controlPlane?: ControlPlaneFactory;
}

/** The actor factory of broker `id` (a fresh Broker from its disk at every boot). */
export function brokerFactory(id: number, spec: ClusterSpec, deps: BrokerFactoryDeps = {}): ActorFactory<Message, TraceEvent> {
  return () => {
    const full = { controlPlane: (b: number, hooks: ConstructorParameters<typeof ControlPlane>[2]) => new ControlPlane(b, spec, hooks), ...deps };
    return new Broker(id, spec, full);
  };
}

/** Every replica of every partition now: logs from each broker's disk (whatever survived), HW from the live actor or,
 *  for a broker that is down, its last HW checkpoint. Leader, epoch and ISR are those of the live, unfenced replica
 *  that believes it leads with the highest leader epoch (null when none does, or when another live replica has heard
 *  of a later epoch). Each log is copied compact
 *  (sim/final-log.ts): the leader's (else the longest) in full, the others sharing what they hold in common with it. */
export function finalPartitions(rt: Runtime<Message, TraceEvent>, spec: ClusterSpec): FinalPartition[] {
  const out: FinalPartition[] = [];
  for (const t of spec.topics) {
    for (let p = 0; p < t.partitions; p++) {
      const key = tpKey(t.name, p);
      const assigned = spec.assignment.get(key) ?? [];
      const found: { fields: ReplicaFields; log: LogFile | undefined }[] = [];
      let leader: number | null = null;
      let leaderEpoch = -1;
      let isr: readonly number[] = [];
      let knownEpoch = -1;
      for (const b of assigned) {
        const node = brokerNode(b);
        const disk = rt.disk(node);
        const actor = rt.actor(node);
        const alive = actor instanceof Broker && rt.status(node) === "up";
        const part = alive ? actor.replicas.partitions.get(key) : undefined;
        const log = disk.hasLog(key) ? disk.log(key) : undefined;
        const len = log?.length ?? 0;
        const start = log?.startOffset ?? 0;
        const checkpoint = disk.readBlob<Readonly<Record<string, number>>>(HW_CHECKPOINT_BLOB)?.[key] ?? 0;
        const hw = Math.min(part !== undefined ? part.hw : checkpoint, start + len);
        found.push({ fields: { broker: b, alive, logStartOffset: start, logEndOffset: start + len, highWatermark: hw }, log });
        if (part !== undefined && part.leaderEpoch > knownEpoch) knownEpoch = part.leaderEpoch;
        if (part !== undefined && part.isLeader && !part.fenced && part.leaderEpoch > leaderEpoch) {
          leader = b;
          leaderEpoch = part.leaderEpoch;
          isr = [...part.isr];
        }
      }
      // A leader that missed a later epoch another replica heard of is a zombie, not the partition's leader: the run
      // ended before the controller's next leader took over (fuzz seed 97002: a deposed leader's short log was taken
      // for the partition's).
      if (leaderEpoch < knownEpoch) {
        leader = null;
        leaderEpoch = -1;
        isr = [];
      }
      // The log the others share with: the leader's, else the longest.
      let base = found.findIndex((f) => f.fields.broker === leader);
      if (base < 0) for (let i = 0; i < found.length; i++) if (base < 0 || (found[i]?.log?.length ?? 0) > (found[base]?.log?.length ?? 0)) base = i;
      const baseLog = base < 0 ? null : ReplicaLog.of(sourceOf(found[base]?.log));
      const replicas = found.map((f, i) => withTxnColumns(finalReplica(f.fields, i === base ? (baseLog as ReplicaLog) : ReplicaLog.of(sourceOf(f.log), baseLog)), f.log));
      out.push({ topic: t.name, partition: p, leader, leaderEpoch, isr, replicas });
    }
  }
  return out;
}

type ReplicaFields = Omit<FinalReplica, "values" | "epochs" | "keys" | "log" | "producerIds" | "attributes">;

const NO_LOG: LogSource = { start: 0, length: 0, values: [], epochs: [], keys: [] };

function sourceOf(log: LogFile | undefined): LogSource {
  return log === undefined ? NO_LOG : { start: log.startOffset, length: log.length, values: log.value, epochs: log.epoch, keys: log.key };
}

/** A FinalReplica over a compact log: `log` non-enumerable; `values`, `epochs` and `keys` plain arrays built from it
 *  on first read (a caller that never reads them — the checkers, a benchmark — never pays for millions of array
 *  elements). JSON, spread, structured clone and deep equality read them like values. */
function finalReplica(fields: ReplicaFields, log: ReplicaLog): FinalReplica {
  const r = { ...fields } as FinalReplica;
  lazyArray(r, "values", log.length, (i) => log.valueAt(i));
  lazyArray(r, "epochs", log.length, (i) => log.epochAt(i));
  lazyArray(r, "keys", log.length, (i) => log.keyAt(i));
  Object.defineProperty(r, "log", { value: log, enumerable: false });
  return r;
}

function hasTransactional(attributes: Uint8Array): boolean {
  return attributes.includes(ATTR_TRANSACTIONAL) || attributes.includes(ATTR_TRANSACTIONAL | ATTR_CONTROL);
}

/** A log with transactional records or markers also gives each record's producer id and attributes (which records an
 *  ABORT marker aborted: properties/transactions.ts); other logs do not, so their final state is as before. */
function withTxnColumns(r: FinalReplica, log: LogFile | undefined): FinalReplica {
  if (log === undefined || !hasTransactional(log.attributes.subarray(0, log.length))) return r;
  const producerIds = log.producerId.slice(0, log.length);
  const attributes = log.attributes.slice(0, log.length);
  lazyArray(r, "producerIds", producerIds.length, (i) => producerIds[i] as number);
  lazyArray(r, "attributes", attributes.length, (i) => attributes[i] as number);
  return r;
}

/** Define `name` on `obj` as an own enumerable property whose plain array (`n` elements) is built on first read. */
function lazyArray(obj: object, name: string, n: number, at: (i: number) => number): void {
  Object.defineProperty(obj, name, {
    enumerable: true,
    configurable: true,
    get(): number[] {
      const value = new Array<number>(n);
      for (let i = 0; i < n; i++) value[i] = at(i);
      Object.defineProperty(obj, name, { value, enumerable: true, configurable: false, writable: false });
      return value;
    },
  });
}

/** Each group as the live broker coordinating it holds it at the end (the highest generation when a zombie
 *  coordinator still holds an older one). */
export function finalGroups(rt: Runtime<Message, TraceEvent>, brokerIds: readonly number[]): GroupSnapshot[] {
  const out = new Map<string, GroupSnapshot>();
  for (const b of brokerIds) {
    const node = brokerNode(b);
    const actor = rt.actor(node);
    if (!(actor instanceof Broker) || rt.status(node) !== "up") continue;
    for (const g of actor.groupStates()) {
      const seen = out.get(g.group);
      if (!seen || g.generation > seen.generation) out.set(g.group, g);
    }
  }
  return [...out.values()].sort((a, b) => (a.group < b.group ? -1 : a.group > b.group ? 1 : 0));
}
