// The recorder keeps sends as columns and materialises them on read: what comes out must be exactly what the
// object form recorded, in order, across chunk boundaries, with or without listeners.
import { describe, expect, it, vi } from "vitest";
import { readFileSync, readdirSync } from "node:fs";
import { HistoryRecorder, countSendsAcked } from "./history.ts";
import type { HistoryColumns, HistoryOp } from "./history.ts";
import { parseScenario } from "./scenario/parse.ts";
import { runScenario } from "./world.ts";
import { historyColumns } from "./result.ts";

/** The same ops through the columnar path and through record(). */
function both(n: number): { columnar: HistoryRecorder; objects: HistoryRecorder } {
  const columnar = new HistoryRecorder();
  const objects = new HistoryRecorder();
  for (let i = 0; i < n; i++) {
    const t = i * 10;
    const key = i % 3 === 0 ? null : i % 7;
    const partition = i % 5 === 0 ? null : i % 4;
    columnar.recordSendInvoke(t, "p1", i % 2 ? "orders" : "audit", key, i, partition);
    objects.record({ timeUs: t, process: "p1", type: "invoke", f: "send", value: partition === null ? { topic: i % 2 ? "orders" : "audit", key, value: i } : { topic: i % 2 ? "orders" : "audit", key, value: i, partition } });
    if (i % 11 === 0) {
      const poll = { timeUs: t + 1, process: "g1/0", type: "ok", f: "poll", value: { group: "g1", records: [] } } as const;
      columnar.record({ ...poll });
      objects.record({ ...poll });
    }
    const off = i % 13 === 0 ? -1 : 1000 + i;
    const broker = i % 17 === 0 ? -1 : (i % 3) + 1;
    columnar.recordSendOk(t + 5, "p1", i % 2 ? "orders" : "audit", key ?? -1, i, partition ?? 0, off, broker);
    objects.record({ timeUs: t + 5, process: "p1", type: "ok", f: "send", value: { topic: i % 2 ? "orders" : "audit", key, value: i, partition: partition ?? 0, offset: off, ...(broker >= 0 ? { broker } : {}) } });
  }
  return { columnar, objects };
}

describe("HistoryRecorder", () => {
  it("materialises columnar sends exactly as the object form, across chunks (JSON byte-identical)", () => {
    const { columnar, objects } = both(20_000); // several chunks of 4096 rows
    expect(columnar.length).toBe(objects.ops.length);
    expect(JSON.stringify(columnar.ops)).toBe(JSON.stringify(objects.ops));
    expect(columnar.ops.map((o) => o.index)).toEqual(columnar.ops.map((_, i) => i));
    expect(columnar.sendsAcked).toBe(20_000);
    expect(countSendsAcked(columnar.ops)).toBe(20_000);
  });

  it("reading ops mid-run and again later returns the same objects, extended", () => {
    const h = new HistoryRecorder();
    h.recordSendInvoke(1, "p1", "t", null, 1, null);
    const first = h.ops;
    const op0 = first[0];
    h.recordSendOk(2, "p1", "t", -1, 1, 0, 7, 3);
    expect(h.ops[0]).toBe(op0);
    expect(h.ops).toHaveLength(2);
    expect(h.ops[1]).toEqual({ timeUs: 2, process: "p1", type: "ok", f: "send", value: { topic: "t", key: null, value: 1, partition: 0, offset: 7, broker: 3 }, index: 1 });
  });

  it("listeners see every send as an op, when it is recorded", () => {
    const h = new HistoryRecorder();
    const seen: HistoryOp[] = [];
    h.onRecord((op) => seen.push(op));
    h.recordSendInvoke(1, "p1", "t", 3, 9, 2);
    h.recordSendOk(4, "p1", "t", 3, 9, 2, 0, 1);
    expect(seen.map((o) => [o.type, o.f, o.index])).toEqual([
      ["invoke", "send", 0],
      ["ok", "send", 1],
    ]);
    expect(h.ops).toEqual(seen);
    expect(h.sendsAcked).toBe(1);
  });
});

/** Every accessor of op `i`, as the object form has it. */
function viaAccessors(h: HistoryColumns, i: number): unknown {
  const f = h.f(i);
  const base = { index: i, timeUs: h.timeUs(i), process: h.process(i), type: h.type(i), f };
  if (f === "send") return { ...base, topic: h.topic(i), value: h.value(i), partition: h.partition(i), offset: h.offset(i), error: h.error(i) };
  if (f === "process") return { ...base, group: h.group(i), topic: h.topic(i), partition: h.partition(i), offset: h.offset(i), value: h.value(i), result: h.result(i) };
  if (f === "poll") {
    const recs = [];
    for (let j = 0; j < h.records(i); j++) recs.push([h.recTopic(i, j), h.recPartition(i, j), h.recOffset(i, j), h.recValue(i, j)]);
    return { ...base, group: h.group(i), recs, error: h.error(i) };
  }
  return base;
}

function fromObject(op: HistoryOp): unknown {
  const base = { index: op.index, timeUs: op.timeUs, process: op.process, type: op.type, f: op.f };
  switch (op.f) {
    case "send":
      return { ...base, topic: op.value.topic, value: op.value.value, partition: op.value.partition, offset: op.value.offset, error: op.value.error };
    case "process":
      return { ...base, group: op.value.group, topic: op.value.topic, partition: op.value.partition, offset: op.value.offset, value: op.value.value, result: op.value.result };
    case "poll":
      return { ...base, group: op.value.group, recs: op.value.records.map((r) => [r.topic, r.partition, r.offset, r.value]), error: op.error };
    default:
      return base;
  }
}

describe("HistoryRecorder: polls and processes as columns", () => {
  it("keeps polls, their records and processes as columns and reads them back exactly; other ops stay objects", () => {
    const h = new HistoryRecorder();
    const ops: HistoryOp[] = [];
    const rec = (op: Parameters<HistoryRecorder["record"]>[0]): void => {
      ops.push(JSON.parse(JSON.stringify(h.record(op))) as HistoryOp);
    };
    for (let i = 0; i < 3000; i++) {
      const t = 1_000_000 + i * 700;
      rec({ timeUs: t, process: `g1/${i % 2}`, type: "invoke", f: "poll", value: { group: "g1", records: [] } });
      const records = Array.from({ length: i % 4 }, (_, j) => ({ topic: j % 2 ? "orders" : "audit", partition: j, offset: i + j, value: 10 * i + j, key: j === 1 ? null : j }));
      rec({ timeUs: t, process: `g1/${i % 2}`, type: "ok", f: "poll", value: { group: "g1", records } });
      const v = { group: "g1", topic: "orders", partition: i % 3, offset: i, value: 10 * i };
      rec({ timeUs: t + 1, process: "g1/0", type: "invoke", f: "process", value: { ...v, result: "ok" } });
      rec({ timeUs: t + 2, process: "g1/0", type: i % 5 === 0 ? "fail" : "ok", f: "process", value: { ...v, result: i % 5 === 0 ? "failed" : i % 7 === 0 ? "dead-letter" : "ok", attempts: i % 3 } });
      if (i % 100 === 0) rec({ timeUs: t + 3, process: "g1/0", type: "ok", f: "commit", value: { group: "g1", generation: 1, offsets: [{ topic: "orders", partition: 0, offset: i }], mode: "sync" } });
      if (i % 250 === 0) rec({ timeUs: t + 4, process: "g1/1", type: "ok", f: "poll", value: { group: "g1", records: [] }, error: "NOT_LEADER_OR_FOLLOWER" });
    }
    expect(JSON.stringify(h.ops)).toBe(JSON.stringify(ops));
    expect(JSON.stringify(ops.map((_, i) => viaAccessors(h, i)))).toBe(JSON.stringify(ops.map(fromObject)));
    // Only the commits and the polls with an error are kept as objects.
    expect(h.objectIndices()).toEqual(ops.filter((o) => o.f === "commit" || (o.f === "poll" && o.error !== undefined)).map((o) => o.index));
    const rebuilt = HistoryRecorder.fromOps(ops);
    expect(JSON.stringify(rebuilt.ops)).toBe(JSON.stringify(ops));
  });

  it("recordPoll and recordProcess (the consumer's positional calls) record exactly what record() does, columns or not", () => {
    const positional = new HistoryRecorder();
    const objects = new HistoryRecorder();
    const seen: HistoryOp[] = [];
    const withListener = new HistoryRecorder();
    withListener.onRecord((op) => seen.push(op));
    for (let i = 0; i < 3000; i++) {
      // Every 500th op at a time or with a number the columns cannot hold: the object form.
      const t = i % 500 === 499 ? 2 ** 53 + i : 1_000_000 + i * 700;
      const items = Array.from({ length: i % 4 }, (_, j) => ({ topic: j % 2 ? "orders" : "audit", partition: j, message: { offset: i + j, value: i % 300 === 7 ? 0.5 : 10 * i + j, key: j === 1 ? null : j } }));
      for (const h of [positional, withListener]) h.recordPoll(t, `g1/${i % 2}`, "g1", items);
      objects.record({ timeUs: t, process: `g1/${i % 2}`, type: "invoke", f: "poll", value: { group: "g1", records: [] } });
      objects.record({ timeUs: t, process: `g1/${i % 2}`, type: "ok", f: "poll", value: { group: "g1", records: items.map((w) => ({ topic: w.topic, partition: w.partition, offset: w.message.offset, value: w.message.value, key: w.message.key })) } });
      const offset = i % 400 === 3 ? 2 ** 40 : i;
      const type = i % 5 === 0 ? "fail" : "ok";
      const result = i % 5 === 0 ? "failed" : i % 7 === 0 ? "dead-letter" : "ok";
      for (const h of [positional, withListener]) {
        h.recordProcess(t + 1, "g1/0", "invoke", "g1", "orders", i % 3, offset, 10 * i, "ok", -1);
        h.recordProcess(t + 2, "g1/0", type, "g1", "orders", i % 3, offset, 10 * i, result, i % 3);
      }
      const v = { group: "g1", topic: "orders", partition: i % 3, offset, value: 10 * i };
      objects.record({ timeUs: t + 1, process: "g1/0", type: "invoke", f: "process", value: { ...v, result: "ok" } });
      objects.record({ timeUs: t + 2, process: "g1/0", type, f: "process", value: { ...v, result, attempts: i % 3 } });
    }
    expect(JSON.stringify(positional.ops)).toBe(JSON.stringify(objects.ops));
    expect(positional.objectIndices()).toEqual(objects.objectIndices());
    expect(positional.objectIndices().length).toBeGreaterThan(20);
    expect(positional.objectIndices().length).toBeLessThan(100);
    // A listener sees each op as it is recorded, the same objects.
    expect(JSON.stringify(seen)).toBe(JSON.stringify(objects.ops));
    expect(JSON.stringify(withListener.ops)).toBe(JSON.stringify(objects.ops));
  });

  it("keeps an op whose numbers do not fit the columns as the object (times far apart, fractions, huge values)", () => {
    const h = new HistoryRecorder();
    h.recordSendInvoke(0, "p1", "t", null, 1, null);
    h.recordSendInvoke(3 * 3_600_000_000, "p1", "t", null, 2, 0); // 3 h later: beyond an int32 of µs from the chunk's base
    h.recordSendInvoke(3 * 3_600_000_000 + 1, "p1", "t", 2 ** 40, 3, 0);
    h.record({ timeUs: 3 * 3_600_000_000 + 2, process: "g/0", type: "ok", f: "process", value: { group: "g", topic: "t", partition: 0, offset: 0.5, value: 3, result: "ok" } });
    expect(h.objectIndices()).toEqual([1, 2, 3]);
    expect(h.ops.map((o) => [o.timeUs, o.f === "send" || o.f === "process" ? o.value.value : null])).toEqual([
      [0, 1],
      [3 * 3_600_000_000, 2],
      [3 * 3_600_000_000 + 1, 3],
      [3 * 3_600_000_000 + 2, 3],
    ]);
    expect(h.maxValue).toBe(3);
  });
});

describe("HistoryRecorder: packed chunks", () => {
  it("reads a packed history exactly as the unpacked one, op for op and through the accessors, in order and at random", () => {
    const plain = new HistoryRecorder();
    const packed = new HistoryRecorder({ packFromRows: 0 });
    for (const h of [plain, packed]) {
      for (let i = 0; i < 12_000; i++) {
        const t = 5_000 + i * 333;
        h.recordSendInvoke(t, `p${i % 3}`, i % 5 === 0 ? "audit" : "orders", i % 4 === 0 ? null : i % 9, i, i % 6 === 0 ? null : i % 6);
        h.recordSendOk(t + 40, `p${i % 3}`, "orders", i % 4 === 0 ? -1 : i % 9, i, i % 6, i % 11 === 0 ? -1 : 7 * i, i % 13 === 0 ? -1 : 1 + (i % 3));
        if (i % 50 === 0) {
          const records = Array.from({ length: 40 }, (_, j) => ({ topic: "orders", partition: j % 6, offset: i + j, value: i - j, key: j % 3 === 0 ? null : -j }));
          h.record({ timeUs: t + 50, process: "g1/0", type: "ok", f: "poll", value: { group: "g1", records } });
        }
        h.record({ timeUs: t + 60, process: "g1/1", type: i % 7 === 0 ? "fail" : "ok", f: "process", value: { group: "g1", topic: "orders", partition: i % 6, offset: 2 ** 31 - 1 - i, value: -i, result: i % 7 === 0 ? "failed" : "ok", attempts: i % 4 } });
        if (i % 1000 === 0) h.record({ timeUs: t + 70, process: "g1/1", type: "info", f: "crash", value: null });
      }
    }
    expect(packed.length).toBe(plain.length);
    expect(JSON.stringify(packed.ops)).toBe(JSON.stringify(plain.ops));
    const all = (h: HistoryColumns): string => JSON.stringify(plain.ops.map((_, i) => viaAccessors(h, i)));
    expect(all(packed)).toBe(all(plain));
    // Random reads across many chunks (more than the unpacked copies kept).
    for (let k = 0; k < 500; k++) {
      const i = (k * 7919) % plain.length;
      expect(viaAccessors(packed, i)).toEqual(viaAccessors(plain, i));
    }
    // What the packed chunks take: a small share of the rows' 29 bytes.
    const bytes = (h: HistoryRecorder): number => {
      const x = h as unknown as { chunks: { bytes?: Uint8Array; a?: Int32Array }[] };
      return x.chunks.reduce((n, c) => n + (c.bytes ? c.bytes.byteLength : (c.a as Int32Array).byteLength + 5 * 4096), 0);
    };
    expect(bytes(packed)).toBeLessThan(bytes(plain) / 2);
  });

  it("packs a column only when it changed, told from the same stream's previous row: interleaved producers and a process op's ok after its invoke take a few bytes a row", () => {
    const h = new HistoryRecorder({ packFromRows: 0 });
    for (let i = 0; i < 5 * 4096; i++) {
      const p = i % 3; // three producers interleaved, each numbering its values upwards from its own base
      const value = p * 1_000_000 + Math.floor(i / 3);
      const t = 1_000 + i * 300;
      h.recordSendInvoke(t, `p${p}`, "orders", null, value, null);
      h.recordSendOk(t + 1500, `p${p}`, "orders", -1, value, i % 6, Math.floor(i / 6), 1 + (i % 6) % 3);
      h.recordProcess(t + 3000, `g1/${i % 3}`, "invoke", "g1", "orders", i % 6, Math.floor(i / 6), value, "ok", -1);
      h.recordProcess(t + 4000, `g1/${i % 3}`, "ok", "g1", "orders", i % 6, Math.floor(i / 6), value, "ok", 1);
    }
    const x = h as unknown as { chunks: { bytes?: Uint8Array }[] };
    const packed = x.chunks.filter((c) => c.bytes !== undefined);
    const bytesPerRow = packed.reduce((n, c) => n + (c.bytes as Uint8Array).byteLength, 0) / (packed.length * 4096);
    expect(bytesPerRow).toBeLessThan(7); // 10.3 when each column was told from the previous row of its kind
  });

  it("packs the chunks filled before the threshold too, one more with each chunk packed after it, until all are packed", () => {
    const threshold = 3 * 4096; // rows, and polled records: three chunks
    const plain = new HistoryRecorder();
    const late = new HistoryRecorder({ packFromRows: threshold });
    let sends = 0;
    let polls = 0;
    const send = (h: HistoryRecorder, n: number): void => {
      for (let i = sends; i < sends + n; i++) h.recordSendInvoke(1000 + i, "p1", "orders", null, i, i % 6);
    };
    const poll = (h: HistoryRecorder, n: number): void => {
      // Polls of 1,024 records: four fill a record chunk.
      for (let k = polls; k < polls + n; k++) {
        h.record({ timeUs: 1000 + sends, process: "g1/0", type: "ok", f: "poll", value: { group: "g1", records: Array.from({ length: 1024 }, (_, j) => ({ topic: "orders", partition: j % 6, offset: 1024 * k + j, value: k - j, key: null })) } });
      }
    };
    const step = (nSends: number, nPolls: number): [number, number] => {
      for (const h of [plain, late]) {
        send(h, nSends);
        poll(h, nPolls);
      }
      sends += nSends;
      polls += nPolls;
      const x = late as unknown as { chunks: { bytes?: Uint8Array }[]; recChunks: (Int32Array | Uint8Array)[] };
      return [x.chunks.filter((c) => c.bytes !== undefined).length, x.recChunks.filter((c) => c instanceof Uint8Array).length];
    };
    expect(step(threshold - 12, 12)).toEqual([0, 0]); // three full chunks of rows (with the 12 polls), three of records
    expect(step(1, 1)).toEqual([2, 2]); // a fourth chunk begun: the third packed, and the first
    expect(step(4096, 4)).toEqual([4, 4]); // a fifth: the fourth, and the second
    expect(step(4096, 4)).toEqual([5, 5]); // a sixth: the fifth; the third was packed already: all but the current
    expect(JSON.stringify(late.ops)).toBe(JSON.stringify(plain.ops));
    for (let i = 0; i < plain.length; i += 97) expect(viaAccessors(late, i)).toEqual(viaAccessors(plain, i));
  });
});

describe("the library scenarios' histories", () => {
  const dir = new URL("../scenarios/", import.meta.url);
  const files = readdirSync(dir).filter((f) => f.endsWith(".yaml")).sort();

  it("read back as recorded, op for op (materialised and through the accessors)", () => {
    // What the clients recorded, captured as JSON at the moment of recording (positional sends as the object the
    // columns stand for).
    const recorded: string[] = [];
    const rec = HistoryRecorder.prototype.record;
    const inv = HistoryRecorder.prototype.recordSendInvoke;
    const ok = HistoryRecorder.prototype.recordSendOk;
    const poll = HistoryRecorder.prototype.recordPoll;
    const proc = HistoryRecorder.prototype.recordProcess;
    const spies = [
      vi.spyOn(HistoryRecorder.prototype, "record").mockImplementation(function (this: HistoryRecorder, op) {
        const full = rec.call(this, op);
        recorded.push(JSON.stringify(full));
        return full;
      }),
      vi.spyOn(HistoryRecorder.prototype, "recordSendInvoke").mockImplementation(function (this: HistoryRecorder, timeUs, process, topic, key, value, partition) {
        const index = this.length;
        inv.call(this, timeUs, process, topic, key, value, partition);
        if (this.length > index && recorded.length === index) recorded.push(JSON.stringify({ timeUs, process, type: "invoke", f: "send", value: partition === null ? { topic, key, value } : { topic, key, value, partition }, index }));
      }),
      vi.spyOn(HistoryRecorder.prototype, "recordSendOk").mockImplementation(function (this: HistoryRecorder, timeUs, process, topic, key, value, partition, offset, broker) {
        const index = this.length;
        ok.call(this, timeUs, process, topic, key, value, partition, offset, broker);
        if (recorded.length === index) recorded.push(JSON.stringify({ timeUs, process, type: "ok", f: "send", value: { topic, key: key < 0 ? null : key, value, partition, offset, ...(broker >= 0 ? { broker } : {}) }, index }));
      }),
      vi.spyOn(HistoryRecorder.prototype, "recordPoll").mockImplementation(function (this: HistoryRecorder, timeUs, process, group, items) {
        const index = this.length;
        poll.call(this, timeUs, process, group, items);
        if (recorded.length === index) {
          recorded.push(JSON.stringify({ timeUs, process, type: "invoke", f: "poll", value: { group, records: [] }, index }));
          const records = items.map((w) => ({ topic: w.topic, partition: w.partition, offset: w.message.offset, value: w.message.value, key: w.message.key }));
          recorded.push(JSON.stringify({ timeUs, process, type: "ok", f: "poll", value: { group, records }, index: index + 1 }));
        }
      }),
      vi.spyOn(HistoryRecorder.prototype, "recordProcess").mockImplementation(function (this: HistoryRecorder, timeUs, process, type, group, topic, partition, offset, value, result, attempts) {
        const index = this.length;
        proc.call(this, timeUs, process, type, group, topic, partition, offset, value, result, attempts);
        const v = { group, topic, partition, offset, value, result };
        if (recorded.length === index) recorded.push(JSON.stringify({ timeUs, process, type, f: "process", value: attempts < 0 ? v : { ...v, attempts }, index }));
      }),
    ];
    try {
      let total = 0;
      for (const f of files) {
        recorded.length = 0;
        const r = runScenario(parseScenario(readFileSync(new URL(f, dir), "utf8"), { file: f }));
        const h = historyColumns(r);
        expect(h).toBe(r.historyColumns);
        expect(r.history.map((op) => JSON.stringify(op)), f).toEqual(recorded);
        expect(JSON.stringify(r.history.map((_, i) => viaAccessors(h, i))), f).toBe(JSON.stringify(r.history.map(fromObject)));
        // The per-record ops are columns: only the rare ones are objects.
        const perRecord = h.objectIndices().filter((i) => h.f(i) === "process" || (h.f(i) === "poll" && h.error(i) === undefined) || (h.f(i) === "send" && (h.type(i) === "invoke" || (h.type(i) === "ok" && h.offset(i) !== undefined)) && h.error(i) === undefined));
        expect(perRecord, f).toEqual([]);
        total += h.length;
      }
      expect(total).toBeGreaterThan(10_000);
    } finally {
      for (const s of spies) s.mockRestore();
    }
  });
});
