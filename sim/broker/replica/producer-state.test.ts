// Idempotent producer state across leader changes and restarts (fact 19): the producer epoch of every batch
// is kept in the log, so a replica that becomes leader (after a restart or a fail-over) rebuilds per producer
// its epoch and last batches (ProducerStateManager / UnifiedLog.rebuildProducerState). A producer that bumped
// its epoch (KIP-360) and restarted its sequences at 0 must get fresh appends, never "duplicates" of records
// written under the old epoch.
import { describe, it, expect } from "vitest";
import { CLIENT, CTL, Kit } from "../testkit.ts";
import { ProducerState } from "./producer-state.ts";
import { LogFile } from "../../disk/disk.ts";
import { Rng } from "../../core/rng.ts";

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

describe("producer state kept up to date range by range", () => {
  /** Every answer check() gives for a grid of (producer, epoch, sequence, count): what a state decides. */
  function answers(st: ProducerState): string[] {
    const out: string[] = [];
    for (const pid of [1, 2, 3, 9]) for (let epoch = -1; epoch <= 3; epoch++) for (let seq = 0; seq < 40; seq += 3) for (const n of [1, 4]) out.push(`${st.check(pid, epoch, seq, n)}@${st.duplicateOffset}`);
    return out;
  }

  it("applyRange over consecutive pieces equals a rebuild of the whole log; a clone is independent", () => {
    const rng = new Rng(11);
    const log = new LogFile();
    const seqs = new Map<number, number>();
    const epochs = new Map<number, number>();
    for (let i = 0; i < 400; i++) {
      const pid = rng.int(0, 3); // 0: no producer id (a non-idempotent record)
      if (pid === 0) {
        log.append(0, i, -1, -1, -1, 0, -1);
        continue;
      }
      if (rng.next() < 0.03) {
        epochs.set(pid, (epochs.get(pid) ?? 0) + 1); // an epoch bump restarts the sequence
        seqs.set(pid, 0);
      }
      const seq = seqs.get(pid) ?? 0;
      const n = rng.int(1, 5);
      for (let k = 0; k < n; k++) log.append(0, i, -1, pid, seq + k, 0, epochs.get(pid) ?? 0);
      seqs.set(pid, seq + n);
    }
    const whole = new ProducerState();
    whole.rebuild(log);
    const pieces = new ProducerState();
    for (let from = 0; from < log.length; ) {
      const to = Math.min(log.length, from + rng.int(0, 37));
      pieces.applyRange(log, from, to);
      from = to;
    }
    expect(answers(pieces)).toEqual(answers(whole));
    const copy = pieces.clone();
    copy.update(1, 9, 0, 0, 999);
    expect(answers(pieces)).toEqual(answers(whole));
    expect(answers(copy)).not.toEqual(answers(whole));
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

  it("a replica whose log was truncated since it last led forgets the truncated batches (Kafka reloads producer state after a truncation)", () => {
    const k = new Kit().start();
    k.isolate(2, [CTL, CLIENT]);
    k.produce(1, [1, 2], { producerId: 7, producerEpoch: 0, baseSequence: 0, acks: 1 });
    k.produce(1, [3, 4], { producerId: 7, producerEpoch: 0, baseSequence: 2, acks: 1 });
    k.run(20); // broker 3 has offsets 0..3, broker 2 nothing
    k.ctl.elect("t-0", 3, [3, 1, 2]); // broker 3 leads: its producer state covers 0..3
    k.run(20);
    k.kill(1);
    k.heal();
    k.ctl.elect("t-0", 2, [2, 3]); // broker 2 leads with an empty log: broker 3 truncates to 0
    k.run(50);
    expect(k.values(3)).toEqual(k.values(2));
    k.ctl.elect("t-0", 3, [3, 2]);
    k.run(20);
    // The producer retries its second batch: broker 3 must not answer it as a duplicate at offset 2 (gone).
    const retry = k.produce(3, [3, 4], { producerId: 7, producerEpoch: 0, baseSequence: 2, acks: 1 });
    k.run(20);
    // Broker 3's log is empty now: producer 7 is unknown and sequence 2 is out of order (never a duplicate at
    // offset 2, which it no longer holds).
    expect(k.produceResult(retry)).toEqual({ error: "OUT_OF_ORDER_SEQUENCE_NUMBER", baseOffset: -1 });
    expect(k.values(3)).toEqual([]);
  });
});
