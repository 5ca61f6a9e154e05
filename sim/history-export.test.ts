import { describe, it, expect } from "vitest";
import { HistoryRecorder } from "./history.ts";
import { fromJsonLines, toJepsenEdn, toJsonLines } from "./history-export.ts";

function sample(): HistoryRecorder {
  const h = new HistoryRecorder();
  h.record({ timeUs: 10, process: "p1", type: "invoke", f: "send", value: { topic: "orders", key: null, value: 7 } });
  h.record({ timeUs: 20, process: "p1", type: "ok", f: "send", value: { topic: "orders", key: 3, value: 7, partition: 1, offset: 4 } });
  h.record({ timeUs: 30, process: "p1", type: "fail", f: "send", value: { topic: "orders", key: null, value: 8, partition: 0, error: "NOT_ENOUGH_REPLICAS", policy: "log" } });
  h.record({ timeUs: 35, process: "g1/0", type: "invoke", f: "poll", value: { group: "g1", records: [] } });
  h.record({ timeUs: 40, process: "g1/0", type: "ok", f: "poll", value: { group: "g1", records: [{ topic: "orders", partition: 1, offset: 4, value: 7, key: 3 }] } });
  h.record({ timeUs: 50, process: "g1/0", type: "fail", f: "commit", value: { group: "g1", generation: 2, offsets: [{ topic: "orders", partition: 1, offset: 5 }], mode: "sync", error: "COMMIT_FAILED" } });
  h.record({ timeUs: 60, process: "g1/\"x", type: "info", f: "crash", value: null });
  return h;
}

describe("history export", () => {
  it("JSON lines round-trip", () => {
    const h = sample();
    const text = toJsonLines(h.ops);
    expect(text.split("\n").length).toBe(h.ops.length + 1);
    expect(fromJsonLines(text)).toEqual(h.ops);
  });

  it("Jepsen EDN: one map per op with :type, :f, :value, :process, :time (ns) and :index", () => {
    const lines = toJepsenEdn(sample().ops).trim().split("\n");
    expect(lines[0]).toBe('{:index 0, :time 10000, :type :invoke, :process 0, :client "p1", :f :send, :value [[:send "orders" 7]]}');
    expect(lines[1]).toBe('{:index 1, :time 20000, :type :ok, :process 0, :client "p1", :f :send, :value [[:send "orders-1" [4 7]]], :key 3}');
    expect(lines[2]).toContain(":type :fail");
    expect(lines[2]).toContain(":error :not-enough-replicas, :policy :log");
    expect(lines[3]).toBe('{:index 3, :time 35000, :type :invoke, :process 1, :client "g1/0", :f :poll, :value [[:poll]], :group "g1"}');
    lines.splice(3, 1);
    expect(lines[3]).toBe('{:index 4, :time 40000, :type :ok, :process 1, :client "g1/0", :f :poll, :value [[:poll {"orders-1" [[4 7]]}]], :group "g1"}');
    expect(lines[4]).toContain(':value {"orders-1" 5}, :group "g1", :generation 2, :mode :sync, :error :commit-failed');
    expect(lines[5]).toContain(':client "g1/\\"x"');
    expect(lines[5]).toContain(":f :crash, :value nil");
  });
});
