// Test helpers: a Runtime of bare Raft nodes (RaftNode<number>, voters and observers) with a recording listener on
// each, for the Raft node's tests. Not a test file itself.
import { Runtime } from "../../../core/runtime.ts";
import { nodeId } from "../../../core/ids.ts";
import type { NodeId } from "../../../core/ids.ts";
import { asTimeUs, msToUs } from "../../../core/time.ts";
import { quorumConfig } from "../config.ts";
import type { KRaftTraceEvent } from "../events.ts";
import { KRAFT_HOT_EVENT_TYPES } from "../events.ts";
import type { RaftMessage } from "./messages.ts";
import type { RaftBatch } from "./log.ts";
import { RaftNode } from "./raft-node.ts";
import type { LeaderAndEpoch } from "./raft-node.ts";

export interface RaftWorldOptions {
  readonly voters?: number;
  readonly observers?: number;
  readonly preVote?: boolean;
  readonly seed?: number;
  readonly keys?: Readonly<Record<string, unknown>>;
  readonly latencyMs?: number;
}

export interface Seen {
  /** Data values handed to handleCommit, in order (all incarnations of the node). */
  readonly commits: number[];
  readonly batches: RaftBatch<number>[];
  /** Each leader change with the next offset the listener was to be handed at that moment. */
  readonly leaderChanges: (LeaderAndEpoch & { readonly nextOffset: number; readonly timeUs: number })[];
  readonly commitTimesUs: number[];
}

export function raftWorld(opts: RaftWorldOptions = {}) {
  const voters = Array.from({ length: opts.voters ?? 3 }, (_, i) => nodeId(`v${i + 1}`));
  const observers = Array.from({ length: opts.observers ?? 0 }, (_, i) => nodeId(`o${i + 1}`));
  const ids = [...voters, ...observers];
  const rt = new Runtime<RaftMessage<number>, KRaftTraceEvent>(ids, {
    seed: opts.seed ?? 1,
    latency: { dist: "constant", valueMs: opts.latencyMs ?? 0.5 },
    record: true,
    hotEvents: KRAFT_HOT_EVENT_TYPES,
  });
  const config = quorumConfig(opts.keys ?? {}, { preVote: opts.preVote ?? true });
  const seen = new Map<NodeId, Seen>();
  for (const id of ids) {
    const s: Seen = { commits: [], batches: [], leaderChanges: [], commitTimesUs: [] };
    seen.set(id, s);
    rt.addNode(
      id,
      () =>
        new RaftNode<number>({
          voters,
          config,
          listener: {
            handleCommit: (b) => {
              s.batches.push(b);
              for (const r of b.records) {
                if (r.kind !== "data") continue;
                s.commits.push(r.data);
                s.commitTimesUs.push(rt.nowUs);
              }
            },
            handleLeaderChange: (l) => {
              const last = s.batches[s.batches.length - 1];
              s.leaderChanges.push({ ...l, nextOffset: last === undefined ? 0 : last.lastOffset + 1, timeUs: rt.nowUs });
            },
          },
        }),
    );
  }
  rt.startAll();
  const node = (id: NodeId): RaftNode<number> | undefined => rt.actor(id) as RaftNode<number> | undefined;
  const leader = (): NodeId | undefined => {
    let best: NodeId | undefined;
    for (const id of voters) {
      const n = node(id);
      if (n?.role === "leader" && (best === undefined || n.epoch > (node(best) as RaftNode<number>).epoch)) best = id;
    }
    return best;
  };
  return {
    rt,
    voters,
    observers,
    ids,
    node,
    leader,
    seen: (id: NodeId) => seen.get(id) as Seen,
    /** Append values on the current leader (as its host would); returns the last offset or -1. */
    append(values: readonly number[]): number {
      const l = leader();
      if (l === undefined) return -1;
      let off = -1;
      rt.inject(l, (a) => {
        const n = a as RaftNode<number>;
        off = n.append(n.epoch, values);
      });
      return off;
    },
    runMs(ms: number): void {
      rt.runUntil(asTimeUs(rt.nowUs + msToUs(ms)));
    },
    events<T extends KRaftTraceEvent["type"]>(type: T): (Extract<KRaftTraceEvent, { type: T }> & { timeUs: number })[] {
      return rt.trace.events.filter((e) => e.type === type) as unknown as (Extract<KRaftTraceEvent, { type: T }> & { timeUs: number })[];
    },
  };
}
