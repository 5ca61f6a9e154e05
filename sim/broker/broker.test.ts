// The broker as group host (sim/broker/group/host.ts): committed offsets are acks=all appends to
// __consumer_offsets (GroupMetadataManager.storeOffsets → ReplicaManager.appendRecords with requiredAcks = -1).
import { describe, it, expect } from "vitest";
import { Kit } from "./testkit.ts";
import { brokerNode } from "../core/ids.ts";
import { OFFSETS_TOPIC } from "./group/host.ts";
import type { KafkaErrorCode } from "../kafka/errors.ts";

describe("Broker as GroupHost", () => {
  it("appendOffsets completes once replicated; readOffsets reads up to the log end (GroupMetadataManager.doLoadGroupsAndOffsets)", () => {
    const k = new Kit({ topics: [{ name: OFFSETS_TOPIC, partitions: 1 }] }).start();
    const b1 = k.broker(1);
    expect(b1.isOffsetsLeader(0)).toBe(true);
    expect(k.broker(2).isOffsetsLeader(0)).toBe(false);
    const results: KafkaErrorCode[] = [];
    const key = b1.internKey("g/t/0");
    k.rt.inject(brokerNode(1), (_a, ctx) => b1.appendOffsets(ctx, 0, [key], [17], 5000, (e) => results.push(e)));
    expect(results).toEqual([]); // appended, not yet replicated: the commit is not acknowledged yet
    expect(b1.readOffsets(0).count).toBe(1); // but a coordinator loading now would see it (it reads to the LEO)
    k.run(20);
    expect(results).toEqual(["NONE"]);
    const r = b1.readOffsets(0);
    expect(r.count).toBe(1);
    expect([r.keys[0], r.values[0]]).toEqual([key, 17]);
    expect(b1.keyName(key)).toBe("g/t/0");
  });

  it("cachedOffsetsLeader (what FindCoordinator answers) is the leader in the metadata cache, on every broker, while that broker is alive there", () => {
    const k = new Kit({ topics: [{ name: OFFSETS_TOPIC, partitions: 2 }] }).start();
    expect([1, 2, 3].map((b) => [k.broker(b).cachedOffsetsLeader(0), k.broker(b).cachedOffsetsLeader(1)])).toEqual([
      [1, 2],
      [1, 2],
      [1, 2],
    ]);
    // The controller's next UpdateMetadata no longer lists broker 1 as alive, its leadership not moved yet.
    k.ctl.live.delete(1);
    k.ctl.send([]);
    k.run(5);
    expect([1, 2, 3].map((b) => [k.broker(b).cachedOffsetsLeader(0), k.broker(b).cachedOffsetsLeader(1)])).toEqual([
      [null, 2],
      [null, 2],
      [null, 2],
    ]);
  });

  it("appendOffsets fails with NOT_LEADER_OR_FOLLOWER on a follower and times out without replication", () => {
    const k = new Kit({ topics: [{ name: OFFSETS_TOPIC, partitions: 1 }] }).start();
    const results: KafkaErrorCode[] = [];
    k.rt.inject(brokerNode(2), (_a, ctx) => k.broker(2).appendOffsets(ctx, 0, [1], [1], 5000, (e) => results.push(e)));
    k.isolate(2);
    k.isolate(3);
    k.rt.inject(brokerNode(1), (_a, ctx) => k.broker(1).appendOffsets(ctx, 0, [1], [1], 1000, (e) => results.push(e)));
    k.run(1500);
    expect(results).toEqual(["NOT_LEADER_OR_FOLLOWER", "REQUEST_TIMED_OUT"]);
  });
});
