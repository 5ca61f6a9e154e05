import { describe, it, expect } from "vitest";
import { murmur2, partitionForKey } from "./partitioner.ts";
import { rangeAssign, roundRobinAssign } from "./assignors.ts";
import { javaStringHash, offsetsPartitionFor } from "../broker/group/partition.ts";

const bytes = (s: string): number[] => [...Buffer.from(s, "utf8")];

describe("murmur2 (Kafka UtilsTest vectors)", () => {
  it("matches Kafka's Utils.murmur2", () => {
    expect(murmur2(bytes("21"))).toBe(-973932308);
    expect(murmur2(bytes("foobar"))).toBe(-790332482);
    expect(murmur2(bytes("a-little-bit-long-string"))).toBe(-985981536);
    expect(murmur2(bytes("a-little-bit-longer-string"))).toBe(-1486304829);
    expect(murmur2(bytes("lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8"))).toBe(-58897971);
    expect(murmur2(bytes("abc"))).toBe(479470107);
  });
  it("partitions an integer key over its 4 big-endian bytes", () => {
    expect(partitionForKey(7, 6)).toBe((murmur2([0, 0, 0, 7]) & 0x7fffffff) % 6);
    expect(partitionForKey(-1, 5)).toBe((murmur2([255, 255, 255, 255]) & 0x7fffffff) % 5);
  });
});

describe("group partition (Java String.hashCode)", () => {
  it("hashes like Java", () => {
    expect(javaStringHash("hello")).toBe(99162322);
    expect(javaStringHash("polygenelubricants")).toBe(-2147483648);
    expect(offsetsPartitionFor("polygenelubricants", 50)).toBe(0);
  });
});

describe("assignors", () => {
  const members = [
    { memberId: "b", topics: ["t"] },
    { memberId: "a", topics: ["t"] },
  ];
  it("range: consecutive ranges, the first members by id get the extra partition", () => {
    const out = rangeAssign(members, new Map([["t", 5]]));
    expect(out.find((m) => m.memberId === "a")?.partitions.map((p) => p.partition)).toEqual([0, 1, 2]);
    expect(out.find((m) => m.memberId === "b")?.partitions.map((p) => p.partition)).toEqual([3, 4]);
  });
  it("round-robin: dealt in turn", () => {
    const out = roundRobinAssign(members, new Map([["t", 5]]));
    expect(out.find((m) => m.memberId === "a")?.partitions.map((p) => p.partition)).toEqual([0, 2, 4]);
    expect(out.find((m) => m.memberId === "b")?.partitions.map((p) => p.partition)).toEqual([1, 3]);
  });
});
