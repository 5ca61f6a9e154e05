// The recorder keeps sends as columns and materialises them on read: what comes out must be exactly what the
// object form recorded, in order, across chunk boundaries, with or without listeners.
import { describe, expect, it } from "vitest";
import { HistoryRecorder, countSendsAcked } from "./history.ts";
import type { HistoryOp } from "./history.ts";

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
    const { columnar, objects } = both(20_000); // > 2 chunks of 8192 rows
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
