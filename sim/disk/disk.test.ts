import { describe, it, expect } from "vitest";
import { Disk, LogFile } from "./disk.ts";

function appendN(l: LogFile, n: number, epoch = 0): void {
  for (let i = 0; i < n; i++) l.append(epoch, l.endOffset * 10, -1, 7, i, i);
}

describe("LogFile", () => {
  it("appends columnar records, grows past its initial capacity and reads them back", () => {
    const l = new LogFile();
    for (let i = 0; i < 200; i++) expect(l.append(i % 3, 1000 + i, i % 5, 9, i, 50 * i)).toBe(i);
    expect(l.endOffset).toBe(200);
    expect(l.record(150)).toEqual({ epoch: 0, value: 1150, key: 0, producerId: 9, sequence: 150, appendUs: 7500, attributes: 0 });
    expect(l.epochAt(151)).toBe(1);
    expect(l.valueAt(199)).toBe(1199);
  });

  /** Every record of a log with its producer epoch (record() leaves that column out). */
  const dump = (l: LogFile) => Array.from({ length: l.length }, (_, i) => ({ ...l.record(l.startOffset + i), producerEpoch: l.producerEpoch[i] }));
  const columns = (l: LogFile) => ({ epochs: l.epoch, values: l.value, keys: l.key, producerIds: l.producerId, sequences: l.sequence, appendUs: l.appendUs, producerEpochs: l.producerEpoch, era: l.columnsEra });

  it("appendBatch writes what appending the records one by one writes (sequences counted from the base)", () => {
    for (const n of [1, 5, 200]) {
      const values = Array.from({ length: n }, (_, i) => 500 + i);
      const keys = values.map((v) => v % 7);
      for (const [pid, seq, pe] of [[-1, -1, -1], [9, 40, 2]] as const) {
        const batch = new LogFile();
        batch.append(0, 1, -1, -1, -1, 0); // not at offset 0
        expect(batch.appendBatch(3, values, keys, pid, seq, 77, pe)).toBe(1);
        const one = new LogFile();
        one.append(0, 1, -1, -1, -1, 0);
        values.forEach((v, i) => one.append(3, v, keys[i] as number, pid, seq < 0 ? -1 : seq + i, 77, pe));
        expect(dump(batch)).toEqual(dump(one));
      }
    }
  });

  it("appendColumns copies a range of another log's columns, short (a loop) or long (native copies)", () => {
    const leader = new LogFile();
    for (let i = 0; i < 300; i++) leader.append(i >> 6, 1000 + i, i % 5, 9, i, 50 * i, 1);
    for (const [at, count] of [[3, 6], [10, 200]] as const) {
      const f = new LogFile();
      f.appendColumns(columns(leader), at, count);
      expect(f.endOffset).toBe(count);
      expect(dump(f)).toEqual(dump(leader).slice(at, at + count));
    }
  });

  it("never writes over records it handed out: columns read before a truncation or power loss keep their values", () => {
    // Fetch responses are views of the leader's columns (RecordSlice); new records at truncated offsets must
    // not change a response already in flight.
    const l = new LogFile();
    appendN(l, 10);
    const before = l.value;
    l.truncateTo(5);
    l.append(9, -1, -1, 7, 0, 0);
    expect(before[5]).toBe(50);
    expect(l.valueAt(5)).toBe(-1);
    const beforeLoss = l.value;
    l.loseUnflushed();
    l.append(9, -2, -1, 7, 0, 0);
    expect(beforeLoss[0]).toBe(0);
    expect(l.endOffset).toBe(1);
    expect(l.valueAt(0)).toBe(-2);
    // A truncation that removes nothing keeps the columns (no copy on the common no-op path).
    const same = l.value;
    l.truncateTo(100);
    expect(l.value).toBe(same);
  });

  it("keeps values and append times as int32, epochs, keys and producer ids and epochs as int16, until one does not fit: then widens that column", () => {
    const l = new LogFile();
    const types = (): string[] => [l.epoch, l.value, l.key, l.producerId, l.sequence, l.appendUs, l.producerEpoch, l.attributes].map((c) => c.constructor.name);
    for (let i = 0; i < 100; i++) l.append(32_000 + i, 1000 + i, i - 50, 9, i, 2 ** 31 - 200 + i, 32_700);
    expect(types()).toEqual(["Int16Array", "Int32Array", "Int16Array", "Int16Array", "Int32Array", "Int32Array", "Int16Array", "Uint8Array"]);
    expect(21 * l.epoch.length).toBe([l.epoch, l.value, l.key, l.producerId, l.sequence, l.appendUs, l.producerEpoch, l.attributes].reduce((n, c) => n + c.byteLength, 0));
    const view = l.value; // a fetch response in flight: widening copies, the view keeps its records
    l.append(40_000, 2 ** 40, 70_000, 9, 100, 2 ** 31 + 5, 40_000); // epoch, value, key, append time, producer epoch do not fit
    l.appendBatch(2, [1.5, 7, -(2 ** 33)], [-1, 5, -1], 2 ** 20, 101, 2 ** 35, 2 ** 20);
    expect(types()).toEqual(["Int32Array", "Float64Array", "Int32Array", "Int32Array", "Int32Array", "Float64Array", "Int32Array", "Uint8Array"]);
    expect(view).not.toBe(l.value);
    expect(view[99]).toBe(1099);
    expect(dump(l).slice(99)).toEqual([
      { epoch: 32_099, value: 1099, key: 49, producerId: 9, sequence: 99, appendUs: 2 ** 31 - 101, attributes: 0, producerEpoch: 32_700 },
      { epoch: 40_000, value: 2 ** 40, key: 70_000, producerId: 9, sequence: 100, appendUs: 2 ** 31 + 5, attributes: 0, producerEpoch: 40_000 },
      ...[1.5, 7, -(2 ** 33)].map((value, i) => ({ epoch: 2, value, key: i === 1 ? 5 : -1, producerId: 2 ** 20, sequence: 101 + i, appendUs: 2 ** 35, attributes: 0, producerEpoch: 2 ** 20 })),
    ]);
    // A follower copying wide columns widens only when the range it copies does not fit (a log with a record of its
    // own copies: an empty one would share the columns).
    for (const [at, count, wide] of [[1, 99, false], [90, 12, true], [1, 103, true]] as const) {
      const f = new LogFile();
      f.append(32_000, 1000, -50, 9, 0, 2 ** 31 - 200, 32_700);
      f.appendColumns(columns(l), at, count);
      expect(f.value.constructor.name).toBe(wide ? "Float64Array" : "Int32Array");
      expect(f.epoch.constructor.name).toBe(wide ? "Int32Array" : "Int16Array");
      expect(dump(f)).toEqual([dump(l)[0], ...dump(l).slice(at, at + count)]);
    }
  });

  it("a follower's log shares the leader's columns while its records are the leader's, across the leader's growing", () => {
    const leader = new LogFile();
    const follower = new LogFile();
    const epoch = 1;
    const lead = (n: number): void => {
      for (let i = 0; i < n; i++) leader.append(epoch, leader.length * 10, i % 3, 7, i, leader.length, 0, i % 2);
    };
    const follow = (): void => {
      const attributes = leader.attributes;
      follower.appendColumns({ ...columns(leader), attributes }, follower.length, leader.length - follower.length);
    };
    lead(10);
    follow();
    expect(follower.value).toBe(leader.value); // shared from the first fetch into an empty log
    lead(1000); // the leader grows (several times) and widens: new columns succeed the old ones
    leader.append(epoch, 2 ** 40, 70_000, 7, 0, 3, 0);
    expect(follower.value).not.toBe(leader.value);
    follow();
    expect(follower.value).toBe(leader.value);
    expect(follower.key).toBe(leader.key);
    expect(follower.attributes).not.toBe(leader.attributes); // the attributes are its own
    expect(dump(follower)).toEqual(dump(leader));
    // The leader appends more: the follower reads only its own length.
    lead(5);
    expect(follower.length).toBe(1011);
    expect(dump(follower)).toEqual(dump(leader).slice(0, 1011));
    // The follower becomes leader and appends: it copies first, the old leader's records stay.
    const leaderBefore = dump(leader);
    follower.append(2, -7, -1, 8, 0, 0);
    expect(follower.value).not.toBe(leader.value);
    expect(dump(leader)).toEqual(leaderBefore);
    expect(follower.valueAt(1011)).toBe(-7);
    expect(dump(follower).slice(0, 1011)).toEqual(leaderBefore.slice(0, 1011));
  });

  it("a follower stops sharing when the leader's log shrank (its new columns do not succeed the old ones)", () => {
    const leader = new LogFile();
    appendN(leader, 20);
    const follower = new LogFile();
    follower.appendColumns(columns(leader), 0, 20);
    expect(follower.value).toBe(leader.value);
    leader.truncateTo(20); // nothing removed: same columns
    leader.truncateTo(15);
    appendN(leader, 10);
    // Offsets 15..19 differ now; the follower (at 20) copies what it is given and keeps its own first 20.
    follower.appendColumns(columns(leader), 20, 5);
    expect(follower.value).not.toBe(leader.value);
    expect(Array.from({ length: 25 }, (_, i) => follower.valueAt(i))).toEqual([...Array.from({ length: 20 }, (_, i) => i * 10), 200, 210, 220, 230, 240]);
  });

  it("truncateTo removes the tail and is durable at once", () => {
    const l = new LogFile();
    appendN(l, 10);
    l.flush();
    l.truncateTo(4);
    expect(l.endOffset).toBe(4);
    expect(l.flushedLength).toBe(4);
    appendN(l, 2);
    expect(l.unflushed).toBe(2);
    l.loseUnflushed();
    expect(l.endOffset).toBe(4);
    l.truncateTo(100); // beyond the end: nothing changes
    expect(l.endOffset).toBe(4);
  });
});

describe("Disk crash semantics", () => {
  function populated(): Disk {
    const d = new Disk();
    const l = d.log("t-0");
    appendN(l, 5);
    l.flush();
    appendN(l, 3); // 3 unflushed
    appendN(d.log("t-1"), 2); // never flushed
    d.writeBlob("checkpoint", { hw: 5 }, { flush: true });
    d.writeBlob("checkpoint", { hw: 8 }); // newer, unflushed
    d.writeBlob("never-flushed", 1);
    d.writeBlob("flushed-later", "x");
    d.flushBlob("flushed-later");
    return d;
  }

  it("a process kill keeps the page cache: nothing is lost", () => {
    const d = populated();
    d.kill();
    expect(d.log("t-0").endOffset).toBe(8);
    expect(d.log("t-1").endOffset).toBe(2);
    expect(d.readBlob("checkpoint")).toEqual({ hw: 8 });
    expect(d.readBlob("never-flushed")).toBe(1);
  });

  it("power loss keeps only flushed records and flushed blob versions, and reports what was lost", () => {
    const d = populated();
    const lost = d.powerLoss();
    expect([...lost]).toEqual([
      ["t-0", 3],
      ["t-1", 2],
    ]);
    expect(d.log("t-0").endOffset).toBe(5);
    expect(d.log("t-0").record(4).sequence).toBe(4);
    expect(d.log("t-1").endOffset).toBe(0);
    expect(d.readBlob("checkpoint")).toEqual({ hw: 5 });
    expect(d.readBlob("never-flushed")).toBeUndefined();
    expect(d.readBlob("flushed-later")).toBe("x");
    // A second power loss loses nothing more.
    expect(d.powerLoss().size).toBe(0);
    expect(d.log("t-0").endOffset).toBe(5);
  });

  it("flushAll makes everything survive power loss", () => {
    const d = populated();
    d.flushAll();
    expect(d.powerLoss().size).toBe(0);
    expect(d.log("t-0").endOffset).toBe(8);
    expect(d.readBlob("checkpoint")).toEqual({ hw: 8 });
    expect(d.readBlob("never-flushed")).toBe(1);
  });

  it("lists its logs in creation order and costs bytes by record", () => {
    const d = populated();
    expect(d.logNames()).toEqual(["t-0", "t-1"]);
    expect(d.hasLog("t-2")).toBe(false);
    expect(d.bytes()).toBe(10 * Disk.BYTES_PER_RECORD);
  });
});
