// Shrunk fuzz counterexamples (npx kafkasim fuzz --time 30 --seed 777, 4242) that had a `bug` verdict, triaged: each
// was a simulator bug or an oracle gap, fixed; replaying the scenario must no longer show it as a bug.
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, it, expect } from "vitest";
import { parseScenario } from "../sim/scenario/parse.ts";
import { runAndJudge } from "./run.ts";
import { Oracle } from "./oracle/index.ts";
import { groupRecoveryMs } from "./arbitraries.ts";

const DIR = new URL("./examples/fuzz-triage/", import.meta.url).pathname;
const STALE_FOLLOWER = "fuzz-log-divergence-1421704980.yaml";
const SEQUENCE_RESET = "fuzz-duplicate-919435647.yaml";
const LATE_COMMIT = "fuzz-nonmonotonic-poll-3215157278.yaml";

/** Run and judge a triaged file (its text, optionally edited). */
const judged = (f: string, edit: (text: string) => string = (t) => t): ReturnType<typeof runAndJudge> => runAndJudge(parseScenario(edit(readFileSync(join(DIR, f), "utf8")), { file: f }));

/** The run's anomalies of `type`: at least one, each allowed by `rule`, and the run's verdict `allowed`. */
function expectPermitted(judgement: ReturnType<typeof judged>["judgement"], type: string, rule: string): ReturnType<typeof judged>["judgement"]["anomalies"] {
  const found = judgement.anomalies.filter((a) => a.type === type);
  expect(found.length).toBeGreaterThan(0);
  expect(new Set(found.map((a) => a.allowedBecause?.rule))).toEqual(new Set([rule]));
  expect(judgement.verdict).toBe("allowed");
  return found;
}
describe("triaged fuzz counterexamples", () => {
  // An idempotent producer with max.in.flight.requests.per.connection=1 sent the next batch to a new leader while
  // the previous one was still in flight to the powered-off old leader; that batch's retry then came back
  // OUT_OF_ORDER_SEQUENCE_NUMBER (its sequence was older than the 5 retained batches), was re-sequenced under a
  // bumped epoch and written a second time. Kafka mutes the partition when max.in.flight is 1 (guaranteeMessageOrder).
  const dups = readdirSync(DIR).filter((f) => f.startsWith("fuzz-duplicate-") && f !== SEQUENCE_RESET);
  it("has the duplicate counterexamples", () => {
    expect(dups.length).toBe(4);
  });
  for (const f of dups) {
    it(`${f}: an idempotent producer with in-flight 1 writes no duplicate`, () => {
      const { judgement } = judged(f);
      expect(judgement.anomalies.filter((a) => a.type === "duplicate")).toEqual([]);
      expect(judgement.verdict).not.toBe("bug");
    });
  }

  // Every log-divergence / strong-isr counterexample was on __consumer_offsets-0 (power loss without fsync on 3.7
  // and 2.0, protocol 0.10 / 0.11 after leader changes): the oracle's broker-level permissions now cover it.
  // Later simulator fixes changed two of these runs so that __consumer_offsets no longer diverges (on the file's
  // seed nor on seeds 1–60): for their stories the rule is tested in oracle.test.ts ("replicas of
  // __consumer_offsets"). What each replays to is stated here, so the check of the permissions cannot pass vacuously.
  const DIVERGES: Readonly<Record<string, { readonly types: readonly string[]; readonly rule: string } | null>> = {
    "fuzz-log-divergence-1331617487.yaml": { types: ["log-divergence", "strong-isr"], rule: "protocol-0.10-truncation" },
    "fuzz-log-divergence-3121315330.yaml": { types: ["log-divergence", "strong-isr"], rule: "protocol-0.11-divergence" },
    "fuzz-log-divergence-3227323416.yaml": null,
    "fuzz-log-divergence-830221701.yaml": null,
  };
  const divs = readdirSync(DIR).filter((f) => f.startsWith("fuzz-log-divergence-") && f !== STALE_FOLLOWER);
  it("has the log-divergence counterexamples", () => {
    expect(divs.sort()).toEqual(Object.keys(DIVERGES).sort());
  });
  for (const f of divs) {
    const expected = DIVERGES[f] ?? null;
    const what = expected === null ? "replays without a bug (__consumer_offsets no longer diverges)" : `divergence of __consumer_offsets (${expected.types.join(", ")}) is permitted by ${expected.rule}`;
    it(`${f}: ${what}`, () => {
      const { judgement } = judged(f);
      const offsets = judgement.anomalies.filter((a) => a.partition === "__consumer_offsets-0");
      expect([...new Set(offsets.map((a) => a.type))].sort(), `${f}: the anomalies on __consumer_offsets-0 changed; update DIVERGES`).toEqual([...(expected?.types ?? [])].sort());
      expect(offsets.filter((a) => a.allowedBecause?.rule !== expected?.rule)).toEqual([]);
      expect(judgement.verdict).not.toBe("bug");
    });
  }

  // A coordinator cut off from ZooKeeper (it had lost __consumer_offsets-0 without knowing) completed a rebalance
  // and handed out stale committed offsets: SyncGroup did not wait for the group-metadata append. Kafka's
  // GroupCoordinator.doSyncGroup answers only after storeGroup succeeds, and rebalances when it fails.
  const polls = readdirSync(DIR).filter((f) => f.startsWith("fuzz-nonmonotonic-poll-") && f !== LATE_COMMIT);
  it("has the nonmonotonic-poll counterexamples", () => {
    expect(polls.length).toBe(2);
  });
  for (const f of polls) {
    it(`${f}: a group never resumes below what it had committed`, () => {
      const { judgement } = judged(f);
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
    const { judgement } = judged(f);
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
  // fuzz --seed 3003 run 3802 (protocol 2.0): the leader's ISR expansion reached ZooKeeper, but its ZooKeeper session
  // expired before the answer came back, and the simulator failed the write; the leader kept its smaller ISR, its HW
  // passed the added replica, which the controller then elected from ZooKeeper's ISR: consumers had read records
  // that the new leader lacked. ZooKeeper's client fails a request that was on the wire with CONNECTIONLOSS, and Kafka
  // re-submits it in the new session, where checkLeaderAndIsrZkData finds it applied: a simulator bug, fixed.
  it("fuzz-uncommitted-read-3146781093.yaml: a leader learns the ISR write it lost with its session; no read is truncated", () => {
    const f = "fuzz-uncommitted-read-3146781093.yaml";
    const { judgement } = judged(f);
    expect(judgement.anomalies.filter((a) => a.type === "uncommitted-read")).toEqual([]);
    expect(judgement.verdict).not.toBe("bug");
  });
  // fuzz --seed 3003 run 5762 (protocol 2.0): broker 1 lost its ZooKeeper session and missed two leader changes; it
  // went on fetching from broker 3 by offset, never truncated its epoch-0 records, and broker 3, leading again at
  // epoch 2, added it to the ISR with a diverged log. Kafka 2.0 does the same (KAFKA-6880; KIP-320 in 2.1 puts the
  // leader epoch in follower fetches): an oracle gap, now the protocol-2.0-stale-follower rule.
  it(`${STALE_FOLLOWER}: replicas that disagree because a stale follower joined the ISR are permitted on 2.0, pointing at the expansion`, () => {
    const scenario = parseScenario(readFileSync(join(DIR, STALE_FOLLOWER), "utf8"), { file: STALE_FOLLOWER });
    const { judgement } = runAndJudge(scenario);
    const divs = judgement.anomalies.filter((a) => a.type === "log-divergence" || a.type === "strong-isr");
    expect(divs.length).toBeGreaterThan(0);
    for (const a of divs) {
      expect(a.allowedBecause?.rule).toBe("protocol-2.0-stale-follower");
      expect(a.allowedBecause?.events.map((e) => e.type)).toEqual(["isr-expand"]);
    }
    expect(judgement.verdict).not.toBe("bug");
  });
  // fuzz --seed 1001 run 5704 (and 17 more of 24 liveness verdicts at seeds 1001/2002/3003): broker 3 restarted on a
  // slow link; the controller saw its registration and sent LeaderAndIsr, which arrived before the broker heard
  // that its registration had succeeded, and the broker dropped it as meant for its previous incarnation. The
  // controller's channel then waited 30 s for the answer, and the replica never rejoined the ISR. Kafka starts its
  // request processors after the registration, so the request waits in the socket: a simulator bug, fixed.
  it("fuzz-liveness-1669764124.yaml: a controller request that arrives before the broker hears its registration is handled after it", () => {
    const f = "fuzz-liveness-1669764124.yaml";
    const { judgement } = judged(f);
    expect(judgement.liveness.violations).toEqual([]);
    expect(judgement.verdict).not.toBe("bug");
  });
  // fuzz --seed 3003 (2.7): the leader sent AlterPartition to the controller while the controller's machine was
  // powered off; the machine came back as controller again, but the request had vanished without a reset, so the
  // leader waited 30 s for an answer with the ISR change pending, and a restarted replica could not rejoin. A
  // rebooted kernel answers the next retransmission with a reset, and the leader re-sends (fact 42): fixed.
  it("fuzz-liveness-1448686470.yaml: a request sent into a powered-off controller is reset when it is back, and re-sent", () => {
    const f = "fuzz-liveness-1448686470.yaml";
    const { judgement } = judged(f);
    expect(judgement.liveness.violations).toEqual([]);
    expect(judgement.verdict).not.toBe("bug");
  });
  // fuzz --seed 1001 (0.11): the leader's ISR shrink reached ZooKeeper, its session expired before the answer, the
  // retry waited for a new session that expired in its turn before the retry got out, and the write was given up;
  // the leader kept its old zkVersion and every later ISR change failed on it ("Cached zkVersion not equal to that
  // in zookeeper"), so a replica never rejoined and the group kept rebalancing. Kafka retries until answered in a
  // live session (and the coordinator's SESSION_EXPIRED answer now tells the client its session is gone): fixed.
  it("fuzz-liveness-2937623290.yaml: an ISR write that may have been applied is retried until answered", () => {
    const f = "fuzz-liveness-2937623290.yaml";
    const { judgement } = judged(f);
    expect(judgement.liveness.violations).toEqual([]);
    expect(judgement.verdict).not.toBe("bug");
  });
  // fuzz --seed 3003 (and two more at 1001/2002, no faults at all): the consumer's first metadata answer came before
  // the topic's first election and said UNKNOWN_TOPIC_OR_PARTITION; the consumer took that as a topic with no
  // partitions, joined, and as leader assigned nothing; it never read a record. A topic-level error leaves the topic
  // unknown, and the leader rejoins when the metadata it assigned from changes (ConsumerCoordinator's
  // assignmentSnapshot, "cached metadata has changed"): a simulator bug, fixed.
  it("fuzz-liveness-3704508752.yaml: a group formed before its topic had leaders gets its partitions", () => {
    const f = "fuzz-liveness-3704508752.yaml";
    const { judgement } = judged(f);
    expect(judgement.liveness.violations).toEqual([]);
    expect(judgement.anomalies.filter((a) => a.type === "unseen")).toEqual([]);
    expect(judgement.verdict).toBe("valid");
  });
  // fuzz --seed 4004 (2.7): the leader's AlterPartition (adding a caught-up replica) was waiting for a retransmission
  // on a lossy link when the controller's machine lost power; the machine came back as controller again, but the
  // request had been dropped with no reset, so the leader waited 30 s and the replica stayed out of the ISR. What a
  // connection had unacknowledged when the machine vanished is retransmitted and answered with a reset: fixed.
  it("fuzz-liveness-1208952450.yaml: a request on the wire when the controller lost power is reset and re-sent once it is back", () => {
    const f = "fuzz-liveness-1208952450.yaml";
    const { judgement } = judged(f);
    expect(judgement.liveness.violations).toEqual([]);
    expect(judgement.verdict).not.toBe("bug");
  });
  // fuzz --seed 6006 run 8797 (2.7, idempotent, acks=all): broker 1, cut off from ZooKeeper, stayed a zombie leader
  // of orders-0 with the log up to offset 112; the real leader (broker 2) wrote value 180 and shut down; the producer
  // took broker 1's stale metadata, retried there, got OUT_OF_ORDER_SEQUENCE_NUMBER (sequence 180 after 111), bumped
  // its epoch (KIP-360) and wrote value 180 again under sequence 0 once broker 2 led. Two findings: a 2.1+ client
  // ignores metadata older than the leader epoch it has seen (KIP-320; a simulator bug, fixed), and a pre-2.1 client
  // that does reach the zombie writes the duplicate as Kafka's does (TransactionManager.canRetry): an oracle gap,
  // now the rule idempotent-sequence-reset.
  it(`${SEQUENCE_RESET}: no duplicate on 2.7 (KIP-320 keeps the producer off the zombie); on 2.0 the duplicate is permitted, pointing at the sequence error`, () => {
    const text = readFileSync(join(DIR, SEQUENCE_RESET), "utf8");
    const on27 = runAndJudge(parseScenario(text, { file: SEQUENCE_RESET })).judgement;
    expect(on27.anomalies.filter((a) => a.type === "duplicate" || a.type === "processed-twice")).toEqual([]);
    expect(on27.verdict).not.toBe("bug");
    const on20 = runAndJudge(parseScenario(text.replace('protocol: "2.7"', 'protocol: "2.0"'), { file: SEQUENCE_RESET })).judgement;
    const dups = on20.anomalies.filter((a) => a.type === "duplicate" || a.type === "processed-twice");
    expect(dups.map((a) => `${a.type}:${a.value}:${a.allowedBecause?.rule}`)).toEqual(["duplicate:180:idempotent-sequence-reset", "processed-twice:180:idempotent-sequence-reset"]);
    expect(on20.verdict).toBe("allowed");
  });
  // fuzz --seed 5005 run 9712 (2.7): broker 1, cut off since 122 ms, kept answering metadata from its stale cache
  // (leader 1, epoch 0); after the drain's heal a consumer that had seen epoch 2 took that answer, fetched its
  // position 115 from broker 1 (log end 14), got OFFSET_OUT_OF_RANGE, reset to earliest and processed 115 records
  // again. A 2.1+ client ignores metadata older than the leader epoch it has seen and fetches with
  // currentLeaderEpoch (KIP-320): a simulator bug, fixed (sim/client/leader-epochs.ts).
  it("fuzz-processed-twice-831471895.yaml: a consumer does not go back to a deposed leader's stale metadata (KIP-320)", () => {
    const f = "fuzz-processed-twice-831471895.yaml";
    const { result, judgement } = judged(f);
    expect(result.history.filter((op) => op.f === "reset" && op.value.reason === "out-of-range")).toEqual([]);
    expect(judgement.anomalies.filter((a) => a.type === "processed-twice")).toEqual([]);
    expect(judgement.verdict).not.toBe("bug");
  });
  // fuzz --seed 5005 run 1294 (3.7): g1/0 sent a commit of offset 150 to the coordinator just isolated; its fetch on
  // the same connection timed out and the consumer closed it; after the drain's heal it committed 151 and 201 on a
  // new connection, then TCP delivered the old connection's commit of 150, which the coordinator applied last; the
  // rebalance resumed at 150. The late-commit rule covered lossy links only; a cut link holds data the same way
  // (fact 42): an oracle gap, fixed.
  it(`${LATE_COMMIT}: a group that went back after its commit was held on a cut link is permitted, pointing at the cut and the timeout`, () => {
    const scenario = parseScenario(readFileSync(join(DIR, LATE_COMMIT), "utf8"), { file: LATE_COMMIT });
    const { judgement } = runAndJudge(scenario);
    const back = judgement.anomalies.filter((a) => a.type === "nonmonotonic-poll");
    expect(back.map((a) => [a.offset, a.allowedBecause?.rule, a.allowedBecause?.events.map((e) => e.timeUs)])).toEqual([[150, "late-commit-on-lossy-link", [310_000, 1_810_505]]]);
    expect(judgement.verdict).toBe("allowed");
  });
  // fuzz --seed 11011 run 5335 (2.0, acks=all, flaky links of the leader, no crash): leader 3's ZooKeeper write adding
  // broker 1 back to the ISR was applied but its answer lost; its session expired and the controller elected broker
  // 1 from ZooKeeper's ISR [3,2,1]; the leader's retry met the new version, so it kept its ISR [3,2] and
  // acknowledged offsets 24–112 over it, which broker 1 never had. Kafka 2.0 does the same (fact 48): an oracle gap.
  it("fuzz-lost-write-1985106648.yaml: a loss through a leader-written ISR that ZooKeeper held and the leader did not is permitted on 2.0, pointing at the election", () => {
    const f = "fuzz-lost-write-1985106648.yaml";
    const text = readFileSync(join(DIR, f), "utf8");
    const { judgement } = runAndJudge(parseScenario(text, { file: f }));
    const losses = judgement.anomalies.filter((a) => a.type === "lost-write");
    expect(losses.length).toBe(88);
    expect(new Set(losses.map((a) => a.allowedBecause?.rule))).toEqual(new Set(["protocol-zk-isr-write"]));
    expect(judgement.verdict).toBe("allowed");
  });
  // fuzz --seed 11011 run 2343 (3.7): leader 2's AlterPartition (adding broker 1 back) reached the controller, broker 3,
  // as it woke from a pause with its ZooKeeper session expired; it resigned and became controller again, and the
  // queued request went unanswered — as in Kafka, whose ControllerEventManager.clearAndPut preempts queued events and
  // AlterPartitionReceived.preempt does nothing. The leader waits controller.socket.timeout.ms (30 s) to send it
  // again; the 1.5 s drain could not see it converge. The simulator now says so (alter-partition-preempted) and the
  // settle bound counts it: with a 33 s drain the replica rejoins at 31.8 s.
  it("fuzz-liveness-534352142.yaml: an AlterPartition dropped by a resigning controller is waited for, not a liveness verdict", () => {
    const f = "fuzz-liveness-534352142.yaml";
    const text = readFileSync(join(DIR, f), "utf8");
    const { result, judgement } = runAndJudge(parseScenario(text, { file: f }));
    expect(result.evidence.filter((e) => e.type === "alter-partition-preempted").map((e) => e.type === "alter-partition-preempted" && [e.tp, e.controller, e.broker])).toEqual([["orders-0", 3, 2]]);
    expect(judgement.liveness.judged).toBe(false);
    expect(judgement.verdict).not.toBe("liveness");
    const long = runAndJudge(parseScenario(text.replace("drainMs: 1500", "drainMs: 33000"), { file: f })).judgement;
    expect(long.liveness).toMatchObject({ judged: true, violations: [] });
  });
  // fuzz --seed 22002 run 1127 (2.0): broker 1, paused from 0.578 s, answered metadata from its stale cache after the
  // drain resumed it; the consumer (a pre-2.1 client: no leader epochs in its metadata) fetched its position 190
  // there, got OFFSET_OUT_OF_RANGE and reset to earliest, processing 189 records again. Kafka 2.0's consumer does
  // the same (fact 47): an oracle gap, now the rule offset-reset-stale-leader (2.7's clients are fenced by epoch).
  it("fuzz-processed-twice-2713114551.yaml: a pre-2.1 consumer's reset after stale metadata is permitted, pointing at the reset", () => {
    const f = "fuzz-processed-twice-2713114551.yaml";
    const { judgement } = judged(f);
    const twice = judgement.anomalies.filter((a) => a.type === "processed-twice");
    expect(twice.length).toBe(189);
    expect(new Set(twice.map((a) => a.allowedBecause?.rule))).toEqual(new Set(["offset-reset-stale-leader"]));
    expect(judgement.verdict).toBe("allowed");
  });
  // The matrix's bug-switch control (acceptStaleEpoch off, acks=1, min ISR 2, unclean on) gave BUG: controller
  // broker 2 wrote the election of broker 3 (epoch 2) to ZooKeeper and was slowed ×3000 before the answer came; its
  // session expired and broker 3, the next controller, read the state and made itself leader at epoch 2. No
  // leader-elected was in the trace (the controller emitted it on the answer), so the zombie leader's acks=1 writes
  // that broker 3 lacked had no permission. The election takes effect when ZooKeeper applies it: the coordinator
  // now announces it then. A simulator (evidence) bug, fixed.
  it("matrix-control-slow-controller-election.yaml: an election a slowed controller never heard answered is in the trace, and acks=1 losses through it are permitted", () => {
    const f = "matrix-control-slow-controller-election.yaml";
    const { result, judgement } = judged(f);
    const elected = result.evidence.filter((e) => e.type === "leader-elected" && e.tp === "orders-0").map((e) => e.type === "leader-elected" && [e.leader, e.leaderEpoch]);
    expect(elected).toContainEqual([3, 2]);
    const lost = judgement.anomalies.filter((a) => a.type === "lost-write");
    expect(lost.length).toBe(78);
    expect(new Set(lost.map((a) => a.allowedBecause?.rule))).toEqual(new Set(["acks1-leader-change"]));
    expect(judgement.verdict).toBe("allowed");
  });
  // fuzz --seed 41002 run 3513 (2.7): broker 3's links were lossy from 0.188 s to the heal at 2 s; the leader's
  // AlterPartition to it, sent 1.9 ms after the heal, waited behind an earlier message still in retransmission
  // backoff on the same connection (TCP's per-connection order), past the 1.5 s drain. The settle bound counted
  // the backoff after a cut, not after a lossy link, which backs off the same way: an oracle gap, fixed.
  it("fuzz-liveness-3247211897.yaml: a lossy link's retransmission backoff is waited for, not a liveness verdict", () => {
    const f = "fuzz-liveness-3247211897.yaml";
    const { judgement } = judged(f);
    expect(judgement.liveness.judged).toBe(false);
    expect(judgement.liveness.settleMs).toBeGreaterThan(1500);
    expect(judgement.verdict).not.toBe("liveness");
  });
  // The matrix's bug-switch control (acks=1, min ISR 1, unclean off), run 131: controller broker 1, slowed ×3000,
  // elected itself leader at epoch 3; its LeaderAndIsr never arrived before its session expired, so broker 3 (epoch
  // 2, a zombie) went on acknowledging acks=1 writes broker 1 never had. The acks=1 rule wanted the new leader's
  // become-leader; the election alone is the evidence Kafka's rule needs: an oracle gap, fixed.
  it("matrix-control-election-never-heard.yaml: acks=1 losses through an election its leader never heard are permitted", () => {
    const f = "matrix-control-election-never-heard.yaml";
    const { judgement } = judged(f);
    const lost = judgement.anomalies.filter((a) => a.type === "lost-write");
    expect(lost.length).toBe(64);
    expect(new Set(lost.map((a) => a.allowedBecause?.rule))).toEqual(new Set(["acks1-leader-change"]));
    expect(judgement.verdict).toBe("allowed");
  });

  // An exactly-once pipeline (protocol 4.0, two members, a lossy link to broker 2): g1/0 processed values 0–49 while
  // its transactional producer still waited for InitProducerId; a member joining started a rebalance, and g1/0
  // rejoined mid-transaction, found no committed offset, read 0–49 again — and then its first transaction committed
  // outputs 0–49 with offset 50, the second wrote them again (50 duplicate-output bugs). In Java the loop is blocked
  // in commitTransaction() (initTransactions() first): JoinGroup is only sent from poll(), so the rebalance waits.
  it("fuzz-eos-duplicate-output-2123617774.yaml: an exactly-once member does not rejoin while its transaction is being committed", () => {
    const { judgement } = judged("fuzz-eos-duplicate-output-2123617774.yaml");
    expect(judgement.anomalies.filter((a) => a.type === "duplicate-output")).toEqual([]);
    expect(judgement.verdict).toBe("valid");
  });

  // The same pipeline fed by a producer without idempotence (protocol 2.0, a lossy link): the input producer's retry
  // wrote values 108–… twice into orders, and exactly-once transformed each copy once — two inputs, two outputs.
  // duplicate-output takes the input duplicate's permission (retry-without-idempotence); it was a bug verdict before.
  it("fuzz-eos-duplicate-input-1903390156.yaml: an output written once per copy of a duplicated input is allowed by the input's duplicate", () => {
    const { judgement, result } = judged("fuzz-eos-duplicate-input-1903390156.yaml");
    const outs = judgement.anomalies.filter((a) => a.type === "duplicate-output");
    expect(outs.length).toBeGreaterThan(0);
    expect(new Set(outs.map((a) => a.allowedBecause?.rule))).toEqual(new Set(["retry-without-idempotence"]));
    const inputs = new Set(judgement.anomalies.filter((a) => a.type === "duplicate").map((a) => a.value));
    expect(outs.filter((a) => !inputs.has(a.value))).toEqual([]);
    expect(judgement.verdict).toBe("allowed");
    // The control plane's invariants are permitted by nothing: the same value and group as a permitted duplicate
    // output do not lend them its permission (they fell through to duplicate-output's justification before).
    const oracle = new Oracle(result);
    const dup = outs[0] as (typeof outs)[number];
    for (const type of ["phantom", "two-leaders", "metadata-divergence", "epoch-regression"] as const) expect(oracle.justify({ ...dup, type }), type).toBeNull();
  });

  // A steered campaign's exactly-once pipelines (seed 51003 --steer: 15 poll-skip bugs in 10,000 runs): g1/0 was
  // killed after its EndTxn(COMMIT) went out; the coordinator completed the transaction, offsets included, and g1/1
  // rightly resumed after them — but the history had no commit for a transaction's offsets, so the poll-order
  // checker expected the last plain commit. The batch's offsets are now a commit op: invoked with the EndTxn(COMMIT),
  // ok when it is answered, failed on abort, indeterminate when the producer was fenced meanwhile.
  it("fuzz-eos-poll-skip-1064190711.yaml: a transaction's offsets are commits in the history; the member taking over resumes after them", () => {
    const { judgement, result } = judged("fuzz-eos-poll-skip-1064190711.yaml");
    expect(judgement.anomalies.filter((a) => a.type === "poll-skip")).toEqual([]);
    expect(judgement.verdict).not.toBe("bug");
    // Every committed transaction of the pipeline is a commit op (the group commits no other way).
    const committedTxns = result.evidence.filter((e) => e.type === "txn-ended" && e.commit && e.producer.startsWith("g1/")).length;
    expect(result.history.filter((op) => op.f === "commit" && op.type === "ok").length).toBe(committedTxns);
    expect(committedTxns).toBeGreaterThan(0);
  });

  // Pipelines in the default draws (seed 61001, 2,000 runs: 6 bug and 3 liveness verdicts), each a simulator defect:
  // g1/0 lost its membership mid-transaction; its TxnOffsetCommit then named generation -1 and no member id (the
  // membership's reset values), which the group coordinator accepts from anyone, so the zombie committed offsets
  // and outputs g1/1 had already processed. consumer.groupMetadata() is the last completed join's (fact T10).
  it("fuzz-eos-zombie-offsets-1397051690.yaml: a zombie member's TxnOffsetCommit names its old generation and is fenced", () => {
    const { judgement } = judged("fuzz-eos-zombie-offsets-1397051690.yaml");
    // Only an input written twice (p1 is not idempotent) may be transformed twice: each copy once.
    expect(judgement.anomalies.filter((a) => a.type === "duplicate-output" && a.allowedBecause?.rule !== "retry-without-idempotence")).toEqual([]);
    expect(judgement.verdict).not.toBe("bug");
  });

  // g1/0 rejoined (a member joined) while it was still processing its first batch: the rejoin reset its position to
  // the start (no committed offset yet), the batch's transaction then committed offset 50, and the next poll read
  // 0–49 again: 50 outputs twice. JoinGroup is sent only from poll(): the batch's stretch blocks it (fact T11).
  it("fuzz-eos-rejoin-mid-batch-440311629.yaml: an exactly-once member does not rejoin between poll() and the end of its transaction", () => {
    const { judgement } = judged("fuzz-eos-rejoin-mid-batch-440311629.yaml");
    expect(judgement.anomalies.filter((a) => a.type === "duplicate-output")).toEqual([]);
    expect(judgement.verdict).toBe("valid");
  });

  // The COMMIT marker for orders.out-0 was in flight to its leader when it lost power; the coordinator re-sends it
  // only after the broker's request.timeout.ms (30 s), past the end of the run: not a lost transaction, markers still
  // pending (markers-pending-at-end). With the broker's request.timeout.ms at the fuzz scale (300 ms) the marker
  // reaches the new leader within the drain.
  it("fuzz-eos-markers-pending-4158944283.yaml: a committed transaction whose markers are still being re-sent at the end is permitted; re-sent after the broker's request.timeout.ms", () => {
    const { judgement } = judged("fuzz-eos-markers-pending-4158944283.yaml");
    const lost = judgement.anomalies.filter((a) => a.type === "lost-transaction");
    expect(lost.map((a) => a.allowedBecause?.rule)).toEqual(["markers-pending-at-end"]);
    expect(judgement.verdict).not.toBe("bug");
    const fast = judged("fuzz-eos-markers-pending-4158944283.yaml", (t) => t.replace("  group.min.session.timeout.ms: 100\n", "  group.min.session.timeout.ms: 100\n  request.timeout.ms: 300\n"));
    expect(fast.result.scenario.broker["request.timeout.ms"]).toBe(300);
    expect(fast.judgement.anomalies.filter((a) => a.type === "lost-transaction" || a.type === "hanging-transaction")).toEqual([]);
  });

  // A pipeline kept committing transactions to the last moment: __transaction_state-17's followers were one fetch
  // behind its leader at the end. A partition written within the last fetch rounds is still replicating; the
  // coordinator's transitions and markers count as writes (they are not in the clients' history; oracle.test.ts
  // "a transaction log its coordinator wrote to..." tests that rule, since the fixes above end this run's
  // transactions early).
  it("fuzz-eos-txn-log-busy-867502246.yaml: no liveness verdict", () => {
    const { judgement } = judged("fuzz-eos-txn-log-busy-867502246.yaml");
    expect(judgement.liveness.violations).toEqual([]);
    expect(judgement.verdict).not.toBe("liveness");
  });

  // An at-least-once pipeline's idempotent producer wrote to orders.out-0, whose unclean election lost its producer
  // state: every retry was refused (OUT_OF_ORDER_SEQUENCE_NUMBER), the output was never flushed, and g1/0 never
  // polled again (a poll timeout every rejoin). Kafka's producer bumps its epoch and restarts its sequences (KIP-360).
  it("fuzz-alo-unknown-producer-2895661403.yaml: a plain pipeline's producer restarts its sequences when the leader lost its state", () => {
    const { judgement, result } = judged("fuzz-alo-unknown-producer-2895661403.yaml");
    expect(judgement.verdict).not.toBe("liveness");
    expect(result.evidence.filter((e) => e.type === "poll-timeout")).toEqual([]);
  });

  // Two batches of orders.out-0 in one produce request: the second was refused (NOT_LEADER_OR_FOLLOWER) but matched
  // to the first's result and counted acknowledged; its sequences were spent, so every later transaction got
  // OUT_OF_ORDER_SEQUENCE_NUMBER and aborted, every 100 ms to the end (108 aborts, no commit). Results are per batch,
  // in order; a batch dropped unacknowledged bumps the epoch after the abort (TransactionManager epochBumpRequired).
  it("fuzz-eos-abort-loop-2241953705.yaml: an exactly-once pipeline does not abort the same batch forever", () => {
    const { judgement, result } = judged("fuzz-eos-abort-loop-2241953705.yaml");
    const ended = result.evidence.filter((e) => e.type === "txn-ended");
    expect(ended.filter((e) => e.type === "txn-ended" && e.commit).length).toBeGreaterThan(0);
    expect(ended.filter((e) => e.type === "txn-ended" && !e.commit).length).toBe(1);
    expect(judgement.verdict).not.toBe("bug");
  });

  // fuzz --seed 95004 --set protocol=4.0, run 8049: an at-most-once group (commit before processing) with an
  // asynchronous worker at 8 ms a record, fast enough for the produce rate, read nothing for seconds while the
  // partition's leader was cut off and killed; it then polled a backlog, committed it, and its worker was still
  // working through it when the run ended. The records behind the one in progress were judged committed and
  // unprocessed, a bug: an oracle gap (the capacity rule covered only a worker slower than the produce rate).
  // The member read nothing until 11.5 s because a request it sent to the dead leader across the cut was dropped
  // without a word; since that is reset once the cut heals (fact 42, seed 97001) it reads its backlog from 2.25 s
  // and its worker is done long before the end: the run replays valid, and oracle.test.ts ("records queued behind an
  // asynchronous worker busy at the end") carries the rule.
  it("fuzz-async-backlog-at-end-3868945285.yaml: the member reads its backlog once the cut heals, and replays without a bug", () => {
    const { judgement, result } = judged("fuzz-async-backlog-at-end-3868945285.yaml");
    expect(judgement.verdict).not.toBe("bug");
    const firstRead = result.history.find((op) => op.process === "g1/0" && op.f === "poll" && op.type === "ok" && op.value.records.length > 0);
    expect(firstRead?.timeUs).toBeLessThan(3_000_000);
  });

  // fuzz --seed 96001 --steer, run 11567 (2.0, unclean election on): p1 (acks=1, not idempotent) retried value 156
  // after a lost answer, so the leader's log held it twice (offsets 112 and 113); an at-least-once pipeline read and
  // transformed both copies, then an unclean election truncated that log. The final logs hold no duplicate of 156, so
  // the oracle did not see the input duplicate and judged the output written twice a bug: the group's own two
  // processings at two offsets of one partition now count as an input duplicate.
  it("fuzz-polled-duplicate-output-3101239528.yaml: an input duplicate the group read from a log later truncated permits the duplicate output", () => {
    const { judgement } = judged("fuzz-polled-duplicate-output-3101239528.yaml");
    expect(judgement.anomalies.filter((a) => !a.allowed)).toEqual([]);
    const out = judgement.anomalies.filter((a) => a.type === "duplicate-output");
    expect(out.map((a) => [a.value, a.allowedBecause?.rule])).toEqual([[156, "retry-without-idempotence"]]);
    expect(judgement.anomalies.find((a) => a.type === "processed-twice" && a.value === 156)?.allowedBecause?.rule).toBe("retry-without-idempotence");
  });

  // fuzz --seed 96003 --steer --set protocol=3.9, run 2793 (18 liveness runs in 7,600): the active controller was
  // slowed 3000× and lost its leadership while broker 3 had two AlterPartition requests in flight to it (orders-0 and
  // __consumer_offsets-0 taking broker 1 back). The first came back NOT_CONTROLLER and the broker closed the
  // connection, which dropped the second's answer; only the first was sent again, and the second's 30 s request
  // timeout outlived the run: broker 1 never rejoined __consumer_offsets-0's ISR. A closed connection now sends
  // again everything that was in flight on it (fact 45).
  it("fuzz-kraft-alter-requeue-1120930247.yaml: an AlterPartition in flight when another's NOT_CONTROLLER closed the connection is sent again", () => {
    const { judgement } = judged("fuzz-kraft-alter-requeue-1120930247.yaml");
    expect(judgement.liveness.violations).toEqual([]);
    expect(judgement.verdict).toBe("valid");
  });

  // fuzz --seed 96013 --steer, run 2283 (0.11): an at-least-once pipeline's idempotent output producer retried value
  // 125's batch, written on the leader that then lost its ISR and was killed; the retry met broker 2, a zombie leader
  // cut off since 220 ms, which answered OUT_OF_ORDER_SEQUENCE_NUMBER, and the producer sent the batch again under a
  // new producer id: the output was written twice from one processing. The pipeline's producer did not trace that
  // retry, so the oracle saw no cause; it is traced now (produce-retry), and the rule that permits the input
  // producer's duplicate permits the output's. (Re-seeded since: the same story with value 129.)
  it("fuzz-output-sequence-reset-609220838.yaml: a pipeline's output producer resending a written batch under new sequences permits the duplicate output", () => {
    const { judgement } = judged("fuzz-output-sequence-reset-609220838.yaml");
    expect(expectPermitted(judgement, "duplicate-output", "idempotent-sequence-reset").map((a) => a.value)).toEqual([129]);
  });

  // fuzz --seed 96013 --steer, run 4944 (2.0, lossy links): g1/0's transaction committed offset 78 at 1.2 s; its
  // COMMIT marker on __consumer_offsets-0 was written at 1.4 s by a leader then deposed, and again by the new leader
  // at 1.8 s and 2.0 s without being replicated in time, and only at 2.214 s for good. g1/1, assigned at 2.172 s,
  // fetched the offsets before the transaction (77) and went back. The pending-offsets rule took the first marker
  // for the one that made the offsets visible; it now takes the transaction's last one.
  it("fuzz-eos-marker-rewritten-1932436604.yaml: a COMMIT marker written again after the assignment permits resuming from the offsets before it (pre-2.5)", () => {
    const { judgement } = judged("fuzz-eos-marker-rewritten-1932436604.yaml");
    expect(judgement.anomalies.filter((a) => !a.allowed)).toEqual([]);
    expect(judgement.anomalies.filter((a) => a.type === "nonmonotonic-poll").map((a) => [a.value, a.allowedBecause?.rule])).toEqual([[77, "pending-txn-offsets-before-kip447"]]);
  });

  // Exactly-once on 4.1 (seed 71011, run 6784: liveness). The active controller refused a broker's AlterPartition
  // FENCED_LEADER_EPOCH on the strength of its own election, not yet committed, and answered at once; the election
  // was truncated away when it lost the quorum, and the broker, told it was fenced, kept its pending ISR change and
  // never led again. Kafka's ControllerWriteEvent answers a write without records only at nextWriteOffset() - 1 (K13).
  it("fuzz-kraft-uncommitted-answer-3890011509.yaml: the KRaft controller answers only from committed state", () => {
    const { judgement } = judged("fuzz-kraft-uncommitted-answer-3890011509.yaml");
    expect(judgement.liveness.violations).toEqual([]);
    expect(judgement.verdict).toBe("valid");
  });

  // Default draws, steered (seed 97001, run 2744: liveness), on 2.7. Leader 2 sent an AlterPartition (shrink
  // orders-0 to [2]) to controller 3, which was dead, across a one-way cut from 2 to 3. The network dropped it
  // without a word (a dead process's reset could not cross), so it waited for controller.socket.timeout.ms (30 s,
  // past the run); 3 came back as controller under the same id, and a pending change blocks every other: broker 1
  // never rejoined the ISR. The host's reset now comes at the first retransmission after the heal (fact 42).
  it("fuzz-dead-controller-cut-3422491534.yaml: a request sent to a dead process across a cut is reset once the cut heals", () => {
    const { judgement, result } = judged("fuzz-dead-controller-cut-3422491534.yaml");
    expect(judgement.liveness.violations).toEqual([]);
    expect(judgement.verdict).not.toBe("bug");
    const orders = result.final.partitions.find((p) => p.topic === "orders" && p.partition === 0);
    expect(orders?.isr.length).toBe(3);
  });

  // 2.7, steered (seed 97002, run 6484: bug). Broker 1 led orders-0 at epoch 0 when its links were slowed ×3000; the
  // controller moved the leadership to 2 (epoch 2), which took acknowledged writes at offsets 44–49, then to 3, and
  // a third controller found the partition offline (epoch 4). The run (a 1.5 s drain) ended before 3 re-registered
  // and was elected; broker 1 had heard of none of it and still believed it led at epoch 0, so its short log was
  // taken for the partition's and the writes judged lost. A leader that missed an epoch another replica heard of is
  // not the final leader: the final log is then the replica with the highest HW.
  it("fuzz-zombie-final-leader-640171116.yaml: a zombie that missed a later leader epoch is not the final leader", () => {
    const { judgement, result } = judged("fuzz-zombie-final-leader-640171116.yaml");
    const orders = result.final.partitions.find((p) => p.topic === "orders" && p.partition === 0);
    expect(orders?.leader).toBeNull();
    expect(judgement.anomalies.filter((a) => a.type === "lost-write")).toEqual([]);
    expect(judgement.verdict).not.toBe("bug");
  });

  // 0.10, steered (seed 97004, run 1111: bug). Broker 1, cut off from ZooKeeper, went on leading orders-0 at epoch
  // 0 and acknowledged value 103 at offset 103 (acks=1), while broker 2 led at epoch 1 and took 104 at offset 45.
  // An unclean election then made broker 1 leader again; broker 2, following it, truncated only to its own HW (0.10
  // has no leader epochs: KIP-101) and appended broker 1's records after its own, so the final log holds 104 before
  // 103. The reorder was judged on retries alone; the protocol's divergence (the rule already listed it) now
  // permits it, as it does the losses.
  it("fuzz-010-divergent-reorder-134308284.yaml: a reorder from 0.10's truncation to the HW is permitted", () => {
    const { judgement } = judged("fuzz-010-divergent-reorder-134308284.yaml");
    const reorders = expectPermitted(judgement, "nonmonotonic-send", "protocol-0.10-truncation");
    expect(reorders.length).toBeGreaterThan(0);
    expect(judgement.verdict).not.toBe("bug");
  });

  // 2.0, steered (seed 97011, run 264: bug). g1/0 (read_committed) fetched orders-0 offsets 90–95 from leader 3 at
  // 1.09 s, 95 the COMMIT marker of values 75–77's transaction, but polled them only at 2.42 s: they waited in its
  // fetch buffer. At 2.02 s broker 1, out of the ISR before the marker, was elected uncleanly; the producer's next
  // ABORT followed the records in its log. The unclean election permits the read, but counted only from the poll on:
  // it now counts from the record's send.
  it("fuzz-txn-buffered-aborted-read-1536675422.yaml: a record fetched as committed, polled after an unclean election took its marker, is permitted", () => {
    const { judgement } = judged("fuzz-txn-buffered-aborted-read-1536675422.yaml");
    const reads = judgement.anomalies.filter((a) => a.type === "aborted-read");
    expect(reads.length).toBeGreaterThan(0);
    expect(new Set(reads.map((a) => a.allowedBecause?.rule))).toEqual(new Set(["unclean-election"]));
    expect(judgement.verdict).not.toBe("bug");
  });

  // 2.0, steered (seed 97011, run 14146: bug). g1/0's transaction committed offset 56 for orders-0; its COMMIT marker
  // was appended on __consumer_offsets-0 at 2.0860 s, and g1/1, assigned orders-0 at 2.0866 s, resumed from 53.
  // Kafka completes a transaction's pending offsets only once the marker's write is acknowledged (min ISR 3 here),
  // at 2.0871 s: the OffsetFetch came in between. pending-txn-offsets-before-kip447 took the marker's append for
  // the moment the offsets became visible; it now takes the coordinator's completion (txn-offsets-completed).
  it("fuzz-eos-offsets-unacked-marker-3268120672.yaml: offsets of a transaction become visible when its marker is acknowledged, not appended (pre-KIP-447)", () => {
    const { judgement, result } = judged("fuzz-eos-offsets-unacked-marker-3268120672.yaml");
    expectPermitted(judgement, "nonmonotonic-poll", "pending-txn-offsets-before-kip447");
    const marker = result.evidence.find((e) => e.type === "txn-marker" && e.tp === "__consumer_offsets-0" && e.timeUs > 2_000_000);
    const completed = result.evidence.find((e) => e.type === "txn-offsets-completed" && e.timeUs > 2_000_000);
    expect(marker && completed && completed.timeUs > marker.timeUs).toBe(true);
  });

  // Exactly-once on 2.0, steered (seed 97013, run 9878: liveness). g1/0's output producer timed out a request to
  // broker 2 and closed the node's connection to it, under g1/0's own JoinGroup (in kafkasim a member's consumer and
  // output producer share a connection per broker). The join's answer was lost with it and the consumer never heard:
  // it waited the join's request timeout (rebalance timeout + 5 s) and rejoined 90 ms before the end. Closing the
  // connection now fails what either part had in flight on it.
  it("fuzz-eos-shared-connection-368781716.yaml: a member whose output producer closed their shared connection retries its JoinGroup at once", () => {
    const { judgement, result } = judged("fuzz-eos-shared-connection-368781716.yaml");
    expect(judgement.liveness.violations).toEqual([]);
    expect(judgement.verdict).not.toBe("liveness");
    const rejoined = result.evidence.find((e) => e.type === "member-joined" && e.member === "g1/0" && e.timeUs > 3_000_000);
    expect(rejoined?.timeUs).toBeLessThan(5_000_000);
  });

  // Exactly-once on 2.0, steered (seed 97014, run 225: bug). g1/0's output batch of orders.out-0 at sequence 16 (value
  // 31) was written at its first attempt, whose answer was lost; retried, it met a broker without the producer's
  // state and failed OUT_OF_ORDER_SEQUENCE_NUMBER, and the 2.0 producer took sequence 16 back for the partition's
  // next batch under the same epoch (TransactionManager.adjustSequencesDueToFailedBatch). After the abort, the next
  // transaction's value 30 went under sequence 16: the leader took it for a duplicate of the written batch and
  // answered with its offset, and the committed transaction lost value 30. Kafka 2.5's KIP-360 bumps the epoch
  // instead; the new pre-kip360-sequence-reuse rule permits it, on the txn-sequence-reset evidence.
  it("fuzz-txn-sequence-reuse-4168494226.yaml: a pre-2.5 producer reusing a failed batch's sequence loses the next batch (permitted)", () => {
    const { judgement } = judged("fuzz-txn-sequence-reuse-4168494226.yaml");
    expectPermitted(judgement, "lost-transaction", "pre-kip360-sequence-reuse");
    const { judgement: j27 } = judged("fuzz-txn-sequence-reuse-4168494226.yaml", (t) => t.replace('protocol: "2.0"', 'protocol: "2.7"'));
    expect(j27.anomalies.filter((a) => a.allowedBecause?.rule === "pre-kip360-sequence-reuse")).toEqual([]);
  });

  // Exactly-once on 0.11, steered (seed 97017, 10,000 runs on 2 workers: 2 bug): the input producer p1 (transactional)
  // met a zombie leader of orders-0 that lacked its producer state, had a retried batch refused
  // OUT_OF_ORDER_SEQUENCE_NUMBER and took its sequence back (txn-sequence-reset); a later batch went under it, and the
  // real leader, which had an earlier attempt of the failed batch, answered it as a duplicate with that batch's
  // offset. Acknowledged, never written: lost-write, permitted now like the lost transaction
  // (pre-kip360-sequence-reuse, which counted only batches retried twice; once is enough).
  for (const file of ["fuzz-txn-sequence-reuse-write-1965597891.yaml", "fuzz-txn-sequence-reuse-write-3871078764.yaml"]) {
    it(`${file}: an acknowledgement of a reused sequence is a permitted lost write before 2.5`, () => {
      const { judgement } = judged(file);
      const lost = judgement.anomalies.filter((a) => a.type === "lost-write");
      expect(lost.length).toBeGreaterThan(0);
      expect(new Set(lost.map((a) => a.allowedBecause?.rule))).toEqual(new Set(["pre-kip360-sequence-reuse"]));
      expect(judgement.verdict).not.toBe("bug");
    });
  }

  // Exactly-once on 0.11 (seed 97018, run 4277: bug). Broker 2 completed a commit of tx-1 at epoch 0 and was cut off;
  // broker 3 coordinated tx-1 after it. At 2.37 s p1's EndTxn(COMMIT) for a later transaction, same epoch, reached
  // broker 2 (its stale FindCoordinator answer), which took it for a retry of the commit it had completed and answered
  // NONE without writing: the transaction's records never got a marker. Kafka does the same under transaction.version
  // 1 (TransactionCoordinator.endTransaction on CompleteCommit); KIP-890 part 2's epoch bump fences it.
  it("fuzz-txn-zombie-coordinator-endtxn-295084479.yaml: a deposed coordinator's EndTxn retry answer loses a transaction (permitted)", () => {
    const { judgement } = judged("fuzz-txn-zombie-coordinator-endtxn-295084479.yaml");
    expectPermitted(judgement, "lost-transaction", "zombie-coordinator-endtxn");
  });

  // fuzz --seed 94004 --set protocol=3.7, run 2636: leader 1 added broker 2 back to the ISR of orders-0 (AlterPartition,
  // written to ZooKeeper by controller 1), but controller 1 lost its session before answering, so the leader never
  // heard of it and traced no isr-expand. Broker 2 then lost power (an empty log after recovery) while in the ISR
  // ZooKeeper held, and was elected from it: acknowledged writes were lost, and the oracle, missing the expansion,
  // judged it a bug. The ISR change is now traced when ZooKeeper applies the controller's write (as elections are),
  // so the power loss of an in-sync replica permits the loss.
  it("fuzz-unannounced-isr-expand-2682029740.yaml: an ISR change the controller wrote but never answered is traced when ZooKeeper applies it", () => {
    const { judgement, result } = judged("fuzz-unannounced-isr-expand-2682029740.yaml");
    const expands = result.evidence.filter((e) => e.type === "isr-expand" && e.tp === "orders-0" && e.timeUs > 1_800_000 && e.timeUs < 1_870_000);
    expect(expands.map((e) => e.type === "isr-expand" && e.isr)).toEqual([[1, 2]]);
    expectPermitted(judgement, "lost-write", "power-loss-unflushed");
  });

  // fuzz --seed 93003 --set protocol=2.0, run 2352: g1/0 read value 75 (orders-0 offset 90) under its transaction's
  // COMMIT marker; broker 3, stopped before the marker, came back and was elected uncleanly with log end offset 91, so
  // the marker was gone and the producer's next transaction's ABORT ended the record's transaction in the final log.
  // An oracle gap: the unclean election (or a power loss of unflushed replicas) permits it, as it does a lost marker.
  it("fuzz-txn-unclean-aborted-read-1979087579.yaml: a record read as committed whose marker an unclean election took is permitted", () => {
    const { judgement } = judged("fuzz-txn-unclean-aborted-read-1979087579.yaml");
    expectPermitted(judgement, "aborted-read", "unclean-election");
  });

  // fuzz --seed 93004 --set protocol=2.7, run 3815: broker 1 coordinated tx-1 and was cut off at 0.461 s with a
  // transaction Ongoing on orders-0; brokers 2, then 3, coordinated tx-1 after it. After the heal p1's
  // AddPartitionsToTxn(orders-0) reached broker 1, which answered NONE from its cache (the partition was already in
  // that transaction: TransactionCoordinator's shortcut, no write); p1 wrote to the leader, broker 3, and its
  // EndTxn(COMMIT) reached broker 3, which took it for a retry of the transaction it had completed (NONE). No marker
  // was written; the next transaction's ABORT ended the records. Kafka does the same without partition verification
  // (before 3.6): an oracle gap, now the zombie-coordinator-add rule.
  it("fuzz-txn-zombie-coordinator-add-299354477.yaml: a deposed coordinator's cached AddPartitionsToTxn answer loses a transaction without verification (permitted)", () => {
    const { judgement } = judged("fuzz-txn-zombie-coordinator-add-299354477.yaml");
    const lost = expectPermitted(judgement, "lost-transaction", "zombie-coordinator-add");
    expect(lost[0]?.allowedBecause?.events.map((e) => e.type)).toEqual(["txn-transition", "txn-transition"]);
  });

  // Single-profile campaigns (fuzz --seed 92001 --set protocol=2.0, run 2793; --seed 92002 --set protocol=2.7, run
  // 1351): the ZooKeeper-era controller's write of a partition state went through, but its answer was lost on a
  // lossy or slowed link; the ZooKeeper client re-submitted it, it met its own version (a conflict), and the
  // controller read the state back, found nothing left to do, and never sent the partition's leader-and-isr. The
  // partition stayed leaderless to the end (liveness). A simulator bug: a write read back as written counts as
  // written (Kafka retries the election and bumps the epoch once more; either way its brokers hear of it).
  for (const [f, tp, leader] of [
    ["fuzz-ctl-applied-write-815843635.yaml", "__transaction_state-0", 3],
    ["fuzz-ctl-applied-write-2299031189.yaml", "orders-0", 2],
  ] as const) {
    it(`${f}: a controller write applied under a lost answer still sends its leader-and-isr`, () => {
      const { judgement, result } = judged(f);
      expect(judgement.liveness.violations).toEqual([]);
      expect(result.final.partitions.find((p) => `${p.topic}-${p.partition}` === tp)?.leader).toBe(leader);
    });
  }

  // fuzz --seed 92001 --set protocol=2.0, run 1060 (the first campaign with fetch sessions): g1/0's transaction
  // committed offset 20 at 2.048 s, but broker 1 (alone in every ISR, min.insync.replicas 3) wrote its COMMIT marker on
  // __consumer_offsets only at 2.197 s. The member rejoined meanwhile (2.167 s) and resumed from offset 19: before
  // KIP-447 (2.5) OffsetFetch answers the offsets before a transaction's pending ones. An oracle gap, now the
  // pending-txn-offsets-before-kip447 rule. (Re-seeded since: the same story at other times.)
  it("fuzz-eos-pending-offsets-1767828981.yaml: before KIP-447 a member assigned before the offsets' marker resumes from the offsets before the transaction (permitted)", () => {
    const { judgement } = judged("fuzz-eos-pending-offsets-1767828981.yaml");
    const back = expectPermitted(judgement, "nonmonotonic-poll", "pending-txn-offsets-before-kip447");
    expect(back[0]?.allowedBecause?.events.map((e) => e.type)).toEqual(["txn-ended", "assign:ok", "txn-offsets-completed"]);
    // On 2.7 (KIP-447) the rule does not apply.
    const { judgement: j27 } = judged("fuzz-eos-pending-offsets-1767828981.yaml", (t) => t.replace('protocol: "2.0"', 'protocol: "2.7"'));
    expect(j27.anomalies.filter((a) => a.allowedBecause?.rule === "pending-txn-offsets-before-kip447")).toEqual([]);
  });

  // The exactly-once property campaign (seed 71001: acks=all, min ISR 2, unclean off, delivery=exactly-once, a
  // transactional input) gave 15 duplicate-output bugs in its first 3,000 runs, all on 0.11 or 2.0. g1/0 lost its
  // partition in a rebalance while its transaction was open; before KIP-447 (2.5) TxnOffsetCommit names no group
  // generation, so the replaced member still committed the batch g1/1 read again. Permitted by eos-before-kip447;
  // the same run on 2.7 is clean.
  it("fuzz-eos-before-kip447-2236605811.yaml: a replaced member's transaction commits before KIP-447 (permitted), not on 2.7", () => {
    const f = "fuzz-eos-before-kip447-2236605811.yaml";
    const { judgement } = judged(f);
    const dup = judgement.anomalies.filter((a) => a.type === "duplicate-output");
    expect(dup.length).toBe(5);
    expect(new Set(dup.map((a) => a.allowedBecause?.rule))).toEqual(new Set(["eos-before-kip447"]));
    const on27 = judged(f, (t) => t.replace(/^protocol: "0.11"$/m, 'protocol: "2.7"'));
    expect(on27.result.scenario.protocol).toBe("2.7");
    expect(on27.judgement.anomalies.filter((a) => a.type === "duplicate-output")).toEqual([]);
    expect(on27.judgement.verdict).toBe("valid");
  });

  // The same campaign's one liveness verdict (run 64, KRaft 4.1): broker 2 coordinated g1/0's transaction (coordinator
  // epoch 0) and, cut off, missed its replacement by broker 1 (epoch 1), which completed the commit's marker on
  // orders.out-0. Re-elected at epoch 3, broker 2 kept its old cache: its long-pending PrepareCommit append then
  // applied with coordinator epoch 0, its markers were fenced (TRANSACTION_COORDINATOR_FENCED) and dropped, and g1/0's
  // EndTxn got CONCURRENT_TRANSACTIONS to the end. KRaft calls the coordinator's onElection on every local leader
  // change: it reloads at the new epoch and the stale append answers NOT_COORDINATOR.
  it("fuzz-eos-stale-coordinator-4095414643.yaml: a transaction coordinator re-elected at a newer epoch reloads its partition", () => {
    const { judgement, result } = judged("fuzz-eos-stale-coordinator-4095414643.yaml");
    expect(judgement.verdict).not.toBe("liveness");
    expect(result.evidence.filter((e) => e.type === "txn-marker" && e.tp === "__consumer_offsets-0" && e.coordinatorEpoch === 0 && e.timeUs > 2_000_000)).toEqual([]);
  });

  // Three more from that campaign. A late copy of g1/0's own first InitProducerId (a lossy link) reached the
  // coordinator mid-transaction and fenced the producer: the transaction was aborted, the member read its batch again
  // with a new producer — a re-delivery like an abort (the producer-fenced event), which processed-twice had no
  // evidence for.
  it("fuzz-eos-self-fenced-3016510978.yaml: a pipeline member whose producer was fenced processes its batch again (permitted)", () => {
    const { judgement, result } = judged("fuzz-eos-self-fenced-3016510978.yaml");
    expect(result.evidence.filter((e) => e.type === "producer-fenced").length).toBe(1);
    const twice = judgement.anomalies.filter((a) => a.type === "processed-twice");
    expect(twice.length).toBe(50);
    expect(twice.filter((a) => !a.allowed)).toEqual([]);
    expect(judgement.verdict).toBe("allowed");
  });
  // After that abort the member went back to its committed offset (consumer.seek(committed), as Kafka's exactly-once
  // examples do) without a rebalance: the poll-order checker saw it go back. The rewind is a seek op in the history.
  // (Since the coordinator stays coordinator while its partition's AlterPartition is fenced, this run no longer
  // aborts; eos-abort-rewind-seek-91001-229.yaml shows the seek itself.)
  it("fuzz-eos-rewind-seek-3796011078.yaml: no nonmonotonic-poll", () => {
    const { judgement } = judged("fuzz-eos-rewind-seek-3796011078.yaml");
    expect(judgement.anomalies.filter((a) => a.type === "nonmonotonic-poll")).toEqual([]);
  });
  it("eos-abort-rewind-seek-91001-229.yaml: the rewind to the committed offsets after an aborted transaction is a seek in the history", () => {
    const { judgement, result } = judged("eos-abort-rewind-seek-91001-229.yaml");
    expect(result.history.flatMap((op) => (op.f === "seek" ? [[op.process, op.value.offset, op.value.reason]] : []))).toEqual([["g1/0", 101, "seek"]]);
    expect(judgement.verdict).not.toBe("bug");
  });
  // On 2.0 a member followed a deposed leader's stale metadata, found its position out of range and reset to the
  // earliest offset (offset-reset-stale-leader): it read 60 inputs again from a rewound position and committed their
  // outputs a second time, each reading with its own offsets. duplicate-output takes the re-reading's permission.
  // Since the transactional clients send records as they come (their accumulator, issue #14) this run no longer
  // resets (nor on seeds 1–400 of the file): it replays without a bug, and fuzz-eos-zombie-metadata-reset-1904617683
  // below shows duplicate-output taking the permission.
  it("fuzz-eos-stale-leader-reset-532903965.yaml: replays without a bug (the member no longer resets)", () => {
    const { judgement } = judged("fuzz-eos-stale-leader-reset-532903965.yaml");
    expect(judgement.anomalies.filter((a) => a.type === "duplicate-output")).toEqual([]);
    expect(judgement.verdict).not.toBe("bug");
  });

  // The exactly-once campaign on the merged tree (seed 71004, 4.1): the coordinator's partition leader had its
  // AlterPartition refused (INVALID_UPDATE_VERSION) just as g1/0's markers landed; while "fenced" the broker did not
  // count as coordinator, so the markers' completion skipped CompleteCommit for good and g1/0's next AddPartitionsToTxn
  // got CONCURRENT_TRANSACTIONS to the end. The coordinator owns its partition from onElection to onResignation.
  it("fuzz-eos-fenced-coordinator-2122556296.yaml: a coordinator whose partition's AlterPartition was fenced still completes its transactions", () => {
    const { judgement, result } = judged("fuzz-eos-fenced-coordinator-2122556296.yaml");
    expect(judgement.verdict).not.toBe("liveness");
    const g10 = result.evidence.filter((e) => e.type === "txn-ended" && e.producer === "g1/0" && e.timeUs > 1_100_000);
    expect(g10.length).toBeGreaterThan(0);
  });
  // g1/1 committed offset 11 (answered at 2.015 s); the zombie g1/0's transaction with offset 5 had taken effect
  // before it, but its EndTxn answer reached g1/0 only at 2.023 s. In answer order the history says 5; the group
  // resumed at 11. The poll-order checker keeps an earlier-answered commit of another member as a possible start.
  it("fuzz-eos-late-commit-answer-1103751550.yaml: a commit answered late does not hide the one that took effect after it", () => {
    const { judgement } = judged("fuzz-eos-late-commit-answer-1103751550.yaml");
    expect(judgement.anomalies.filter((a) => a.type === "poll-skip")).toEqual([]);
    expect(judgement.verdict).toBe("valid");
  });

  // Default draws on the merged tree (seed 81003, 3.7): broker 3, isolated while it led orders-0, came back still
  // believing it led at epoch 0. g1/0, just assigned the partition (no leader epoch of its own yet to fence stale
  // metadata with, KIP-320), took broker 3's metadata, found the committed offset 201 past broker 3's log end, reset to
  // earliest and read 201 inputs again, committing their outputs a second time. offset-reset-stale-leader now covers
  // 2.1+ while a deposed leader has not heard of its replacement; duplicate-output takes that permission.
  it("fuzz-eos-zombie-metadata-reset-1904617683.yaml: outputs committed again after a reset on a deposed leader's metadata are permitted", () => {
    const { judgement } = judged("fuzz-eos-zombie-metadata-reset-1904617683.yaml");
    const dup = judgement.anomalies.filter((a) => a.type === "duplicate-output");
    expect(dup.length).toBe(201);
    expect(new Set(dup.map((a) => a.allowedBecause?.rule))).toEqual(new Set(["offset-reset-stale-leader"]));
  });

  // Default draws on the final tree (seed 81004, 3.7, transaction.version 0): g1/0's EndTxn(COMMIT) timed out on a
  // flaky link and was sent again; the first copy reached the coordinator late, during the next transaction, and
  // committed it early — its outputs without its offsets — so the member read that batch and wrote it again. The
  // late-EndTxn anomaly (KAFKA-17754) seen as duplicate output: tv1-late-end-txn permits it; transaction.version 2
  // fences the late copy.
  it("fuzz-eos-late-end-txn-3335431643.yaml: a late EndTxn committing a pipeline's next transaction early is the classic protocol's anomaly", () => {
    const f = "fuzz-eos-late-end-txn-3335431643.yaml";
    const { judgement } = judged(f);
    const dup = judgement.anomalies.filter((a) => a.type === "duplicate-output" && a.allowedBecause?.rule !== "retry-without-idempotence");
    expect(dup.length).toBe(6);
    expect(new Set(dup.map((a) => a.allowedBecause?.rule))).toEqual(new Set(["tv1-late-end-txn"]));
  });

  // The exactly-once campaign on the final tree (seed 71005, 4.1): g1/1 was assigned orders-0 while g1/0's
  // transaction with offset 23 was still pending; its OffsetFetch (requireStable, KIP-447) waited for it and g1/1
  // resumed at 23 (past an aborted input transaction, at 30). The history's commit came after the assignment, so the
  // poll-order checker expected the earlier offset 18. A commit landing between an assignment and the member's first
  // poll is a possible start.
  it("fuzz-eos-stable-offsets-wait-3964600007.yaml: a member waiting for stable offsets resumes at the transaction committed meanwhile", () => {
    const { judgement } = judged("fuzz-eos-stable-offsets-wait-3964600007.yaml");
    expect(judgement.anomalies.filter((a) => a.type === "poll-skip")).toEqual([]);
    expect(judgement.verdict).not.toBe("bug");
  });

  // The exactly-once campaign after KIP-890 part 2's implicit add (seed 72001, 4.1, run 69): broker 1, the
  // coordinator of tx-1, lost __transaction_state-0 to broker 3 behind a lossy link without hearing of it. p1's next
  // transaction was added by the leader of orders-0 at broker 3 (the metadata's coordinator); p1 itself, which no
  // longer talks to its coordinator before EndTxn, sent its EndTxn(COMMIT) to broker 1, which answered from its stale
  // CompleteAbort: INVALID_TXN_STATE, fatal for the producer. The transaction stays open at broker 3 until its
  // timeout (kafka-facts T15): transaction-open-at-end permits the hanging transaction.
  // Since the transactional producer's accumulator (records leave as they come, kafka-facts T16) the run's timing
  // changed and p1's EndTxn no longer meets the deposed coordinator (on the file's seed nor on seeds 1–150): what it
  // replays to is stated, so that the check cannot pass vacuously. Since followers fetch through KIP-227 sessions
  // (fact 14a) it replays to `valid` (before: `allowed`, for records processed twice).
  it("fuzz-tv2-zombie-coordinator-endtxn-1054958985.yaml: replays without a bug", () => {
    const { judgement } = judged("fuzz-tv2-zombie-coordinator-endtxn-1054958985.yaml");
    expect(judgement.anomalies.filter((a) => !a.allowed)).toEqual([]);
    expect(judgement.verdict).toBe("valid");
  });

  // A pre-2.5 transactional producer (profiles 0.11 and 2.0: no KIP-360 epoch bump) whose sent batch expired reused
  // the batch's sequences for its next records; the batch had been written, so the leader took them for duplicates
  // (DUPLICATE_SEQUENCE_NUMBER, acknowledged with the old batch's offsets) and they were lost. Kafka cannot go on
  // there: an expired batch that was sent leaves its sequence unknown, a fatal error before KIP-360.
  for (const f of ["fuzz-txn-expired-sent-2070460497.yaml", "fuzz-txn-expired-sent-68072858.yaml"]) {
    it(`${f}: a pre-2.5 transactional producer whose sent batch expired stops instead of reusing its sequences`, () => {
      const { judgement, result } = judged(f);
      expect(judgement.anomalies.filter((a) => !a.allowed)).toEqual([]);
      expect(result.evidence.some((e) => e.type === "producer-fenced" && e.error === "DELIVERY_TIMEOUT")).toBe(true);
    });
  }
});
