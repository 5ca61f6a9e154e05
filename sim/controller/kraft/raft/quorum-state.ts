// The durable election state: the `quorum-state` file (FileQuorumStateStore). Written whole and fsynced on every
// durable transition (it writes a temp file, syncs it and renames it over the old one), so a power loss keeps the
// last one written: a voter never forgets a vote or goes back to an older epoch.
import type { Disk } from "../../../disk/disk.ts";
import type { NodeId } from "../../../core/ids.ts";

export const QUORUM_STATE_FILE = "quorum-state";

/** ElectionState: epoch, the leader if known, the candidate voted for in this epoch if any. */
export interface ElectionState {
  readonly epoch: number;
  readonly leaderId: NodeId | null;
  readonly votedId: NodeId | null;
}

export function readElectionState(disk: Disk): ElectionState {
  return disk.readBlob<ElectionState>(QUORUM_STATE_FILE) ?? { epoch: 0, leaderId: null, votedId: null };
}

export function writeElectionState(disk: Disk, state: ElectionState): void {
  disk.writeBlob(QUORUM_STATE_FILE, state, { flush: true });
}
