// Kafka's safe configuration (acks=all, min ISR 2 on RF 3, clean election, idempotence, commit after
// processing, protocol 3.7; fsync per message so that power loss is no excuse, fact 27) under a swarm of faults.
// The property: no bug verdict at all — no anomaly the oracle does not permit — and in particular no lost write,
// uncommitted read, duplicate, reorder, phantom or replica-invariant violation. (It found three simulator bugs
// while they lasted: records acknowledged but never written after a producer epoch bump, duplicates from
// re-sequenced retries, and a group resuming below an acknowledged commit after a coordinator failover.)
import { describe, it, expect } from "vitest";
import fc from "fast-check";
import type { AnomalyType } from "../sim/scenario/types.ts";
import { SAFE_KNOBS, fuzzValueArb, toScenario, describeFuzzValue } from "./arbitraries.ts";
import type { FuzzKnobs } from "./arbitraries.ts";
import { runAndJudge } from "./run.ts";
import { seedFor } from "./seeds.ts";

const HARD: readonly AnomalyType[] = ["lost-write", "uncommitted-read", "duplicate", "nonmonotonic-send", "phantom", "log-divergence", "leader-incomplete", "strong-isr"];

/** Returns the number of runs made. */
const EOS_HARD: readonly AnomalyType[] = [...HARD, "duplicate-output", "aborted-read", "lost-transaction", "torn-transaction", "hanging-transaction"];

/** `zombieHang`: a hanging transaction is no failure when the oracle permits it (transaction-open-at-end) and the
 *  transactional producer was fenced by an EndTxn answer (txn-end-fenced) — transaction.version 2's zombie-coordinator
 *  hazard (kafka-facts T15): the real coordinator holds the transaction open until transaction.timeout.ms. */
function safeProperty(name: string, knobs: FuzzKnobs, numRuns: number, varyPartitions: boolean, hardTypes: readonly AnomalyType[] = HARD, zombieHang = false): number {
  let runs = 0;
  const soft = new Map<string, { count: number; example: string }>();
  fc.assert(
    fc.property(fuzzValueArb({ knobs, swarm: true, varyPartitions }), (v) => {
      runs++;
      const { judgement: j, result } = runAndJudge(toScenario(v));
      const endFenced = zombieHang && result.evidence.some((e) => e.type === "txn-end-fenced");
      const tolerated = (a: (typeof j.anomalies)[number]): boolean => endFenced && a.type === "hanging-transaction" && a.allowedBecause?.rule === "transaction-open-at-end";
      const hard = j.anomalies.filter((a) => (hardTypes.includes(a.type) && !tolerated(a)) || !a.allowed);
      if (hard.length > 0) throw new Error(`${describeFuzzValue(v)}\n${hard.slice(0, 3).map((a) => `${a.type}: ${a.explanation}`).join("\n")}`);
      for (const a of j.anomalies) {
        if (a.allowed) continue;
        const s = soft.get(a.type);
        if (s) s.count++;
        else soft.set(a.type, { count: 1, example: `${describeFuzzValue(v)}\n${a.explanation}` });
      }
    }),
    { seed: seedFor(name), numRuns },
  );
  for (const [type, s] of soft) console.warn(`[${name}] not permitted by the oracle (simulator bug?): ${type} ×${s.count}; e.g.\n${s.example}`);
  return runs;
}

describe("safe configuration under swarm faults", () => {
  it("producers on 1–3 partitions: no bug verdict, no lost write, duplicate, reorder or replica divergence", () => {
    expect(safeProperty("safe producers", { ...SAFE_KNOBS, flushEveryMessage: true }, 150, true)).toBe(150);
  });
  it("with a consumer group: no bug verdict, no lost write, uncommitted read, duplicate, reorder or phantom", () => {
    expect(safeProperty("safe group", { ...SAFE_KNOBS, flushEveryMessage: true, commit: "after-processing" }, 60, false)).toBe(60);
  });
  // The exactly-once property (issue #14) at CI budget; `kafkasim fuzz --set acks=all --set min.insync.replicas=2
  // --set unclean.leader.election.enable=false --set delivery=exactly-once --set transactional.id=tx-1` runs it at
  // any budget (README: 10,000 runs). On 4.1 (transaction.version 2) a client talks to its coordinator only at
  // EndTxn: a coordinator deposed without knowing it answers from its stale Prepare* state, PRODUCER_FENCED (fatal),
  // and the real one holds the transaction open until its timeout — Kafka's behaviour (kafka-facts T15), tolerated
  // here only as that (a permitted hanging transaction in a run whose EndTxn was fenced).
  for (const protocol of ["3.7", "4.1"] as const) {
    it(`an exactly-once pipeline fed by a transactional producer (${protocol}): no duplicate output, aborted read, lost, torn or hanging transaction`, () => {
      const knobs: FuzzKnobs = { ...SAFE_KNOBS, protocol, flushEveryMessage: true, commit: "after-processing", pipeline: "exactly-once", transactional: true, members: 2 };
      expect(safeProperty(`safe exactly-once ${protocol}`, knobs, 40, false, EOS_HARD, protocol === "4.1")).toBe(40);
    });
  }
});
