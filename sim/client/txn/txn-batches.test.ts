// The transactional producer's accumulator (txn-batches.ts) end to end: records leave while their transaction is
// open, as their batches are ready (linger.ms, batch.size); a partition new to the transaction is added before its
// first batch leaves (AddPartitionsToTxn gathering the partitions new at once); EndTxn only once every send of the
// transaction is acknowledged. Read off the brokers' trace: each produce-append is one batch written, each
// txn-transition the coordinator's state (Ongoing with the partitions added so far, PrepareCommit on EndTxn).
import { describe, it, expect } from "vitest";
import { buildScenario } from "../../scenario/defaults.ts";
import type { ScenarioInput } from "../../scenario/defaults.ts";
import { runScenario } from "../../world.ts";
import type { RunResult } from "../../result.ts";

// A steady transaction, well after the start's backlog (records generated while the producer found its metadata and
// coordinator): its records come one every 5 ms.
function run(producer: { ratePerSec: number; records: number; lingerMs?: number; keys?: number }, partitions = 2): RunResult {
  const input: ScenarioInput = {
    seed: 1,
    // 2.7: no partition verification (KIP-890 part 1), so a batch reaches the log as soon as the leader has it.
    protocol: "2.7",
    durationMs: 2000,
    drainMs: 3000,
    broker: { "group.initial.rebalance.delay.ms": 0, "offsets.topic.num.partitions": 1, "transaction.state.log.num.partitions": 1 },
    topics: [{ name: "orders", partitions }],
    producers: [{ id: "p1", topic: "orders", ratePerSec: producer.ratePerSec, keys: producer.keys ?? 0, transaction: { records: producer.records }, config: { "transactional.id": "tx-1", "linger.ms": producer.lingerMs ?? 0 } }],
  };
  return runScenario(buildScenario(input), { record: true });
}

interface Txn {
  readonly values: readonly number[];
  /** Ongoing transitions: time and the partitions added so far. */
  readonly ongoing: readonly { readonly timeUs: number; readonly partitions: readonly string[] }[];
  /** The EndTxn's PrepareCommit. */
  readonly prepareUs: number;
  /** Batches written to the topic while it was open: time, partition, records. */
  readonly appends: readonly { readonly timeUs: number; readonly tp: string; readonly count: number }[];
}

/** The committed transactions, each with what the coordinator and the leaders saw of it. */
function transactions(r: RunResult): Txn[] {
  const out: Txn[] = [];
  let ongoing: { timeUs: number; partitions: readonly string[] }[] = [];
  let appends: { timeUs: number; tp: string; count: number }[] = [];
  let prepareUs = -1;
  for (const e of r.trace) {
    if (e.type === "txn-transition" && e.state === "Ongoing") ongoing.push({ timeUs: e.timeUs, partitions: e.partitions });
    else if (e.type === "txn-transition" && e.state === "PrepareCommit") prepareUs = e.timeUs;
    // From the transaction's first partition added to its EndTxn (the previous one's markers are written before).
    else if (e.type === "produce-append" && e.tp.startsWith("orders-") && ongoing.length > 0 && prepareUs < 0) appends.push({ timeUs: e.timeUs, tp: e.tp, count: e.count });
    else if (e.type === "txn-ended" && e.commit) {
      out.push({ values: e.values, ongoing, prepareUs, appends });
      ongoing = [];
      appends = [];
      prepareUs = -1;
    }
  }
  return out;
}

describe("the transactional producer's accumulator", () => {
  it("sends a transaction's records as they come (linger.ms 0): ten records over 50 ms, ten produce requests", () => {
    const txns = transactions(run({ ratePerSec: 200, records: 10 })).filter((t) => t.values[0] === 300);
    expect(txns.length).toBe(1);
    const t = txns[0] as Txn;
    // A record every 5 ms, each acknowledged before the next: each is a batch of its own, written while the
    // transaction is open. Records without a key stick to a partition until its batch leaves (KIP-480), then move
    // to another: over two partitions, one after the other.
    expect(t.appends.map((a) => a.count)).toEqual([1, 1, 1, 1, 1, 1, 1, 1, 1, 1]);
    expect(t.appends.map((a) => a.tp)).toEqual(["orders-1", "orders-0", "orders-1", "orders-0", "orders-1", "orders-0", "orders-1", "orders-0", "orders-1", "orders-0"]);
    expect((t.appends[9]?.timeUs ?? 0) - (t.appends[0]?.timeUs ?? 0)).toBeGreaterThan(40_000);
  });

  it("waits linger.ms for more records: with linger.ms 20 a batch takes the records of 20 ms, the last leave at the commit's flush", () => {
    const t = transactions(run({ ratePerSec: 200, records: 10, lingerMs: 20 })).find((x) => x.values[0] === 300) as Txn;
    // orders-0's batch is ready 20 ms after its first record, holding four; the sticky partition then moves to
    // orders-1 for the next four; the last two (orders-0 again) leave at once when the transaction commits
    // (RecordAccumulator: transaction completing), not 20 ms later.
    expect(t.appends.map((a) => [a.tp, a.count])).toEqual([
      ["orders-0", 4],
      ["orders-1", 4],
      ["orders-0", 2],
    ]);
  });

  it("adds a partition to the transaction before its first batch leaves, the partitions new at once in one AddPartitionsToTxn", () => {
    const t = transactions(run({ ratePerSec: 200, records: 10 })).find((x) => x.values[0] === 300) as Txn;
    // orders-1's first record opens the transaction; orders-0 joins it 5 ms later, with a request of its own.
    expect(t.ongoing.map((o) => o.partitions)).toEqual([["orders-1"], ["orders-1", "orders-0"]]);
    const firstWrite = (tp: string): number => t.appends.find((a) => a.tp === tp)?.timeUs ?? -1;
    const added = (tp: string): number => t.ongoing.find((o) => o.partitions.includes(tp))?.timeUs ?? Infinity;
    expect(firstWrite("orders-0")).toBeGreaterThan(added("orders-0"));
    expect(firstWrite("orders-1")).toBeGreaterThan(added("orders-1"));
    // orders-1's first batch is written before orders-0 is even in the transaction: records leave as they come.
    expect(firstWrite("orders-1")).toBeLessThan(added("orders-0"));
    // At 5,000 records/s a tick carries five records, with keys spread over four partitions: the transaction's first
    // records name all four at once, and one AddPartitionsToTxn adds them.
    const burst = transactions(run({ ratePerSec: 5000, records: 20, keys: 1000 }, 4)).slice(10, 20);
    expect(burst.map((x) => x.ongoing[0]?.partitions.length)).toEqual([4, 4, 4, 4, 4, 4, 4, 4, 4, 4]);
    for (const x of burst) for (const a of x.appends) expect(a.timeUs).toBeGreaterThan(x.ongoing.find((o) => o.partitions.includes(a.tp))?.timeUs ?? Infinity);
  });

  it("sends EndTxn only once every record of the transaction is acknowledged", () => {
    const r = run({ ratePerSec: 5000, records: 20 }, 4);
    const ackedUs = new Map<number, number>();
    for (const op of r.history) if (op.f === "send" && op.type === "ok") ackedUs.set(op.value.value, op.timeUs);
    const txns = transactions(r);
    expect(txns.length).toBe(475);
    // Twenty records each; the last one commits the 15 generated before the workload ended.
    expect(txns.map((t) => t.values.length).filter((n) => n !== 20)).toEqual([15]);
    for (const t of txns) for (const v of t.values) expect(ackedUs.get(v) ?? Infinity).toBeLessThan(t.prepareUs);
  });
});
