import { describe, expect, it } from "vitest";
import { Disk } from "../../../disk/disk.ts";
import { RaftLog } from "./log.ts";
import type { RaftRecord } from "./messages.ts";

const data = (...vs: number[]): RaftRecord<number>[] => vs.map((v) => ({ kind: "data", data: v }));

/** Epochs 1 at [0, 3), 2 at [3, 5), 4 at [5, 6). */
function sampleLog(disk = new Disk()): RaftLog<number> {
  const log = new RaftLog<number>(disk);
  log.appendBatch(1, data(1, 2, 3), 0);
  log.appendBatch(2, data(4, 5), 0);
  log.appendBatch(4, data(6), 0);
  return log;
}

describe("RaftLog", () => {
  it("finds the end offset of an epoch as the start of the next one, or the log end", () => {
    const log = sampleLog();
    expect([log.endOffsetForEpoch(1), log.foundEpoch]).toEqual([3, 1]);
    expect([log.endOffsetForEpoch(3), log.foundEpoch]).toEqual([5, 2]); // no epoch 3: the largest below it
    expect([log.endOffsetForEpoch(4), log.foundEpoch]).toEqual([6, 4]);
    expect([log.endOffsetForEpoch(9), log.foundEpoch]).toEqual([6, 4]);
    expect([log.endOffsetForEpoch(0), log.foundEpoch]).toEqual([0, 0]);
  });

  it("a fetch is valid only if the fetcher's last epoch ends where it says (validateOffsetAndEpoch)", () => {
    const log = sampleLog();
    expect(log.validateFetch(0, 0)).toBe(true);
    expect(log.validateFetch(5, 2)).toBe(true);
    expect(log.validateFetch(6, 4)).toBe(true);
    // The fetcher has epoch 2 up to 7 (records we do not have): diverging at the end of our epoch 2.
    expect(log.validateFetch(7, 2)).toBe(false);
    expect([log.divergingEpoch, log.divergingEndOffset]).toEqual([2, 5]);
    // The fetcher's last epoch 3 was never ours: diverging at the end of epoch 2.
    expect(log.validateFetch(6, 3)).toBe(false);
    expect([log.divergingEpoch, log.divergingEndOffset]).toEqual([2, 5]);
  });

  it("truncates to the smaller of both ends of the common epoch (truncateToEndOffset)", () => {
    const follower = new RaftLog<number>(new Disk());
    follower.appendBatch(1, data(1, 2, 3), 0);
    follower.appendBatch(2, data(4, 5, 6, 7), 0);
    expect(follower.truncateToEndOffset(5, 2)).toBe(5);
    expect(follower.endOffset).toBe(5);
    // Leader says its epoch 3 ends at 9; we have no epoch 3: our end of the largest epoch below it.
    expect(follower.truncateToEndOffset(9, 3)).toBe(5);
  });

  it("hands out whole batches and reads them back", () => {
    const log = sampleLog();
    const s = log.slice(0, 2);
    expect(s?.count).toBe(3); // the first batch is 3 records: never split
    expect(log.slice(3, 100)?.count).toBe(3);
    expect(log.slice(6, 100)).toBeNull();
    expect(log.readBatch(3)).toMatchObject({ baseOffset: 3, lastOffset: 4, epoch: 2, records: data(4, 5) });
  });

  it("keeps only flushed records over a power loss; the payload table survives", () => {
    const disk = new Disk();
    const log = sampleLog(disk);
    log.flush();
    log.appendBatch(5, data(7, 8), 0);
    disk.powerLoss();
    const again = new RaftLog<number>(disk);
    expect(again.endOffset).toBe(6);
    expect(again.recordAt(5)).toEqual({ kind: "data", data: 6 });
    again.appendBatch(6, data(9), 0);
    expect(again.recordAt(6)).toEqual({ kind: "data", data: 9 });
  });
});
