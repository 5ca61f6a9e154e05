// metadata-divergence (committed metadata is never lost or rewritten: LogMatching and LeaderCompleteness of the KRaft
// TLA+ models): every node's metadata listener is handed the same batch at each offset (same Raft epoch, same records:
// metadata-batch events carry a digest), and at the end every batch that was committed is held by a majority of the
// controllers' logs (FinalState.metadata: what their disks kept).
import type { RunResult } from "../../sim/result.ts";
import type { Finding } from "../types.ts";
import { fmtTime } from "../explain.ts";
import { foldDigests } from "../../sim/controller/kraft/controller/digest.ts";

export function checkMetadataDivergence(result: RunResult): Finding[] {
  const out: Finding[] = [];
  const batches = new Map<number, { node: string; lastOffset: number; epoch: number; digest: number; timeUs: number }>();
  for (const e of result.evidence) {
    if (e.type !== "metadata-batch") continue;
    const seen = batches.get(e.baseOffset);
    if (seen === undefined) batches.set(e.baseOffset, { node: e.node, lastOffset: e.lastOffset, epoch: e.epoch, digest: e.digest, timeUs: e.timeUs });
    else if (seen.lastOffset !== e.lastOffset || seen.epoch !== e.epoch || seen.digest !== e.digest) {
      out.push({
        type: "metadata-divergence",
        partition: null,
        offset: e.baseOffset,
        value: null,
        sinceUs: e.timeUs,
        explanation: `committed metadata differs at offset ${e.baseOffset}: ${seen.node} was handed offsets ${e.baseOffset}..${seen.lastOffset} of Raft epoch ${seen.epoch} (at ${fmtTime(seen.timeUs)}), ${e.node} offsets ${e.baseOffset}..${e.lastOffset} of epoch ${e.epoch}${seen.digest !== e.digest && seen.epoch === e.epoch ? " with other records" : ""} (at ${fmtTime(e.timeUs)})`,
      });
    }
  }
  const logs = result.final.metadata;
  if (logs === undefined || logs.length === 0) return out;
  const majority = Math.floor(logs.length / 2) + 1;
  for (const [base, b] of batches) {
    const holders = logs.filter((l) => {
      const from = base - l.startOffset;
      const to = b.lastOffset - l.startOffset;
      if (from < 0 || to >= l.epochs.length) return false;
      for (let i = from; i <= to; i++) if (l.epochs[i] !== b.epoch) return false;
      return foldDigests(b.epoch, l.digests.slice(from, to + 1)) === b.digest;
    });
    if (holders.length < majority) {
      out.push({
        type: "metadata-divergence",
        partition: null,
        offset: base,
        value: null,
        sinceUs: b.timeUs,
        explanation: `committed metadata lost: offsets ${base}..${b.lastOffset} (Raft epoch ${b.epoch}, committed by ${fmtTime(b.timeUs)}) are held by ${holders.length} of ${logs.length} controllers at the end (${holders.map((l) => l.node).join(", ") || "none"}), fewer than a majority`,
      });
    }
  }
  return out;
}
