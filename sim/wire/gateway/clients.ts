// What the real clients did, as the gateway saw it, in the history the checkers read (sim/history.ts), and what it
// saw of their configuration, as producer and group specs for the oracle. The gateway stands at the client's end of
// each connection, so an op is recorded when the client wrote a request (invoke) or got its answer (ok): it knows
// what the client was told, not what its application made of it.
//
//   send     a record in a Produce request is an invoke (a retry of one keeps its number: records.ts); a partition's
//            answer without an error is its ok, at base offset + i (acks=0: ok at once, offset -1). An error leaves
//            the send open: the client may retry it, and whether it gave up is its own business (an open send is
//            indeterminate to the checkers, as Jepsen's info).
//   poll     the records a Fetch answer carried, by process. A client whose fetch offset is not where its previous
//            answer ended moved its own position (a seek, a re-fetch after a failed handler, an offset reset): a
//            `reset` op with reason "seek" says so, and the checkers judge what the broker served from there.
//   assign   a SyncGroup answer's partitions (the leader's assignment bytes, read: consumer-protocol.ts).
//   commit   an OffsetCommit request (invoke) and its answer (ok, or fail with the first partition error); a
//            transaction's offsets (TxnOffsetCommit) from its EndTxn(COMMIT) (invoke) to its answer (txns.ts).
//
// Processes: a producer is its client.id (the request header's); a group member is "<client.id>/<member id>"; a
// consumer reading without a group is its client.id. Fetches carry no group, so a fetched partition is credited
// to the member of that client.id whose latest assignment holds it (one client.id in two groups reading the same
// partition would be ambiguous: give clients distinct ids).
import type { HistoryRecorder, PolledRecord } from "../../history.ts";
import type { KafkaErrorCode } from "../../kafka/errors.ts";
import type { TopicPartitionRef } from "../../kafka/protocol-group.ts";
import type { ConsumerSpec, ProducerSpec } from "../../scenario/types.ts";
import type { Acks } from "../../kafka/config.ts";
import { consumerSpec, producerSpec } from "../../scenario/defaults.ts";

interface ObservedProducer {
  readonly id: string;
  readonly topic: string;
  /** Weakest acks seen (0 < 1 < -1). */
  acks: number;
  idempotent: boolean;
  maxInFlight: number;
  sends: number;
  /** The transactional.id of its Produce requests (null: none). */
  transactionalId: string | null;
}

interface ObservedGroup {
  readonly group: string;
  readonly topics: Set<string>;
  readonly members: Set<string>;
  sessionTimeoutMs: number;
  rebalanceTimeoutMs: number;
  fetchMaxWaitMs: number;
  /** Its members' fetches: read_committed (isolation_level 1). */
  readCommitted: boolean;
}

interface Member {
  readonly process: string;
  readonly client: string;
  readonly group: string;
  assignment: readonly TopicPartitionRef[];
  /** When it got its assignment (the latest wins an ambiguous fetch). */
  assignedAtUs: number;
}

const ACKS_RANK = (acks: number): number => (acks === 0 ? 0 : acks === 1 ? 1 : 2);

export class ObservedClients {
  private readonly producers = new Map<string, ObservedProducer>();
  private readonly groups = new Map<string, ObservedGroup>();
  private readonly members = new Map<string, Member>();
  /** Clients reading partitions no member of theirs holds (assign mode: kcat -C, a Java consumer's assign()): each
   *  is one reader, its "group" in the history its client.id. */
  private readonly standalone = new Map<string, { readonly topics: Set<string>; fetchMaxWaitMs: number; readCommitted: boolean }>();
  /** process → "topic-partition" → the offsets its next fetch may ask for without moving its position. */
  private readonly next = new Map<string, Map<string, { readonly from: number; readonly to: number }>>();

  constructor(
    private readonly history: HistoryRecorder,
    /** How the specs name where a client came from ("kafkajs", "wire"). */
    private readonly origin: string,
  ) {}

  // ------------------------------------------------------------------ producers

  /** A Produce request of `client` (acks, idempotence, how many of its requests were in flight with it). */
  produceRequest(client: string, topic: string, acks: number, idempotent: boolean, inFlight: number, transactionalId: string | null): void {
    let p = this.producers.get(client);
    if (p === undefined) {
      p = { id: client, topic, acks, idempotent, maxInFlight: inFlight, sends: 0, transactionalId };
      this.producers.set(client, p);
    }
    if (transactionalId !== null) p.transactionalId = transactionalId;
    if (ACKS_RANK(acks) < ACKS_RANK(p.acks)) p.acks = acks;
    if (!idempotent) p.idempotent = false;
    if (inFlight > p.maxInFlight) p.maxInFlight = inFlight;
  }

  sendInvoke(timeUs: number, client: string, topic: string, key: number, value: number, partition: number): void {
    const p = this.producers.get(client);
    if (p !== undefined) p.sends++;
    this.history.recordSendInvoke(timeUs, client, topic, key < 0 ? null : key, value, partition);
  }

  sendOk(timeUs: number, client: string, topic: string, key: number, value: number, partition: number, offset: number, broker: number): void {
    this.history.recordSendOk(timeUs, client, topic, key, value, partition, offset, broker);
  }

  // ------------------------------------------------------------------ groups

  joinGroup(group: string, topics: readonly string[], sessionTimeoutMs: number, rebalanceTimeoutMs: number): void {
    const g = this.group(group);
    for (const t of topics) g.topics.add(t);
    g.sessionTimeoutMs = sessionTimeoutMs;
    g.rebalanceTimeoutMs = rebalanceTimeoutMs;
  }

  /** The process of a member (created on first sight). */
  member(client: string, group: string, memberId: string): string {
    const process = `${client}/${memberId}`;
    if (!this.members.has(memberId)) {
      this.members.set(memberId, { process, client, group, assignment: [], assignedAtUs: -1 });
      this.group(group).members.add(process);
    }
    return process;
  }

  /** The process that commits for `memberId` ("" or unknown: the client itself, a commit without a group member). */
  processOf(client: string, memberId: string): string {
    return this.members.get(memberId)?.process ?? client;
  }

  assign(timeUs: number, client: string, group: string, memberId: string, generation: number, partitions: readonly TopicPartitionRef[]): void {
    const process = this.member(client, group, memberId);
    const m = this.members.get(memberId) as Member;
    m.assignment = partitions;
    m.assignedAtUs = timeUs;
    this.history.record({ timeUs, process, type: "ok", f: "assign", value: { group, generation, partitions: partitions.map((p) => ({ topic: p.topic, partition: p.partition })) } });
  }

  commitInvoke(timeUs: number, process: string, group: string, generation: number, offsets: readonly { topic: string; partition: number; offset: number }[]): void {
    this.history.record({ timeUs, process, type: "invoke", f: "commit", value: { group, generation, offsets, mode: "sync" } });
  }

  commitDone(timeUs: number, process: string, group: string, generation: number, offsets: readonly { topic: string; partition: number; offset: number }[], error: KafkaErrorCode): void {
    const value = { group, generation, offsets, mode: "sync" as const };
    if (error === "NONE") this.history.record({ timeUs, process, type: "ok", f: "commit", value });
    else this.history.record({ timeUs, process, type: "fail", f: "commit", value: { ...value, error } });
  }

  /** A Fetch of `client`: its wait and isolation level are those of the groups whose members it reads for (one
   *  client.id may run consumers of several groups, each with its own settings). */
  fetchWait(maxWaitMs: number, client: string, readCommitted: boolean, partitions: readonly TopicPartitionRef[]): void {
    for (const p of partitions) {
      const m = this.readingMember(client, p.topic, p.partition);
      if (m === undefined) {
        let r = this.standalone.get(client);
        if (r === undefined) this.standalone.set(client, (r = { topics: new Set(), fetchMaxWaitMs: maxWaitMs, readCommitted }));
        r.topics.add(p.topic);
        r.fetchMaxWaitMs = maxWaitMs;
        r.readCommitted = readCommitted;
        continue;
      }
      const g = this.group(m.group);
      g.fetchMaxWaitMs = maxWaitMs;
      g.readCommitted = readCommitted;
    }
  }

  /** The process that commits a transaction's offsets for `group` from `client` (TxnOffsetCommit v0-2 carries no
   *  member): its member of the group that was assigned last, else the client itself. */
  processIn(client: string, group: string): string {
    let best: Member | undefined;
    for (const m of this.members.values()) if (m.client === client && m.group === group && (best === undefined || m.assignedAtUs >= best.assignedAtUs)) best = m;
    return best?.process ?? client;
  }

  // ------------------------------------------------------------------ fetches

  /** Who a client's fetch of a partition is for: its member holding the partition, else the client alone. */
  private reader(client: string, topic: string, partition: number): { process: string; group: string } {
    const best = this.readingMember(client, topic, partition);
    return best === undefined ? { process: client, group: client } : { process: best.process, group: best.group };
  }

  /** The member of `client` whose latest assignment holds the partition (the one assigned last), if any. */
  private readingMember(client: string, topic: string, partition: number): Member | undefined {
    let best: Member | undefined;
    for (const m of this.members.values()) {
      if (m.client !== client || !m.assignment.some((a) => a.topic === topic && a.partition === partition)) continue;
      if (best === undefined || m.assignedAtUs >= best.assignedAtUs) best = m;
    }
    return best;
  }

  /** Records a fetch answer's records of one partition: `records` what the client hands its application, `endOffset`
   *  the offset after the last one the answer carried (markers and aborted records included: the client's next
   *  fetch starts there). */
  served(timeUs: number, client: string, topic: string, partition: number, fetchOffset: number, records: readonly PolledRecord[], endOffset: number): void {
    if (endOffset <= fetchOffset) return;
    const { process, group } = this.reader(client, topic, partition);
    const tp = `${topic}-${partition}`;
    let pos = this.next.get(process);
    if (pos === undefined) this.next.set(process, (pos = new Map()));
    const expected = pos.get(tp);
    if (expected !== undefined && (fetchOffset < expected.from || fetchOffset > expected.to)) {
      this.history.record({ timeUs, process, type: "ok", f: "reset", value: { group, topic, partition, offset: fetchOffset, reason: "seek", strategy: "none" } });
    }
    // Between the record after the last one handed out and the end of the answer lie only records the client skips
    // (markers, aborted records): its next fetch may start anywhere there (kafkajs fetches a trailing marker again;
    // the Java client moves past it) without skipping or re-reading anything.
    const last = records[records.length - 1];
    pos.set(tp, { from: last === undefined ? fetchOffset : last.offset + 1, to: endOffset });
    if (records.length === 0) return;
    this.history.record({ timeUs, process, type: "invoke", f: "poll", value: { group, records: [] } });
    this.history.record({ timeUs, process, type: "ok", f: "poll", value: { group, records } });
  }

  // ------------------------------------------------------------------ specs

  private group(name: string): ObservedGroup {
    let g = this.groups.get(name);
    if (g === undefined) {
      g = { group: name, topics: new Set(), members: new Set(), sessionTimeoutMs: 45_000, rebalanceTimeoutMs: 300_000, fetchMaxWaitMs: 500, readCommitted: false };
      this.groups.set(name, g);
    }
    return g;
  }

  /** The producers seen, as specs the oracle reads: acks the weakest they used, idempotence when every request
   *  carried a producer id, max.in.flight the most requests they had on one connection at once; retries unknown
   *  (Kafka's default, INT_MAX: a client that retries may duplicate without idempotence). */
  producerSpecs(): ProducerSpec[] {
    return [...this.producers.values()].map((p) =>
      producerSpec({
        id: p.id,
        topic: p.topic,
        ratePerSec: 0,
        messages: p.sends,
        config: { acks: (p.acks === -1 ? "all" : p.acks) as Acks, "enable.idempotence": p.idempotent, "max.in.flight.requests.per.connection": Math.max(1, p.maxInFlight), ...(p.transactionalId !== null ? { "transactional.id": p.transactionalId } : {}) },
        explicit: [],
        external: `${this.origin} client ${p.id}`,
      }),
    );
  }

  /** The groups seen: members, topics, session and rebalance timeouts from their JoinGroups, fetch.max.wait.ms
   *  from their fetches; heartbeat.interval.ms is not on the wire (a third of the session timeout, at most 3 s). */
  consumerSpecs(): ConsumerSpec[] {
    const groups = [...this.groups.values()]
      .filter((g) => g.members.size > 0)
      .map((g) =>
        consumerSpec({
          group: g.group,
          members: g.members.size,
          topics: [...g.topics],
          config: {
            "session.timeout.ms": g.sessionTimeoutMs,
            "max.poll.interval.ms": g.rebalanceTimeoutMs,
            "heartbeat.interval.ms": Math.max(1, Math.min(3000, Math.floor(g.sessionTimeoutMs / 3))),
            "fetch.max.wait.ms": g.fetchMaxWaitMs,
            "enable.auto.commit": false,
            "isolation.level": g.readCommitted ? "read_committed" : "read_uncommitted",
          },
          explicit: [],
          external: `${this.origin} group ${g.group}`,
        }),
      );
    // Readers without a group, as a group of one named by their client.id (the history's group of their polls): the
    // checkers read their isolation level from it (with read_committed, skipped markers and aborted records are not
    // skips). A client.id that is also a group's name is that group already.
    const readers = [...this.standalone]
      .filter(([client]) => !this.groups.has(client))
      .map(([client, r]) =>
        consumerSpec({
          group: client,
          members: 1,
          topics: [...r.topics],
          config: { "fetch.max.wait.ms": r.fetchMaxWaitMs, "enable.auto.commit": false, "isolation.level": r.readCommitted ? "read_committed" : "read_uncommitted" },
          explicit: [],
          external: `${this.origin} reader ${client}`,
        }),
      );
    return [...groups, ...readers];
  }
}
