import { describe, it, expect } from "vitest";
import { Trace, RunningHash } from "./trace.ts";
import { asTimeUs, msToUs, secToUs, usToMs, formatUs, addUs } from "./time.ts";
import { brokerNode, brokerOfNode, parseTpKey, tpKey } from "./ids.ts";

type Ev = { readonly type: "a"; readonly n: number; readonly tags: readonly string[] } | { readonly type: "b"; readonly who: string };

describe("Trace", () => {
  it("hashes every event whether recording or not, and stores them only when recording", () => {
    const on = new Trace<Ev>(true);
    const off = new Trace<Ev>(false);
    for (const t of [on, off]) {
      t.emit(asTimeUs(5), { type: "a", n: 1, tags: ["x"] });
      t.emit(asTimeUs(9), { type: "b", who: "broker-1" });
    }
    expect(on.traceHash).toBe(off.traceHash);
    expect(off.events).toEqual([]);
    expect(on.events).toEqual([
      { type: "a", n: 1, tags: ["x"], timeUs: 5 },
      { type: "b", who: "broker-1", timeUs: 9 },
    ]);
  });

  it("the hash depends on type, time and payload", () => {
    const h = (ev: Ev, t = 5): string => {
      const tr = new Trace<Ev>(false);
      tr.emit(asTimeUs(t), ev);
      return tr.traceHash;
    };
    const base = h({ type: "a", n: 1, tags: ["x"] });
    expect(h({ type: "a", n: 1, tags: ["x"] })).toBe(base);
    expect(h({ type: "a", n: 1, tags: ["x"] }, 6)).not.toBe(base);
    expect(h({ type: "a", n: 2, tags: ["x"] })).not.toBe(base);
    expect(h({ type: "a", n: 1, tags: ["y"] })).not.toBe(base);
    expect(h({ type: "a", n: 1, tags: ["x", "x"] })).not.toBe(base);
    expect(h({ type: "b", who: "broker-1" })).not.toBe(h({ type: "b", who: "broker-2" }));
  });

  it("listeners see every event, recorded or not", () => {
    const t = new Trace<Ev>(false);
    const seen: [number, string][] = [];
    t.onEmit((at, ev) => seen.push([at, ev.type]));
    t.emit(asTimeUs(1), { type: "b", who: "x" });
    t.emit(asTimeUs(2), { type: "a", n: 0, tags: [] });
    expect(seen).toEqual([
      [1, "b"],
      [2, "a"],
    ]);
  });

  it("RunningHash tells apart values above 2^32 and orders of mixing", () => {
    const hex = (...xs: number[]): string => {
      const h = new RunningHash();
      for (const x of xs) h.mix(x);
      return h.hex();
    };
    expect(hex(1, 2)).not.toBe(hex(2, 1));
    expect(hex(2 ** 32 + 7)).not.toBe(hex(7));
    expect(hex(1, 2)).toMatch(/^[0-9a-f]{16}$/);
  });
});

describe("time and ids", () => {
  it("converts Kafka's milliseconds to whole microseconds", () => {
    expect(msToUs(0.5)).toBe(500);
    expect(msToUs(30_000)).toBe(30_000_000);
    expect(msToUs(0.0004)).toBe(0);
    expect(secToUs(1.5)).toBe(1_500_000);
    expect(usToMs(msToUs(12.345))).toBe(12.345);
    expect(addUs(msToUs(1), 5)).toBe(1005);
    expect(formatUs(12_345)).toBe("12.345ms");
  });

  it("names brokers and topic partitions the way Kafka does", () => {
    expect(brokerNode(2)).toBe("broker-2");
    expect(brokerOfNode(brokerNode(17))).toBe(17);
    expect(brokerOfNode("zk" as never)).toBeUndefined();
    expect(tpKey("orders", 3)).toBe("orders-3");
    expect(parseTpKey("my-topic-12")).toEqual({ topic: "my-topic", partition: 12 });
    expect(parseTpKey("nopartition")).toBeUndefined();
  });
});
