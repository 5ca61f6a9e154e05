// The leader epochs a client has seen (KIP-320, clients from Kafka 2.1): Metadata keeps the last leader epoch of
// each partition and ignores a partition's metadata with an older one (Metadata.updateLatestMetadata: "Not
// replacing existing epoch"), so a deposed leader's stale metadata cache cannot send the client back to it; the
// consumer's fetch and list-offsets carry that epoch as currentLeaderEpoch (a deposed leader answers
// UNKNOWN_LEADER_EPOCH, a newer one FENCED_LEADER_EPOCH) — kafka-facts 47.
import { DEFAULT_PROTOCOL, PROTOCOL_VERSIONS } from "../kafka/config.ts";
import type { ProtocolVersion } from "../kafka/config.ts";

export class LeaderEpochs {
  private readonly seen = new Map<string, number[]>();

  constructor(readonly enabled: boolean) {}

  static forProtocol(protocol: ProtocolVersion | undefined): LeaderEpochs {
    return new LeaderEpochs(PROTOCOL_VERSIONS.indexOf(protocol ?? DEFAULT_PROTOCOL) >= PROTOCOL_VERSIONS.indexOf("2.7"));
  }

  /** May this partition's metadata replace what is cached? Records its epoch when it may. An unknown epoch (-1, an
   *  error entry) is always taken, as Kafka takes metadata without an epoch. */
  accept(topic: string, partition: number, leaderEpoch: number): boolean {
    if (!this.enabled || leaderEpoch < 0) return true;
    let l = this.seen.get(topic);
    if (l === undefined) this.seen.set(topic, (l = []));
    const last = l[partition];
    if (last !== undefined && leaderEpoch < last) return false;
    l[partition] = leaderEpoch;
    return true;
  }

  /** currentLeaderEpoch for a request: the last epoch seen, or -1 (no check) before KIP-320 or when none is known. */
  current(topic: string, partition: number): number {
    if (!this.enabled) return -1;
    return this.seen.get(topic)?.[partition] ?? -1;
  }
}
