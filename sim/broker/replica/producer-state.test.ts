// Idempotent producer state across leader changes and restarts (fact 19): the producer epoch of every batch
// is kept in the log, so a replica that becomes leader (after a restart or a fail-over) rebuilds per producer
// its epoch and last batches (ProducerStateManager / UnifiedLog.rebuildProducerState). A producer that bumped
// its epoch (KIP-360) and restarted its sequences at 0 must get fresh appends, never "duplicates" of records
// written under the old epoch.
import { describe, it, expect } from "vitest";
import { Kit } from "../testkit.ts";
import { ProducerState } from "./producer-state.ts";
import { LogFile } from "../../disk/disk.ts";

describe("producer state rebuilt from the log", () => {
  it("remembers each producer's epoch: sequence 0 of a bumped epoch is new, an older epoch is fenced", () => {
    const log = new LogFile();
    for (let s = 0; s < 4; s++) log.append(0, 100 + s, -1, 7, s, 0, 0);
    const st = new ProducerState();
    st.rebuild(log);
    expect(st.check(7, 0, 2, 1)).toBe("DUPLICATE");
    expect(st.duplicateOffset).toBe(2);
    expect(st.check(7, 0, 4, 1)).toBe("NONE");
    expect(st.check(7, 1, 0, 1)).toBe("NONE");
    expect(st.check(7, 1, 3, 1)).toBe("OUT_OF_ORDER_SEQUENCE_NUMBER");
    expect(st.check(7, -1 + 0, 0, 1)).toBe("INVALID_PRODUCER_EPOCH");
  });

  it("a new epoch in the log replaces the old one's batches", () => {
    const log = new LogFile();
    log.append(0, 1, -1, 7, 0, 0, 0);
    log.append(0, 2, -1, 7, 1, 0, 0);
    log.append(0, 3, -1, 7, 0, 0, 1); // epoch 1 restarted at sequence 0
    const st = new ProducerState();
    st.rebuild(log);
    expect(st.check(7, 1, 0, 1)).toBe("DUPLICATE");
    expect(st.duplicateOffset).toBe(2);
    expect(st.check(7, 1, 1, 1)).toBe("NONE");
    expect(st.check(7, 0, 2, 1)).toBe("INVALID_PRODUCER_EPOCH");
  });
});

describe("idempotent appends after a restart or fail-over", () => {
  it("a restarted leader appends a bumped epoch's sequence 0 instead of acknowledging it at offset 0", () => {
    const k = new Kit().start();
    const first = k.produce(1, [10, 11, 12], { producerId: 7, producerEpoch: 0, baseSequence: 0 });
    k.run(20);
    expect(k.produceResult(first)).toEqual({ error: "NONE", baseOffset: 0 });
    // every broker restarts (kill keeps the page cache); the last one down leads again
    for (const b of [1, 2, 3]) {
      k.kill(b);
      k.ctl.failBroker(b);
    }
    for (const b of [1, 2, 3]) k.restart(b);
    for (const b of [1, 2, 3]) k.ctl.restartBroker(b);
    k.run(50);
    const leader = k.leaderOf();
    expect(k.part(leader).isLeader).toBe(true);
    const bumped = k.produce(leader, [20], { producerId: 7, producerEpoch: 1, baseSequence: 0 });
    k.run(50);
    expect(k.produceResult(bumped)).toEqual({ error: "NONE", baseOffset: 3 });
    expect(k.values(leader)).toEqual([10, 11, 12, 20]);
  });

  it("a new leader after a fail-over does the same (its producer state comes from the replicated log)", () => {
    const k = new Kit().start();
    k.produce(1, [10, 11], { producerId: 7, producerEpoch: 0, baseSequence: 0 });
    k.run(20);
    k.kill(1);
    k.ctl.failBroker(1);
    k.run(20);
    const leader = k.leaderOf();
    const retry = k.produce(leader, [10, 11], { producerId: 7, producerEpoch: 0, baseSequence: 0 });
    const bumped = k.produce(leader, [30], { producerId: 7, producerEpoch: 1, baseSequence: 0 });
    k.run(20);
    expect(k.produceResult(retry)).toEqual({ error: "NONE", baseOffset: 0 });
    expect(k.produceResult(bumped)).toEqual({ error: "NONE", baseOffset: 2 });
    expect(k.values(leader)).toEqual([10, 11, 30]);
  });
});
