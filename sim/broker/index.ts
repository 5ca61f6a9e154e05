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
import type { KeyInterner } from "./broker.ts";
import type { GroupCoordinatorFactory, GroupSnapshot } from "./group/host.ts";
import { HW_CHECKPOINT_BLOB } from "./replica/manager.ts";
import type { LogFile } from "../disk/disk.ts";

export { Broker } from "./broker.ts";
export type { BrokerDeps, ControlPlaneApi, KeyInterner } from "./broker.ts";
export { ReplicaManager } from "./replica/manager.ts";

export interface BrokerFactoryDeps {
  readonly groupCoordinator?: GroupCoordinatorFactory;
  readonly keys?: KeyInterner;
}

/** The actor factory of broker `id` (a fresh Broker from its disk at every boot). */
export function brokerFactory(id: number, spec: ClusterSpec, deps: BrokerFactoryDeps = {}): ActorFactory<Message, TraceEvent> {
  return () => {
    const full = { controlPlane: (b: number, hooks: ConstructorParameters<typeof ControlPlane>[2]) => new ControlPlane(b, spec, hooks), ...deps };
    return new Broker(id, spec, full);
  };
}

/** Every replica of every partition after the run: logs from each broker's disk (whatever survived), HW from the
 *  live actor or, for a broker that is down, its last HW checkpoint. Leader, epoch and ISR are those of the live,
 *  unfenced replica that believes it leads with the highest leader epoch (null when none does). */
/** A plain array of a typed array's elements (Array.from over a typed array goes through the iterator: slow). */
function toArray(a: ArrayLike<number>): number[] {
  const out = new Array<number>(a.length);
  for (let i = 0; i < a.length; i++) out[i] = a[i] as number;
  return out;
}

/** Define `name` on `obj` as an own enumerable property whose plain array is built from `snapshot` on first read:
 *  the run ends with a memcpy of each column, and a caller that never reads the logs (a benchmark) never pays
 *  for millions of array elements. JSON, spread, structured clone and deep equality read it like a value. */
function lazyArray(obj: object, name: string, snapshot: ArrayLike<number>): void {
  Object.defineProperty(obj, name, {
    enumerable: true,
    configurable: true,
    get(): number[] {
      const value = toArray(snapshot);
      Object.defineProperty(obj, name, { value, enumerable: true, configurable: false, writable: false });
      return value;
    },
  });
}

function hasTransactional(attributes: Uint8Array): boolean {
  return attributes.includes(ATTR_TRANSACTIONAL) || attributes.includes(ATTR_TRANSACTIONAL | ATTR_CONTROL);
}

/** A FinalReplica whose values, epochs and keys are copies of the log's first `len` records. */
function finalReplica(fields: Omit<FinalReplica, "values" | "epochs" | "keys" | "producerIds" | "attributes">, log: LogFile | undefined, len: number, copy: boolean): FinalReplica {
  const r = { ...fields } as FinalReplica;
  const cut = <T extends Int32Array | Float64Array>(a: T): T => (copy ? a.slice(0, len) : a.subarray(0, len)) as T;
  lazyArray(r, "values", log ? cut(log.value) : []);
  lazyArray(r, "epochs", log ? cut(log.epoch) : []);
  lazyArray(r, "keys", log ? cut(log.key) : []);
  // A log with transactional records or markers also gives each record's producer id and attributes (which
  // records an ABORT marker aborted); other logs do not, so their final state is as before.
  if (log !== undefined && hasTransactional(log.attributes.subarray(0, len))) {
    lazyArray(r, "producerIds", cut(log.producerId));
    lazyArray(r, "attributes", copy ? log.attributes.slice(0, len) : log.attributes.subarray(0, len));
  }
  return r;
}

/** Every replica's log and state now. `copy: false` hands out views of the logs' columns instead of copies: only
 *  for the end of a run, when nothing appends to or truncates the logs any more. */
export function finalPartitions(rt: Runtime<Message, TraceEvent>, spec: ClusterSpec, opts: { readonly copy?: boolean } = {}): FinalPartition[] {
  const copy = opts.copy ?? true;
  const out: FinalPartition[] = [];
  for (const t of spec.topics) {
    for (let p = 0; p < t.partitions; p++) {
      const key = tpKey(t.name, p);
      const assigned = spec.assignment.get(key) ?? [];
      const replicas: FinalReplica[] = [];
      let leader: number | null = null;
      let leaderEpoch = -1;
      let isr: readonly number[] = [];
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
        replicas.push(finalReplica({ broker: b, alive, logStartOffset: start, logEndOffset: start + len, highWatermark: hw }, log, len, copy));
        if (part !== undefined && part.isLeader && !part.fenced && part.leaderEpoch > leaderEpoch) {
          leader = b;
          leaderEpoch = part.leaderEpoch;
          isr = [...part.isr];
        }
      }
      out.push({ topic: t.name, partition: p, leader, leaderEpoch, isr, replicas });
    }
  }
  return out;
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
