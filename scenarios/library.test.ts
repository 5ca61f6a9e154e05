// The scenario library: every file is valid, described, and meets its expectation when run (runScenario +
// judge + checkExpectation); the published JSON Schema matches the schema in code.
import { describe, it, expect } from "vitest";
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseScenario } from "../sim/scenario/parse.ts";
import { scenarioJsonSchema } from "../sim/scenario/schema.ts";
import type { Scenario } from "../sim/scenario/types.ts";
import { runScenario } from "../sim/world.ts";
import { checkExpectation, judge } from "../properties/index.ts";
import { txnView } from "../properties/transactions.ts";
import type { Judgement, RuleId } from "../properties/index.ts";

const DIR = fileURLToPath(new URL(".", import.meta.url));
const FILES = readdirSync(DIR)
  .filter((f) => f.endsWith(".yaml"))
  .sort();

function load(f: string): Scenario {
  return parseScenario(readFileSync(join(DIR, f), "utf8"), { file: f });
}

const judged = new Map<string, Judgement>();
function run(f: string): Judgement {
  let j = judged.get(f);
  if (!j) judged.set(f, (j = judge(runScenario(load(f)))));
  return j;
}

/** Each point of Kafka's reliability notes, the scenario that shows it, and (where the scenario shows a permitted
 *  anomaly) the oracle rule that must be what allows it. */
const RELIABILITY_POINTS: readonly { point: string; file: string; rule?: RuleId }[] = [
  { point: "acks=0: the producer never hears; a leader failure loses records", file: "acks0-leader-crash", rule: "acks0-unacknowledged" },
  { point: "acks=0 over a lossy link: records land out of order after a reconnect", file: "acks0-reorder-lossy-link", rule: "acks0-reconnect-reorder" },
  { point: "acks=1: the leader acknowledges before followers have the record; a leader crash loses it", file: "acks1-leader-crash", rule: "acks1-leader-change" },
  { point: "acks=all: a leader crash loses nothing acknowledged", file: "acks-all-leader-crash" },
  { point: "min.insync.replicas: acks=all writes are refused (NOT_ENOUGH_REPLICAS) when the ISR is too small", file: "min-insync-rejects-writes" },
  { point: "an ISR shrunk to the leader lowers the effective replication factor", file: "isr-shrink-effective-rf" },
  { point: "unclean.leader.election.enable=false: no out-of-sync leader, no loss", file: "unclean-election-disabled" },
  { point: "unclean.leader.election.enable=true: an out-of-sync leader loses committed records", file: "unclean-election-loss", rule: "unclean-election" },
  { point: "replica.lag.time.max.ms (default): a slow follower stays in sync", file: "replica-lag-default" },
  { point: "replica.lag.time.max.ms (short): a slow follower is dropped from the ISR and rejoins", file: "replica-lag-short" },
  { point: "zookeeper.session.timeout.ms (default): a paused broker keeps its session", file: "zk-session-timeout-default" },
  { point: "zookeeper.session.timeout.ms (short): a paused broker loses its leaderships", file: "zk-session-timeout-short" },
  { point: "a zombie leader is fenced by the leader epoch", file: "zombie-leader" },
  { point: "all brokers killed: the page cache survives a process crash", file: "kill-all-brokers" },
  { point: "all brokers lose power: unflushed records are gone (no fsync by default)", file: "power-loss-all-brokers", rule: "power-loss-unflushed" },
  { point: "retries without idempotence duplicate", file: "retries-duplicates", rule: "retry-without-idempotence" },
  { point: "retries=0 fails fast instead of duplicating", file: "retries-zero-fail-fast" },
  { point: "retriable errors are retried", file: "retriable-errors-retried" },
  { point: "max.in.flight.requests.per.connection > 1 without idempotence reorders", file: "inflight-reordering", rule: "retry-without-idempotence" },
  { point: "enable.idempotence: no duplicates", file: "idempotence-no-duplicates" },
  { point: "enable.idempotence: no reordering with 5 requests in flight", file: "idempotence-no-reordering" },
  { point: "an idempotent producer's epoch bump acknowledges nothing falsely", file: "idempotent-epoch-bump-no-false-acks" },
  { point: "producer failure policies: drop", file: "failure-policy-drop" },
  { point: "producer failure policies: log", file: "failure-policy-log" },
  { point: "producer failure policies: halt", file: "failure-policy-halt" },
  { point: "producer failure policies: dead-letter topic", file: "failure-policy-dead-letter" },
  { point: "commit before processing: at-most-once, a crash skips records", file: "commit-before-processing", rule: "commit-before-processing" },
  { point: "commit after processing: at-least-once, a crash re-processes", file: "commit-after-processing", rule: "at-least-once-redelivery" },
  { point: "explicit commits after processing never skip", file: "explicit-commit-after-processing" },
  { point: "periodic commits re-process what came after the last commit", file: "commit-interval-duplicates", rule: "at-least-once-redelivery" },
  { point: "auto-commit with asynchronous processing: poll() commits what the worker has not processed", file: "auto-commit-async-loss", rule: "auto-commit-async" },
  { point: "asynchronous processing with commits after processing keeps up", file: "async-processing-commit-liveness" },
  { point: "a rebalance mid-batch re-delivers the uncommitted part", file: "rebalance-mid-batch", rule: "at-least-once-redelivery" },
  { point: "consumer state kept in memory is lost with the consumer", file: "consumer-state-lost", rule: "at-least-once-redelivery" },
  { point: "downstream failures: retried, then dead-lettered", file: "downstream-retry-dead-letter" },
  { point: "auto.offset.reset=earliest reads everything", file: "offset-reset-earliest" },
  { point: "auto.offset.reset=latest skips what was written before the group started", file: "offset-reset-latest", rule: "offset-reset-latest" },
  { point: "an offset out of range after a truncation resets the consumer", file: "offset-reset-after-truncation" },
  { point: "protocol 0.10: truncation to the high watermark loses records (KIP-101)", file: "protocol-0.10-truncate-to-hw", rule: "protocol-0.10-truncation" },
  { point: "protocol 0.11: fast successive leader changes diverge the logs (KIP-279)", file: "protocol-0.11-fast-failover-divergence", rule: "protocol-0.11-divergence" },
  { point: "protocol 2.0: the epoch walk-back keeps the logs consistent", file: "protocol-2.0-no-divergence" },
  { point: "KRaft 4.1 with ELR: the last ISR member losing power does not lose committed data (KIP-966)", file: "kraft-elr-last-replica-power-loss" },
  { point: "KRaft 4.0 without ELR: the last ISR member losing power loses committed data", file: "kraft-no-elr-last-replica-power-loss", rule: "power-loss-unflushed" },
  { point: "KRaft: a quorum without its majority freezes metadata but not the data plane", file: "kraft-quorum-majority-lost" },
  { point: "KRaft: a leader cut off from the quorum keeps leading until fenced, acknowledging nothing lost with acks=all", file: "kraft-zombie-leader" },
  { point: "KRaft: a broker whose heartbeats stop is fenced after broker.session.timeout.ms and loses its leaderships", file: "kraft-broker-fenced" },
  { point: "KRaft: a broker applying metadata late refuses writes it should take (stale-leadership window)", file: "kraft-metadata-lag" },
  { point: "transactions: read_committed never returns an aborted transaction's records; read_uncommitted does", file: "txn-read-committed" },
  { point: "exactly-once consume-transform-produce: a crashed member's transaction is aborted, its batch read again, no output committed twice", file: "eos-pipeline-broker-crash", rule: "at-least-once-redelivery" },
  { point: "transactions: a zombie producer is fenced by its successor's InitProducerId (PRODUCER_FENCED)", file: "zombie-producer-fenced" },
  { point: "transactions: a coordinator that dies mid-commit is replaced; the new one completes the transaction from the log", file: "txn-coordinator-failover" },
  { point: "transactions: a transaction outliving transaction.timeout.ms is aborted by the coordinator, fencing its producer", file: "txn-timeout-abort" },
  { point: "transaction.version 1 (classic): a late EndTxn of an earlier transaction ends a later one early (KAFKA-17754)", file: "txn-late-end-txn-tv1", rule: "tv1-late-end-txn" },
  { point: "transaction.version 2 (KIP-890): the epoch bump per transaction fences the late EndTxn", file: "txn-late-end-txn-tv2" },
  { point: "no partition verification (before 3.6): a late produce request of an aborted transaction hangs the partition", file: "txn-late-produce-unverified", rule: "unverified-late-produce" },
  { point: "KIP-890 part 1 (3.6+): the leader verifies with the coordinator and refuses the late produce request", file: "txn-late-produce-verified" },
  { point: "transaction.version 2 (KIP-890 part 2): the abort's bumped epoch fences the late produce request", file: "txn-late-produce-tv2" },
];

describe("scenario library", () => {
  it("maps each point of the reliability notes to its scenario, and every scenario to a point", () => {
    const names = FILES.map((f) => f.replace(/\.yaml$/, ""));
    for (const p of RELIABILITY_POINTS) expect(names, p.point).toContain(p.file);
    expect(names.filter((n) => !RELIABILITY_POINTS.some((p) => p.file === n))).toEqual([]);
  });

  it.each(RELIABILITY_POINTS.filter((p) => p.rule !== undefined))("$file: its permitted anomalies are allowed by $rule", (p) => {
    const j = run(`${p.file}.yaml`);
    const expected = load(`${p.file}.yaml`).expect?.anomalies ?? [];
    const shown = j.anomalies.filter((a) => expected.includes(a.type));
    expect(shown.length, `${p.file} shows none of ${expected.join(", ")}`).toBeGreaterThan(0);
    expect(shown.map((a) => a.allowedBecause?.rule)).toContain(p.rule);
  });

  it.each(FILES)("%s is valid, named after its file, described, with an expectation", (f) => {
    const s = load(f);
    expect(s.name).toBe(f.replace(/\.yaml$/, ""));
    expect(s.description?.length ?? 0).toBeGreaterThan(40);
    expect(s.expect).toBeDefined();
    expect((s.expect?.verdict !== undefined ? 1 : 0) + (s.expect?.anomalies?.length ?? 0) + (s.expect?.absent?.length ?? 0)).toBeGreaterThan(0);
  });

  it.each(FILES)("%s meets its expectation", (f) => {
    const s = load(f);
    const j = run(f);
    const outcome = checkExpectation(s.expect, j);
    expect(outcome.problems, `${f}: ${outcome.problems.join("; ")}`).toEqual([]);
    expect(outcome.ok).toBe(true);
  });

  it("halting on the first failure sends less than logging and going on", () => {
    const halt = run("failure-policy-halt.yaml").stats;
    const log = run("failure-policy-log.yaml").stats;
    expect(halt.sent).toBeLessThan(log.sent);
  });

  it("min-insync-rejects-writes: the leader really refuses acks=all writes with NOT_ENOUGH_REPLICAS once the controller has shrunk the ISR; with min.insync.replicas=1 it acknowledges them", () => {
    const s = load("min-insync-rejects-writes.yaml");
    const errors = (r: ReturnType<typeof runScenario>): string[] => r.history.filter((op) => op.f === "send" && op.type !== "ok" && op.type !== "invoke").map((op) => (op.f === "send" ? (op.value.error ?? "") : ""));
    const r = runScenario(s, { record: true });
    expect(r.trace.some((e) => e.type === "isr-shrink" && e.tp === "orders-0" && e.isr.length === 1)).toBe(true);
    expect(errors(r).filter((e) => e === "NOT_ENOUGH_REPLICAS").length).toBeGreaterThan(50);
    const one = runScenario({ ...s, broker: { ...s.broker, "min.insync.replicas": 1 } });
    expect(errors(one)).not.toContain("NOT_ENOUGH_REPLICAS");
    expect(one.sendsAcked).toBeGreaterThan(r.sendsAcked);
  });

  it("kraft-*-last-replica-power-loss: on the same faults 4.1 elects from the ELR and loses nothing, 4.0 re-elects the emptied leader and loses what it acknowledged", () => {
    const elr = runScenario(load("kraft-elr-last-replica-power-loss.yaml"), { record: true });
    const elected = elr.trace.filter((e) => e.type === "leader-elected");
    expect(elected.map((e) => (e.type === "leader-elected" ? [e.leader, e.election] : []))).toEqual([
      [2, "clean"],
      [1, "elr"],
    ]);
    const noElr = load("kraft-no-elr-last-replica-power-loss.yaml");
    expect(judge(runScenario({ ...noElr, protocol: "4.1" })).stats.lostWrites).toBe(0);
    expect(run("kraft-no-elr-last-replica-power-loss.yaml").stats.lostWrites).toBe(500);
  });

  it("kraft-quorum-majority-lost: with no broker failing every write is acknowledged while the quorum is down", () => {
    const r = runScenario(load("kraft-quorum-majority-lost.yaml"), { record: true });
    expect(r.trace.filter((e) => e.type === "node-kill").map((e) => (e.type === "node-kill" ? e.node : ""))).toEqual(["controller-1", "controller-2"]);
    const { stats } = judge(r);
    expect(stats.sent).toBe(1601);
    expect(stats.acked).toBe(stats.sent);
  });

  it("kraft-broker-fenced: the paused leader is fenced and another broker leads; resumed, it is unfenced", () => {
    const r = runScenario(load("kraft-broker-fenced.yaml"), { record: true });
    const changes = r.trace.flatMap((e) => (e.type === "kraft-broker" && e.broker === 2 && e.change !== "registered" ? [e.change] : []));
    expect(changes).toEqual(["unfenced", "fenced", "unfenced"]);
    expect(r.trace.filter((e) => e.type === "leader-elected").map((e) => (e.type === "leader-elected" ? e.leader : 0))).toEqual([2, 1]);
  });

  it("kraft-metadata-lag: the lagging broker, elected, answers NOT_LEADER_OR_FOLLOWER until the record reaches it; without the lag it answers at once", () => {
    const s = load("kraft-metadata-lag.yaml");
    const notLeader = (r: ReturnType<typeof runScenario>): number => r.trace.filter((e) => e.type === "produce-retry" && e.error === "NOT_LEADER_OR_FOLLOWER").length;
    const lagging = runScenario(s, { record: true });
    const prompt = runScenario({ ...s, faults: s.faults.filter((f) => f.action.kind !== "metadata-lag") }, { record: true });
    expect(notLeader(lagging)).toBeGreaterThan(20);
    expect(notLeader(prompt)).toBeLessThanOrEqual(1); // at most the one send that raced the metadata refresh
    expect(prompt.sendsAcked).toBeGreaterThan(lagging.sendsAcked);
  });

  it("a scenario replays to the same trace hash", () => {
    const s = load("acks1-leader-crash.yaml");
    expect(runScenario(s).traceHash).toBe(runScenario(s).traceHash);
  });

  it("the scenario example in README.md is a valid scenario", () => {
    const md = readFileSync(join(DIR, "..", "README.md"), "utf8");
    const yaml = /```yaml\n([\s\S]*?)```/.exec(md)?.[1];
    expect(yaml).toBeDefined();
    const s = parseScenario(yaml as string, { file: "README.md" });
    expect(s.faults.length).toBe(3);
    expect(s.consumers[0]?.processing.onFailure).toBe("dead-letter");
  });

  it("scenarios/schema.json is the JSON Schema generated from the zod schema", () => {
    expect(JSON.parse(readFileSync(join(DIR, "schema.json"), "utf8"))).toEqual(JSON.parse(JSON.stringify(scenarioJsonSchema())));
  });

  it("eos-pipeline-broker-crash: the restarted member's InitProducerId aborts the crashed transaction; without transactions the same faults commit an output twice", () => {
    const s = load("eos-pipeline-broker-crash.yaml");
    const r = runScenario(s, { record: true });
    const states = r.trace.flatMap((e) => (e.type === "txn-transition" && e.transactionalId === "eos/0" && e.timeUs > 6_007_000 ? [e.state] : []));
    expect(states.slice(0, 3)).toEqual(["PrepareAbort", "CompleteAbort", "Empty"]);
    const plain = { ...s, consumers: s.consumers.map((c) => (c.group === "eos" ? { ...c, processing: { ...c.processing, output: { topic: "output", transactional: false } } } : c)) };
    const dup = judge(runScenario(plain)).anomalies.filter((a) => a.type === "duplicate-output");
    expect(dup.length).toBe(247);
    expect(dup.filter((a) => a.allowedBecause?.rule !== "at-least-once-pipeline").map((a) => a.explanation)).toEqual([]);
  });

  it("zombie-producer-fenced: new's InitProducerId aborts old's open transaction at a bumped epoch; old is fenced and nothing of that transaction is read", () => {
    const r = runScenario(load("zombie-producer-fenced.yaml"), { record: true });
    const states = r.trace.flatMap((e) => (e.type === "txn-transition" && e.timeUs > 2_900_000 && e.timeUs < 3_005_000 ? [`${e.state}@${e.producerEpoch}`] : []));
    expect(states).toEqual(["PrepareAbort@1", "CompleteAbort@1", "Empty@2"]);
    // Resumed, old sends the next record of its open transaction; the leader has the ABORT marker's newer epoch.
    expect(r.trace.flatMap((e) => (e.type === "producer-fenced" ? [[e.producer, e.producerEpoch, e.error]] : []))).toEqual([["old", 0, "INVALID_PRODUCER_EPOCH"]]);
    // old's records in the transaction open at its pause (2.48 s; opened at 2.455 s, each record sent as it came and
    // appended on both partitions): aborted, never polled.
    const open = r.history.flatMap((op) => (op.f === "send" && op.type === "invoke" && op.process === "old" && op.timeUs > 2_452_000 && op.timeUs <= 2_480_000 ? [op.value.value] : []));
    expect(open.length).toBe(5);
    const aborted = txnView(r).abortedValues;
    expect(open.filter((v) => !aborted.has(v))).toEqual([]);
    const polled = new Set(r.history.flatMap((op) => (op.f === "poll" && op.type === "ok" ? op.value.records.map((x) => x.value) : [])));
    expect(open.filter((v) => polled.has(v))).toEqual([]);
    // The refused record fails with the fencing error.
    expect(r.history.flatMap((op) => (op.f === "send" && op.type === "fail" ? [[op.process, op.value.error]] : []))).toEqual([["old", "INVALID_PRODUCER_EPOCH"]]);
  });

  it("txn-coordinator-failover: the transaction in PrepareCommit when its coordinator died is completed by the new one", () => {
    const r = runScenario(load("txn-coordinator-failover.yaml"), { record: true });
    // From the transaction's second partition added (2.961 s; its first went in at 2.956 s).
    const around = r.trace.flatMap((e) => (e.type === "txn-transition" && e.timeUs > 2_958_000 && e.timeUs < 8_000_000 ? [`${e.state}@b${e.broker}`] : []));
    // Broker 1 wrote PrepareCommit and was killed (3.003 s) before CompleteCommit; broker 2 loaded the log and completed it.
    expect(around.slice(0, 3)).toEqual(["Ongoing@b1", "PrepareCommit@b1", "CompleteCommit@b2"]);
    expect(r.trace.find((e) => e.type === "fault")).toMatchObject({ nodes: ["broker-1"] });
    const j = judge(r);
    expect(j.verdict).toBe("valid");
  });

  it("txn-timeout-abort: the coordinator's sweep aborts the paused producer's transaction at a bumped epoch; resumed, the producer is fenced", () => {
    const r = runScenario(load("txn-timeout-abort.yaml"), { record: true });
    const states = r.trace.flatMap((e) => (e.type === "txn-transition" && e.timeUs > 2_600_000 ? [`${e.state}@${e.producerEpoch}`] : []));
    expect(states).toEqual(["PrepareAbort@1", "CompleteAbort@1"]);
    const timedOut = r.trace.find((e) => e.type === "txn-timed-out");
    // Opened at 2.456 s (its first AddPartitionsToTxn), 2,000 ms of timeout, found by the sweep that runs every 1,000 ms.
    expect(timedOut?.timeUs).toBeGreaterThan(4_456_000);
    expect(timedOut?.timeUs).toBeLessThan(5_600_000);
    // Resumed at 6 s, p1 sends its transaction's next record: the leader's verification finds the newer epoch.
    expect(r.trace.flatMap((e) => (e.type === "producer-fenced" ? [[e.producer, e.error]] : []))).toEqual([["p1", "INVALID_PRODUCER_EPOCH"]]);
    // The aborted transaction's records, each sent as it came and acknowledged before the pause (2.48 s), are never
    // polled; the readers went on past them.
    const open = r.history.flatMap((op) => (op.f === "send" && op.type === "ok" && op.process === "p1" && op.timeUs > 2_455_000 && op.timeUs <= 2_480_000 ? [op.value.value] : []));
    expect(open.length).toBe(5);
    const polled = r.history.flatMap((op) => (op.f === "poll" && op.type === "ok" ? op.value.records.map((x) => x.value) : []));
    expect(open.filter((v) => polled.includes(v))).toEqual([]);
    expect(judge(r).verdict).toBe("valid");
  });

  it("txn-late-end-txn-*: on 2.7 a late EndTxn(ABORT) of p1 ends a later transaction early and leaves records in none; on 4.1 (transaction.version 2) the late copy meets the bumped epoch and is fenced", () => {
    const tv1 = runScenario(load("txn-late-end-txn-tv1.yaml"));
    const timedOut = tv1.evidence.filter((e) => e.type === "txn-request-timeout");
    // The EndTxn(ABORT) and its retries on new connections, until the heal.
    expect(timedOut.map((e) => (e.type === "txn-request-timeout" ? [e.producerEpoch, e.commit] : []))).toEqual([
      [0, false],
      [0, false],
      [0, false],
    ]);
    expect(tv1.evidence.filter((e) => e.type === "producer-fenced").map((e) => (e.type === "producer-fenced" ? e.error : ""))).toEqual(["INVALID_TXN_STATE"]);
    expect(run("txn-late-end-txn-tv1.yaml").anomalies.map((a) => [a.type, a.allowedBecause?.rule])).toEqual([["hanging-transaction", "tv1-late-end-txn"]]);
    const tv2 = runScenario(load("txn-late-end-txn-tv2.yaml"));
    const fenced = tv2.evidence.filter((e) => e.type === "txn-end-fenced");
    // The late copy arrives during a later transaction (Ongoing) with the epoch below the current one.
    expect(fenced.some((e) => e.type === "txn-end-fenced" && e.state === "Ongoing" && e.currentEpoch > e.producerEpoch)).toBe(true);
    expect(tv2.evidence.filter((e) => e.type === "producer-fenced")).toEqual([]);
  });

  it("txn-late-produce-*: p1's expired batch, still on the wire, lands after the ABORT marker on 2.7 and hangs orders-0; verification (3.7) refuses it, and so does transaction.version 2's bumped epoch (4.1) — each hangs again without its mechanism", () => {
    const unverified = runScenario(load("txn-late-produce-unverified.yaml"));
    const expired = unverified.evidence.filter((e) => e.type === "txn-batch-expired");
    // The transaction's batches of orders-0: the first sent, the rest queued behind it (one batch of a partition in
    // flight), both past delivery.timeout.ms since they were created.
    expect(expired.map((e) => (e.type === "txn-batch-expired" ? [e.tp, e.producerEpoch, e.values.length] : []))).toEqual([
      ["orders-0", 0, 1],
      ["orders-0", 0, 9],
    ]);
    const markers = unverified.evidence.filter((e) => e.type === "txn-marker" && e.tp === "orders-0").map((e) => (e.type === "txn-marker" ? [e.control, e.producerEpoch] : []));
    expect(markers).toEqual([["commit", 0], ["commit", 0], ["abort", 0]]);
    // KIP-360: after the abort p1 asks for a bumped epoch (the coordinator's Empty transition at epoch 1).
    expect(unverified.evidence.some((e) => e.type === "txn-transition" && e.state === "Empty" && e.producerEpoch === 1)).toBe(true);
    expect(run("txn-late-produce-unverified.yaml").anomalies.map((a) => [a.type, a.allowedBecause?.rule])).toEqual([["hanging-transaction", "unverified-late-produce"]]);

    const verified = load("txn-late-produce-verified.yaml");
    const v = runScenario(verified);
    const refused = v.evidence.filter((e) => e.type === "txn-verify-refused").map((e) => (e.type === "txn-verify-refused" ? [e.tp, e.producerEpoch, e.error] : []));
    // The three copies (the first send and two retries, each timed out on the cut link) arrive after the heal.
    expect(refused).toEqual([0, 1, 2].map(() => ["orders-0", 0, "PRODUCER_FENCED"]));
    const off = judge(runScenario({ ...verified, broker: { ...verified.broker, "transaction.partition.verification.enable": false } }));
    expect(off.anomalies.map((a) => [a.type, a.allowedBecause?.rule])).toEqual([["hanging-transaction", "unverified-late-produce"]]);

    const tv2 = load("txn-late-produce-tv2.yaml");
    const t = runScenario(tv2);
    expect(judge(t).anomalies).toEqual([]);
    // KIP-890 part 2: the leader's add for each late copy meets the epoch the abort's EndTxn bumped.
    expect(t.evidence.flatMap((e) => (e.type === "txn-verify-refused" ? [[e.tp, e.producerEpoch, e.error]] : []))).toEqual([0, 1, 2].map(() => ["orders-0", 2, "PRODUCER_FENCED"]));
    const tv0 = judge(runScenario({ ...tv2, broker: { ...tv2.broker, "transaction.version": 0 } }));
    expect(tv0.anomalies.map((a) => [a.type, a.allowedBecause?.rule])).toEqual([["hanging-transaction", "unverified-late-produce"]]);
  });
});
