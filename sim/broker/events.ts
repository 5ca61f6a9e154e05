// Trace events of the cluster (coordinator, controller, brokers). The fault interpreter's event triggers
// and the checkers' explanations read these. `tp` is Kafka's "topic-partition" spelling ("orders-0").

export type BrokerTraceEvent =
  | { readonly type: "broker-registered"; readonly broker: number; readonly brokerEpoch: number }
  | { readonly type: "session-expired"; readonly broker: number }
  | { readonly type: "controller-elected"; readonly broker: number; readonly controllerEpoch: number }
  /** isrBefore: the ISR the controller elected from (empty for a partition's first election); live: the replicas it
   *  held live then — a clean election picks from isrBefore ∩ live, an unclean one only when that is empty.
   *  `isrBefore` (KRaft): the replicas the controller could elect from — the ISR, with ELR the ELR too (KIP-966);
   *  `election` (KRaft): how PartitionChangeBuilder chose; `recovering`: an unclean leader starts RECOVERING (KIP-704). */
  | {
      readonly type: "leader-elected";
      readonly tp: string;
      readonly leader: number;
      readonly leaderEpoch: number;
      readonly isr: readonly number[];
      readonly unclean: boolean;
      readonly isrBefore?: readonly number[];
      /** The replicas the controller held live when it elected (ZooKeeper mode). */
      readonly live?: readonly number[];
      readonly elr?: readonly number[];
      readonly election?: "clean" | "elr" | "unclean" | "last-known-leader";
      readonly recovering?: boolean;
    }
  | { readonly type: "partition-offline"; readonly tp: string; readonly leaderEpoch: number }
  | { readonly type: "isr-shrink"; readonly tp: string; readonly leader: number; readonly isr: readonly number[]; readonly removed: readonly number[]; readonly by: "leader" | "controller" }
  | { readonly type: "isr-expand"; readonly tp: string; readonly leader: number; readonly isr: readonly number[]; readonly added: readonly number[] }
  | { readonly type: "isr-change-rejected"; readonly tp: string; readonly broker: number; readonly reason: string }
  /** A controller resigned with this AlterPartition queued: Kafka drops it unanswered (ControllerEventManager
   *  .clearAndPut preempts queued events; AlterPartitionReceived.preempt does nothing), so the leader waits
   *  controller.socket.timeout.ms before sending it again. */
  | { readonly type: "alter-partition-preempted"; readonly tp: string; readonly controller: number; readonly broker: number }
  | { readonly type: "become-leader"; readonly tp: string; readonly broker: number; readonly leaderEpoch: number; readonly logEndOffset: number }
  | { readonly type: "become-follower"; readonly tp: string; readonly broker: number; readonly leader: number; readonly leaderEpoch: number }
  /** Recorded only when the trace records (too frequent to hash cheaply otherwise). */
  | { readonly type: "hw-advance"; readonly tp: string; readonly broker: number; readonly highWatermark: number }
  | { readonly type: "truncate"; readonly tp: string; readonly broker: number; readonly fromOffset: number; readonly toOffset: number; readonly reason: string }
  | { readonly type: "stale-request-rejected"; readonly broker: number; readonly request: string; readonly reason: string }
  | { readonly type: "produce-append"; readonly tp: string; readonly broker: number; readonly baseOffset: number; readonly count: number; readonly leaderEpoch: number }
  | { readonly type: "broker-recovered"; readonly broker: number; readonly logEndOffsets: Readonly<Record<string, number>> };
