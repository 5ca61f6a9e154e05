import { describe, it, expect } from "vitest";
import { producerSpec } from "../scenario/defaults.ts";
import type { ProducerInput } from "../scenario/defaults.ts";
import { FakeCluster } from "./testkit.ts";
import type { SendValue } from "../history.ts";

const TOPIC = "orders";

function cluster(p: ProducerInput, opts: { partitions?: number; workloadMs?: number } = {}): FakeCluster {
  return new FakeCluster({ topics: [{ name: TOPIC, partitions: opts.partitions ?? 1 }, { name: `${TOPIC}.dlt`, partitions: 1 }], producers: [producerSpec(p)], workloadMs: opts.workloadMs ?? 1000 });
}

function counts(values: readonly number[]): Map<number, number> {
  const m = new Map<number, number>();
  for (const v of values) m.set(v, (m.get(v) ?? 0) + 1);
  return m;
}

describe("producer basics", () => {
  it("sends every record once and records invoke/ok with partition and offset", () => {
    const c = cluster({ id: "p1", topic: TOPIC, ratePerSec: 100, messages: 20 }, { partitions: 3 });
    c.run(3000);
    expect(c.values(TOPIC).length).toBe(20);
    const oks = c.ops("send").filter((o) => o.type === "ok");
    expect(oks.length).toBe(20);
    for (const o of oks) {
      const v = o.value as SendValue;
      expect(c.log(TOPIC, v.partition as number).values[v.offset as number]).toBe(v.value);
    }
  });
});
