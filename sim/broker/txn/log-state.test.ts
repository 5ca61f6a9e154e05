// The transactional state of a partition's log (UnifiedLog.lastStableOffset, ProducerStateManager's ongoing and
// unreplicated transactions, TransactionIndex).
import { describe, it, expect } from "vitest";
import { LogFile } from "../../disk/disk.ts";
import { ATTR_CONTROL, ATTR_TRANSACTIONAL, CONTROL_ABORT, CONTROL_COMMIT, markerValue } from "../../kafka/records.ts";
import { TxnLogState } from "./log-state.ts";

const DATA = ATTR_TRANSACTIONAL;
const MARKER = ATTR_TRANSACTIONAL | ATTR_CONTROL;

describe("TxnLogState", () => {
  it("the LSO stops at the first offset of an open transaction, and at a completed one until the HW passes its marker", () => {
    const t = new TxnLogState();
    t.onData(7, 3, DATA);
    t.onData(7, 4, DATA); // same transaction: its first offset stays 3
    expect(t.lastStableOffset(10)).toBe(3);
    t.onMarker(7, 5, CONTROL_COMMIT, 0);
    expect(t.lastStableOffset(5)).toBe(3); // the marker at 5 is not below the HW yet
    expect(t.lastStableOffset(6)).toBe(6);
    expect(t.idle).toBe(true);
  });

  it("an aborted transaction goes to the index; a read overlapping it carries it, a read past it does not", () => {
    const t = new TxnLogState();
    t.onData(7, 0, DATA);
    t.onData(8, 1, DATA);
    t.onMarker(7, 2, CONTROL_ABORT, 0);
    expect(t.lastStableOffset(3)).toBe(1); // producer 8's transaction is still open at 1
    expect(t.abortedIn(0, 3)).toEqual([{ producerId: 7, firstOffset: 0, lastOffset: 2 }]);
    expect(t.abortedIn(3, 5)).toEqual([]);
  });

  it("rebuilt from the log's attributes column, as a new leader does", () => {
    const log = new LogFile();
    log.appendBatch(0, [10, 11], [-1, -1], 7, 0, 0, 0, DATA);
    log.appendBatch(0, [12], [-1], -1, -1, 0, -1, 0);
    log.appendBatch(0, [markerValue(4)], [CONTROL_ABORT], 7, -1, 0, 0, MARKER);
    log.appendBatch(0, [13], [-1], 9, 0, 0, 0, DATA);
    const t = new TxnLogState();
    t.apply(log, 0, log.length);
    expect(t.abortedIn(0, 5)).toEqual([{ producerId: 7, firstOffset: 0, lastOffset: 3 }]);
    expect(t.coordinatorEpochs.get(7)).toBe(4);
    expect(t.lastStableOffset(5)).toBe(4);
    expect(t.seen).toBe(true);
  });
});
