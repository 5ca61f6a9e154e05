// The oracle's rules: each way Kafka permits an anomaly, the evidence it requires from the run, and its source.
// An anomaly is `allowed` only when one of these rules finds its evidence for that record in the run's evidence
// (RunResult.evidence) and history; otherwise it is a bug. The README's oracle section is this table.
import type { AnomalyType } from "../../sim/scenario/types.ts";

export type RuleId =
  | "acks0-unacknowledged"
  | "acks1-leader-change"
  | "unclean-election"
  | "power-loss-unflushed"
  | "protocol-0.10-truncation"
  | "protocol-0.11-divergence"
  | "protocol-2.0-stale-follower"
  | "protocol-zk-isr-write"
  | "retry-without-idempotence"
  | "idempotent-sequence-reset"
  | "pre-kip360-sequence-reuse"
  | "acks0-reconnect-reorder"
  | "commit-before-processing"
  | "auto-commit-async"
  | "processing-failure-skipped"
  | "at-least-once-redelivery"
  | "at-least-once-pipeline"
  | "transaction-open-at-end"
  | "markers-pending-at-end"
  | "eos-before-kip447"
  | "pending-txn-offsets-before-kip447"
  | "tv1-late-end-txn"
  | "unverified-late-produce"
  | "zombie-coordinator-add"
  | "zombie-coordinator-endtxn"
  | "late-commit-on-lossy-link"
  | "offset-reset-latest"
  | "offset-reset-stale-leader"
  | "capacity"
  | "run-stopped-early"
  | "drain-too-short";

export interface Rule {
  readonly id: RuleId;
  /** The configuration that permits it. */
  readonly when: string;
  /** What the oracle must find in the run for a record. */
  readonly evidence: string;
  readonly anomalies: readonly AnomalyType[];
  /** Kafka source (docs/kafka-facts.md fact numbers, KIPs, classes). */
  readonly source: string;
}

/** Anomalies that follow once committed records are lost: the log is rewritten under the consumers' feet. */
export const COMMITTED_LOSS_FAMILY: readonly AnomalyType[] = [
  "lost-write",
  "inconsistent-offsets",
  "nonmonotonic-send",
  "uncommitted-read",
  "unseen",
  "committed-unprocessed",
  "processed-twice",
  "poll-skip",
  "nonmonotonic-poll",
  "duplicate",
];

/** What a lost marker, lost transactional records or lost transactional offsets lead to (an unclean election or a
 *  power loss of unflushed replicas, of any partition a transaction touched). */
export const TXN_LOSS_FAMILY: readonly AnomalyType[] = ["duplicate-output", "lost-transaction", "hanging-transaction", "torn-transaction"];

export const RULES: Readonly<Record<RuleId, Rule>> = {
  "acks0-unacknowledged": {
    id: "acks0-unacknowledged",
    when: "the record's producer has acks=0",
    evidence: "the send itself: the producer never hears whether the record was written",
    anomalies: ["lost-write"],
    source: "fact 15; ProducerConfig acks",
  },
  "acks1-leader-change": {
    id: "acks1-leader-change",
    when: "the record's producer has acks=1",
    evidence:
      "a leader of the record's partition at a higher leader epoch than the one that appended it, elected from the ISR (or uncleanly where unclean election is on), that lacked the record (its log end offset at or below the record's offset); a reorder: that loss of the earlier record's acknowledged copy, and a retry of its batch by a producer without idempotence that wrote it again after the later one",
    anomalies: ["lost-write", "inconsistent-offsets", "nonmonotonic-send"],
    source: "fact 14; Partition.appendRecordsToLeader (acks=1 answers after the local append)",
  },
  "unclean-election": {
    id: "unclean-election",
    when: "unclean.leader.election.enable=true for the topic",
    evidence: "an election of a leader that was not in the ISR the controller elected from, after the record was written (replica invariants: any such election of the partition; the old replicas disagree until they hear of it)",
    anomalies: [...COMMITTED_LOSS_FAMILY, "log-divergence", "leader-incomplete", "strong-isr", ...TXN_LOSS_FAMILY, "aborted-read"],
    source: "fact 11; KIP-106; PartitionStateMachine.offlinePartitionLeaderElection",
  },
  "power-loss-unflushed": {
    id: "power-loss-unflushed",
    when: "log.flush.interval.messages is not 1 for the topic (no fsync per record: Kafka's default)",
    evidence:
      "a power loss of a replica of the partition that was in the ISR, whose recovered log ended at or below the record's offset (or lost unflushed records), after the record was sent (the replica may have fetched it before the leader counted the fetch); replica invariants: a power loss of a replica of the partition",
    anomalies: [...COMMITTED_LOSS_FAMILY, "log-divergence", "leader-incomplete", "strong-isr", ...TXN_LOSS_FAMILY, "aborted-read"],
    source: "fact 27; LogManager kafka-log-flusher, UnifiedLog recovery",
  },
  "protocol-0.10-truncation": {
    id: "protocol-0.10-truncation",
    when: "protocol 0.10",
    evidence: "a truncation of the partition to a high watermark below the record (on becoming follower or restarting), or a leader change, after the record was written",
    anomalies: [...COMMITTED_LOSS_FAMILY, "log-divergence", "leader-incomplete", "strong-isr"],
    source: "fact 13; KIP-101",
  },
  "protocol-0.11-divergence": {
    id: "protocol-0.11-divergence",
    when: "protocol 0.11 (KIP-101 without KIP-279)",
    evidence: "a truncation of the partition below the record, or a leader change, after the record was written (fast successive leader changes diverge the logs)",
    anomalies: [...COMMITTED_LOSS_FAMILY, "log-divergence", "leader-incomplete", "strong-isr"],
    source: "fact 13; KIP-279",
  },
  "protocol-2.0-stale-follower": {
    id: "protocol-2.0-stale-follower",
    when: "protocol 2.0 (KIP-279 without KIP-320: follower fetches carry no leader epoch)",
    evidence: "a replica that never became follower at the leader's epoch (it missed the leader change, so it never truncated) fetched from that leader by offset alone and was added to its ISR",
    anomalies: [...COMMITTED_LOSS_FAMILY, "log-divergence", "leader-incomplete", "strong-isr"],
    source: "fact 13; KAFKA-6880, fixed by KIP-320 in 2.1",
  },
  "protocol-zk-isr-write": {
    id: "protocol-zk-isr-write",
    when: "protocols before 2.7 (the leader writes ISR changes to ZooKeeper itself, no AlterIsr)",
    evidence: "a clean election, after the record was appended, of a replica that ZooKeeper's ISR listed and the old leader's did not (the leader's write adding it was applied but unanswered, and its retry met the controller's newer version), whose log ended before the record",
    anomalies: [...COMMITTED_LOSS_FAMILY],
    source: "fact 48; Partition.updateIsr / ReplicationUtils.updateLeaderAndIsr (\"Cached zkVersion not equal to that in zookeeper, skip updating ISR\"), fixed by KIP-497 in 2.7",
  },
  "retry-without-idempotence": {
    id: "retry-without-idempotence",
    when: "the producer is not idempotent (enable.idempotence=false, or protocol 0.10) and retries > 0",
    evidence: "a retry of the batch holding the record (duplicate), or of the batch holding the record sent before it with max.in.flight.requests.per.connection > 1 (reorder)",
    anomalies: ["duplicate", "nonmonotonic-send", "processed-twice"],
    source: "fact 19; Sender.completeBatch / RecordAccumulator.reenqueue",
  },
  "idempotent-sequence-reset": {
    id: "idempotent-sequence-reset",
    when: "the producer is idempotent and a broker answered a retry of the record's batch with OUT_OF_ORDER_SEQUENCE_NUMBER or UNKNOWN_PRODUCER_ID while no earlier batch of the partition was unresolved",
    evidence: "an attempt of the batch was written (on the leader that kept it), a retry of it met a broker without that producer state (a zombie leader cut off before the writes), and the producer bumped its epoch and sent the batch again under new sequence numbers",
    anomalies: ["duplicate", "processed-twice", "duplicate-output"],
    source: "fact 19; TransactionManager.canRetry / requestEpochBumpForPartition (KIP-360)",
  },
  "pre-kip360-sequence-reuse": {
    id: "pre-kip360-sequence-reuse",
    when: "a transactional producer before Kafka 2.5 (protocols 0.11, 2.0: no KIP-360)",
    evidence: "before the record was acknowledged (or its transaction ended), a batch of the producer on the record's partition, sent more than once, failed (OUT_OF_ORDER_SEQUENCE_NUMBER from a broker without its producer state) and the producer took its sequence back for the partition's next batch under the same epoch; if an earlier attempt of the failed batch had been written, the leader took a later batch under that sequence for a duplicate of it and answered with the old offset, so the record was never written",
    anomalies: ["lost-write", "lost-transaction"],
    source: "KIP-360 (2.5: bump the epoch instead); TransactionManager.adjustSequencesDueToFailedBatch; ProducerStateManager duplicate batch detection",
  },
  "acks0-reconnect-reorder": {
    id: "acks0-reconnect-reorder",
    when: "the producer has acks=0",
    evidence: "the two records went out on different connections: the producer's connection to the leader closed between the two sends (a request timeout or a disconnect), or the two were written to different brokers (its metadata moved the partition's leader); what one connection was still retransmitting lands after what the other delivered",
    anomalies: ["nonmonotonic-send"],
    source: "NetworkClient (a timed-out request closes its connection); acks=0 has no sequence check",
  },
  "commit-before-processing": {
    id: "commit-before-processing",
    when: "the group commits before processing (at-most-once)",
    evidence: "the member that polled the record crashed, or the group rebalanced, after the poll (the commit covered a record never processed)",
    anomalies: ["committed-unprocessed"],
    source: "KafkaConsumer commitSync before processing: at-most-once delivery",
  },
  "auto-commit-async": {
    id: "auto-commit-async",
    when: "enable.auto.commit=true with asynchronous processing",
    evidence: "the member that polled the record crashed, or the group rebalanced, after the poll: auto-commit had committed its position before the worker processed it",
    anomalies: ["committed-unprocessed"],
    source: "fact 21; ConsumerCoordinator.maybeAutoCommitOffsetsAsync commits consumed positions",
  },
  "processing-failure-skipped": {
    id: "processing-failure-skipped",
    when: "the group's processing gives up on failing records (onFailure skip / log)",
    evidence: "the record's processing failed for good",
    anomalies: ["committed-unprocessed"],
    source: "the scenario's processing policy",
  },
  "at-least-once-redelivery": {
    id: "at-least-once-redelivery",
    when: "any group: at-least-once without transactions; with a transactional output (processing.output) its processing repeats too after an aborted transaction — only the output to Kafka is exactly-once",
    evidence: "between the two processings: a rebalance of the group, a crash or poll timeout of the member, a failed commit, or a lost committed offset; or one of the two processors had been removed from the group (and not rejoined) when it processed the record (a zombie member)",
    anomalies: ["processed-twice"],
    source: "fact 22, T10; at-least-once delivery of KafkaConsumer; an aborted transaction rewinds to the committed offsets",
  },
  "at-least-once-pipeline": {
    id: "at-least-once-pipeline",
    when: "a consume-transform-produce group without transactions (processing.output with transactional: false)",
    evidence: "the group processed the input record twice, with what at-least-once-redelivery requires between the two processings (a rebalance, a crash or poll timeout of the member, a failed commit...): its output was written after the first processing and before the offsets were committed",
    anomalies: ["duplicate-output"],
    source: "fact T10; at-least-once delivery without transactions",
  },
  "transaction-open-at-end": {
    id: "transaction-open-at-end",
    when: "a transaction was still open when the run ended",
    evidence: "the transaction's first record was sent less than transaction.timeout.ms + transaction.abort.timed.out.transaction.cleanup.interval.ms + 5 s before the end of the run: its coordinator's sweep may not have aborted it yet",
    anomalies: ["hanging-transaction"],
    source: "fact T7; TransactionCoordinator.abortTimedOutTransactions",
  },
  "eos-before-kip447": {
    id: "eos-before-kip447",
    when: "an exactly-once pipeline (processing.output with transactional: true) on Kafka before 2.5 (protocol 0.11, 2.0): TxnOffsetCommit carries no group generation, and a transactional.id per member does not fence the member a rebalance replaced",
    evidence: "the group processed the input record twice with what at-least-once-redelivery requires between the two processings (a rebalance, a member leaving...): the replaced member's transaction could still commit its output and offsets after the partition's new owner had read the same batch",
    anomalies: ["duplicate-output"],
    source: "KIP-447 (2.5: TxnOffsetCommit v3 with generation and member id); fact T8; before it, Kafka Streams used a producer per input partition",
  },
  "pending-txn-offsets-before-kip447": {
    id: "pending-txn-offsets-before-kip447",
    when: "an exactly-once pipeline (processing.output with transactional: true) on Kafka before 2.5 (protocol 0.11, 2.0): OffsetFetch does not wait for a transaction's pending offsets",
    evidence: "a transaction of the group committed (its EndTxn was answered) before the member's assignment, and its COMMIT marker on __consumer_offsets was written, or its write acknowledged (the coordinator completes the offsets then), only after it: the coordinator still held the transaction's offsets as pending when the member fetched its committed offsets, and answered the ones before",
    anomalies: ["nonmonotonic-poll"],
    source: "KIP-447 (2.5: OffsetFetch require_stable, UNSTABLE_OFFSET_COMMIT); GroupMetadata.pendingTransactionalOffsetCommits (offsets become visible once the marker's write is acknowledged)",
  },
  "markers-pending-at-end": {
    id: "markers-pending-at-end",
    when: "a committed transaction whose COMMIT markers were still being written when the run ended",
    evidence: "after the transaction's EndTxn was answered, its coordinator never wrote CompleteCommit for it, and the run ended less than the broker's request.timeout.ms + 5 s later: a WriteTxnMarkers request to a leader that died is retried on the new leader only after that timeout",
    anomalies: ["lost-transaction"],
    source: "fact T5; TransactionMarkerChannelManager, TransactionMarkerRequestCompletionHandler (markers retried until written)",
  },
  "tv1-late-end-txn": {
    id: "tv1-late-end-txn",
    when: "transaction.version below 2 (the classic protocol: a transaction's EndTxn carries the same producer epoch as the next transaction's)",
    evidence: "an EndTxn of the transaction's producer that timed out before the anomaly (the producer closed the connection and sent it again on a new one): still retransmitted on the closed connection, it can reach the coordinator during a later transaction and commit or abort that one early, so that transaction's records still on their way land after its marker, in no transaction the coordinator knows (hanging), or in the next one (committed or aborted with it)",
    anomalies: ["lost-transaction", "torn-transaction", "hanging-transaction", "duplicate-output"],
    source: "facts T12, T13; KAFKA-17754; KIP-890 part 2 (transaction.version 2 bumps the epoch per transaction, fencing the late EndTxn); Jepsen, Bufstream 0.1.0 (2024)",
  },
  "unverified-late-produce": {
    id: "unverified-late-produce",
    when: "transaction.version below 2 and no partition verification (transaction.partition.verification.enable false, or Kafka before 3.6: protocols 0.11–2.7)",
    evidence: "the producer of the open transaction failed a batch of that partition after delivery.timeout.ms before the anomaly (and aborted its transaction): a copy still on the wire (a cut or lossy link retransmits it) can reach the leader after the abort's marker, under the marker's epoch, and start a transaction on the partition that no coordinator knows and nothing ends (or join the producer's next transaction there)",
    anomalies: ["hanging-transaction"],
    source: "fact T14; KIP-890 part 1 (3.6: the leader verifies with the coordinator, AddPartitionsToTxnManager); KAFKA-14402; ProducerAppendInfo.appendDataBatch",
  },
  "zombie-coordinator-add": {
    id: "zombie-coordinator-add",
    when: "transaction.version below 2 and no partition verification (transaction.partition.verification.enable false, or Kafka before 3.6: protocols 0.11–2.7)",
    evidence: "a broker that coordinated the producer's transactional.id was cut off with one of its transactions open (its last transition Ongoing), and another broker coordinated that transactional.id after it: until the deposed coordinator hears of the move it answers AddPartitionsToTxn for partitions already in that transaction with NONE from its cache, without writing; the producer's records go to the partition leaders, and its EndTxn(COMMIT) reaches the new coordinator, which takes it for a retry of the transaction it completed: no coordinator writes the transaction's markers (a later transaction's marker ends its records)",
    anomalies: ["lost-transaction", "torn-transaction", "hanging-transaction", "duplicate-output"],
    source: "TransactionCoordinator.handleAddPartitionsToTransaction (partitions already in an Ongoing transaction: NONE at once) and endTransaction (EndTxn(COMMIT) on CompleteCommit: NONE); KIP-890 part 1 (3.6: the leader verifies the partition with the coordinator)",
  },
  "zombie-coordinator-endtxn": {
    id: "zombie-coordinator-endtxn",
    when: "transaction.version below 2 (one producer epoch for every transaction: protocols 0.11–3.9 by default)",
    evidence: "a broker that coordinated the producer's transactional.id completed a commit of it (its last transition CompleteCommit, at the producer's epoch) and was cut off, and another broker coordinated that transactional.id after it, before the lost transaction ended: the producer's EndTxn(COMMIT) reached the deposed coordinator, which took it for a retry of the commit it had completed and answered NONE without writing; no coordinator writes the transaction's markers",
    anomalies: ["lost-transaction", "torn-transaction", "hanging-transaction", "duplicate-output"],
    source: "TransactionCoordinator.endTransaction (EndTxn(COMMIT) on CompleteCommit at the same epoch: NONE); KIP-890 part 2 (transaction.version 2: each transaction ends with a bumped epoch, so the late EndTxn is fenced)",
  },
  "late-commit-on-lossy-link": {
    id: "late-commit-on-lossy-link",
    when: "a group that commits, on a lossy (flaky) or cut (partition, isolate) link",
    evidence: "a lossy or cut link, then a commit of the group whose request timed out before the group went back: still retransmitted on its closed connection (after the heal, for a cut link), it can reach the coordinator after a later commit and set the committed offset back",
    anomalies: ["nonmonotonic-poll"],
    source: "fact 32; NetworkClient closes a timed-out connection, SocketServer handles what a closing channel received",
  },
  "offset-reset-stale-leader": {
    id: "offset-reset-stale-leader",
    when: "a group with auto.offset.reset=earliest: of clients before Kafka 2.1 (protocols 0.10–2.0: no leader epochs in the consumer's metadata), or, on any version, while a deposed leader of the partition had not yet heard of its replacement (a member without the partition's leader epoch has nothing to fence that leader's metadata with)",
    evidence: "between the two processings, the member's position on the partition was out of range (the broker it asked, a deposed leader it took from stale metadata, had a shorter log) and reset to the earliest offset, at or below the record",
    anomalies: ["processed-twice", "duplicate-output"],
    source: "fact 47; Fetcher OFFSET_OUT_OF_RANGE → SubscriptionState.requestOffsetReset; KIP-320 (2.1) fences stale metadata by leader epoch",
  },
  "offset-reset-latest": {
    id: "offset-reset-latest",
    when: "auto.offset.reset=latest",
    evidence: "a reset of the group's position on the record's partition to an offset above the record",
    anomalies: ["unseen"],
    source: "fact 24; SubscriptionState / Fetcher resetOffsets",
  },
  capacity: {
    id: "capacity",
    when: "a group that processes more slowly than its topics are produced, or an asynchronous one still working through a backlog at the end of the run",
    evidence:
      "the group was processing to the end of the run, at a measured rate below the produce rate (a capacity finding, not a broken guarantee); for a committed record not processed yet: it was polled by an asynchronous member that nothing stopped afterwards (still in its worker's queue), whose worker was slower than the produce rate or still processing an earlier record of the partition when the run ended",
    anomalies: ["unseen", "committed-unprocessed"],
    source: "throughput, not a guarantee",
  },
  "run-stopped-early": {
    id: "run-stopped-early",
    when: "the run hit its event or time limit",
    evidence: "the run's end reason",
    anomalies: ["unseen"],
    source: "kafkasim's runaway guard",
  },
  "drain-too-short": {
    id: "drain-too-short",
    when: "the drain is shorter than the cluster may need to settle (liveness not judged)",
    evidence: "drainMs below settleMs: zookeeper.session.timeout.ms + 4 × replica.fetch.wait.max.ms, or a group's session.timeout.ms + 3 heartbeats + fetch.max.wait.ms; after a network cut or lossy link, plus its length and 200 ms (TCP backoff); after a slow link, until what it carried when healed arrives (factor × the latency's 99.9th percentile); after a resigning controller dropped an AlterPartition, until controller.socket.timeout.ms after it",
    anomalies: ["unseen"],
    source: "kafkasim: convergence is only expected after the settle time",
  },
};

/** The rules as the README's table (a test keeps the README in step). */
export function rulesMarkdown(): string {
  const lines = ["| rule | when | evidence required in the run | anomalies it can allow | source |", "|---|---|---|---|---|"];
  for (const r of Object.values(RULES)) lines.push(`| \`${r.id}\` | ${r.when} | ${r.evidence} | ${r.anomalies.join(", ")} | ${r.source} |`);
  return lines.join("\n") + "\n";
}
