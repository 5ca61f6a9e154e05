// Shrunk fuzz counterexamples (npx kafkasim fuzz --time 30 --seed 777, 4242) that had a `bug` verdict, triaged: each
// was a simulator bug or an oracle gap, fixed; replaying the scenario must no longer show it as a bug.
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, it, expect } from "vitest";
import { parseScenario } from "../sim/scenario/parse.ts";
import { runAndJudge } from "./run.ts";
import { groupRecoveryMs } from "./arbitraries.ts";

const DIR = new URL("./examples/fuzz-triage/", import.meta.url).pathname;

describe("triaged fuzz counterexamples", () => {
  // An idempotent producer with max.in.flight.requests.per.connection=1 sent the next batch to a new leader while
  // the previous one was still in flight to the powered-off old leader; that batch's retry then came back
  // OUT_OF_ORDER_SEQUENCE_NUMBER (its sequence was older than the 5 retained batches), was re-sequenced under a
  // bumped epoch and written a second time. Kafka mutes the partition when max.in.flight is 1 (guaranteeMessageOrder).
  const dups = readdirSync(DIR).filter((f) => f.startsWith("fuzz-duplicate-"));
  it("has the duplicate counterexamples", () => {
    expect(dups.length).toBe(4);
  });
  for (const f of dups) {
    it(`${f}: an idempotent producer with in-flight 1 writes no duplicate`, () => {
      const scenario = parseScenario(readFileSync(join(DIR, f), "utf8"), { file: f });
      const { judgement } = runAndJudge(scenario);
      expect(judgement.anomalies.filter((a) => a.type === "duplicate")).toEqual([]);
      expect(judgement.verdict).not.toBe("bug");
    });
  }

  // Every log-divergence / strong-isr counterexample was on __consumer_offsets-0 (power loss without fsync on 3.7
  // and 2.0, protocol 0.10 / 0.11 after leader changes): the oracle's broker-level permissions now cover it.
  // Later simulator fixes changed three of these runs so that __consumer_offsets no longer diverges (on the file's
  // seed nor on seeds 1–60): for their stories the rule is tested in oracle.test.ts ("replicas of
  // __consumer_offsets"). What each replays to is stated here, so the check of the permissions cannot pass vacuously.
  const DIVERGES: Readonly<Record<string, { readonly types: readonly string[]; readonly rule: string } | null>> = {
    "fuzz-log-divergence-1331617487.yaml": { types: ["log-divergence", "strong-isr"], rule: "protocol-0.10-truncation" },
    "fuzz-log-divergence-3121315330.yaml": null,
    "fuzz-log-divergence-3227323416.yaml": null,
    "fuzz-log-divergence-830221701.yaml": null,
  };
  const divs = readdirSync(DIR).filter((f) => f.startsWith("fuzz-log-divergence-"));
  it("has the log-divergence counterexamples", () => {
    expect(divs.sort()).toEqual(Object.keys(DIVERGES).sort());
  });
  for (const f of divs) {
    const expected = DIVERGES[f] ?? null;
    const what = expected === null ? "replays without a bug (__consumer_offsets no longer diverges)" : `divergence of __consumer_offsets (${expected.types.join(", ")}) is permitted by ${expected.rule}`;
    it(`${f}: ${what}`, () => {
      const scenario = parseScenario(readFileSync(join(DIR, f), "utf8"), { file: f });
      const { judgement } = runAndJudge(scenario);
      const offsets = judgement.anomalies.filter((a) => a.partition === "__consumer_offsets-0");
      expect([...new Set(offsets.map((a) => a.type))].sort(), `${f}: the anomalies on __consumer_offsets-0 changed; update DIVERGES`).toEqual([...(expected?.types ?? [])].sort());
      expect(offsets.filter((a) => a.allowedBecause?.rule !== expected?.rule)).toEqual([]);
      expect(judgement.verdict).not.toBe("bug");
    });
  }

  // A coordinator cut off from ZooKeeper (it had lost __consumer_offsets-0 without knowing) completed a rebalance
  // and handed out stale committed offsets: SyncGroup did not wait for the group-metadata append. Kafka's
  // GroupCoordinator.doSyncGroup answers only after storeGroup succeeds, and rebalances when it fails.
  const polls = readdirSync(DIR).filter((f) => f.startsWith("fuzz-nonmonotonic-poll-"));
  it("has the nonmonotonic-poll counterexamples", () => {
    expect(polls.length).toBe(2);
  });
  for (const f of polls) {
    it(`${f}: a group never resumes below what it had committed`, () => {
      const scenario = parseScenario(readFileSync(join(DIR, f), "utf8"), { file: f });
      const { judgement } = runAndJudge(scenario);
      expect(judgement.anomalies.filter((a) => a.type === "nonmonotonic-poll")).toEqual([]);
      expect(judgement.verdict).not.toBe("bug");
    });
  }

  // fuzz --seed 2002 run 39963 (issue #18 §1g): a member's sync commit timed out on the coordinator's lossy link and
  // was retried; the retry and a later commit succeeded, then the first request, which TCP was still retransmitting
  // on the closed connection, reached the coordinator and set the committed offset back. After the next rebalance
  // the group resumed below what it had committed. Kafka does the same (fact 32): an oracle gap, not a simulator bug.
  // (The producer's metadata and partitioner fixes moved every send's timing; this interleaving no longer occurs at
  // this seed nor at 600 others, so the rule's own test is in oracle.test.ts, "a late commit on a lossy link".)
  it("fuzz-stale-commit-1387085218.yaml: replays without a bug (the group no longer goes back)", () => {
    const f = "fuzz-stale-commit-1387085218.yaml";
    const scenario = parseScenario(readFileSync(join(DIR, f), "utf8"), { file: f });
    const { judgement } = runAndJudge(scenario);
    const back = judgement.anomalies.filter((x) => x.type === "nonmonotonic-poll").map((a) => a.allowedBecause?.rule);
    expect(back, "the group goes back again: it must be allowed by late-commit-on-lossy-link; update this test").toEqual([]);
    expect(judgement.verdict).not.toBe("bug");
  });

  // fuzz --seed 4242 run 3692: min.insync.replicas=3 kept the group from forming while __consumer_offsets was short
  // of in-sync replicas; then the coordinator was isolated with the member's JoinGroup in flight, which is only
  // given up after max.poll.interval.ms + 5 s. With the fuzz shape's 1.5 s drain the group was still waiting.
  // (Fault times re-chosen when consumers began to ask FindCoordinator, which moved the JoinGroup: the same story.)
  // (Since a partition no longer loses what is in flight — TCP retransmits it after the heal — the JoinGroup is
  // answered after the heal and the short drain suffices too.)
  it("fuzz-unseen-3076713924.yaml: a group whose JoinGroup was lost consumes everything once the drain covers its recovery", () => {
    const f = "fuzz-unseen-3076713924.yaml";
    const scenario = parseScenario(readFileSync(join(DIR, f), "utf8"), { file: f });
    const short = runAndJudge(scenario).judgement;
    expect(short.anomalies.filter((a) => a.type === "unseen" && !a.allowed)).toEqual([]);
    const drainMs = groupRecoveryMs(scenario.consumers[0]?.config ?? {});
    const { judgement } = runAndJudge({ ...scenario, drainMs });
    expect(judgement.anomalies.filter((a) => a.type === "unseen")).toEqual([]);
    expect(judgement.verdict).not.toBe("bug");
  });
});
