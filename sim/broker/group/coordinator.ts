// The group coordinator (Kafka's GroupCoordinator + GroupMetadataManager, eager rebalance protocol), hosted by
// the broker that leads the group's __consumer_offsets partition. Group states: Empty → PreparingRebalance →
// CompletingRebalance → Stable. Committed offsets and each completed generation are appended to
// __consumer_offsets with acks=all through the host, and loaded from it when this broker becomes leader of the
// partition, so they survive or are lost exactly like any other record (fact 23).
// Group metadata (generation, leader, members with their assignment) is stored like Kafka's GroupMetadata
// record when a generation becomes stable or the group empties: key "<group>", value = an interned id of the
// metadata's JSON (the records are numeric here). A new coordinator loads it, so members keep their generation
// across a coordinator move, and a commit from an older generation is still refused.
import type { NodeId } from "../../core/ids.ts";
import { assertNever } from "../../core/errors.ts";
import type { KafkaErrorCode } from "../../kafka/errors.ts";
import type { GroupMessage, GroupProtocol, JoinGroupRequest, SyncGroupRequest, TopicPartitionRef } from "../../kafka/protocol-group.ts";
import type { BrokerCtx, GroupCoordinatorModule, GroupHost, GroupSnapshot } from "./host.ts";
import { offsetsPartitionFor } from "./partition.ts";
import { allocateProducerId } from "../producer-ids.ts";
import type { TxnOffsetCommitRequest } from "../../kafka/protocol-txn.ts";
import { TxnOffsets, loadedRecord } from "./txn-offsets.ts";
import { JoinTag, SessionTag, selectProtocol } from "./state.ts";
import type { Group, Member, MemberLeftReason, StoredGroup } from "./state.ts";
import { offsetCommit, offsetFetch, txnOffsetCommit } from "./offsets.ts";
import type { OffsetsPort } from "./offsets.ts";
import type { LoadedRecord } from "./txn-offsets.ts";

const PLAIN_RECORD: LoadedRecord = { kind: "plain" };

export { PID_BLOCK } from "../producer-ids.ts";

export class GroupCoordinator implements GroupCoordinatorModule, OffsetsPort {
  private readonly groups = new Map<string, Group>();
  private readonly loaded = new Set<number>();
  /** Offsets of open transactions, per group (txn-offsets.ts). */
  readonly txnOffsets = new TxnOffsets();

  constructor(readonly host: GroupHost) {}

  isCurrent(g: Group): boolean {
    return this.groups.get(g.name) === g;
  }

  groupStates(): readonly GroupSnapshot[] {
    return [...this.groups.values()].map((g) => ({ group: g.name, state: g.state, generation: g.generation, members: g.members.size }));
  }

  onElected(_ctx: BrokerCtx, partition: number): void {
    this.loaded.add(partition);
    const { keys, values, count, producerIds, attributes } = this.host.readOffsets(partition);
    // A transaction's offsets wait for its producer's marker (GroupMetadataManager.doLoadGroupsAndOffsets:
    // pendingOffsets per producer id, completed or dropped at the COMMIT / ABORT control record).
    const open = new Map<number, { group: Group; tp: string; offset: number }[]>();
    for (let i = 0; i < count; i++) {
      const rec = attributes === undefined ? PLAIN_RECORD : loadedRecord(attributes[i] as number, (producerIds?.[i] ?? -1) as number, keys[i] as number);
      if (rec.kind === "marker") {
        const pending = open.get(rec.producerId);
        open.delete(rec.producerId);
        if (rec.commit) for (const p of pending ?? []) p.group.offsets.set(p.tp, p.offset);
        continue;
      }
      const name = this.host.keyName(keys[i] as number);
      if (name === undefined) continue;
      const value = values[i] as number;
      const m = /^(.*)\/(.*)\/(\d+)$/.exec(name);
      const groupName = m ? (m[1] as string) : name;
      if (offsetsPartitionFor(groupName, this.host.offsetsPartitions) !== partition) continue;
      const g = this.groupOf(groupName, partition);
      if (m && rec.kind === "txn") {
        let l = open.get(rec.producerId);
        if (l === undefined) open.set(rec.producerId, (l = []));
        l.push({ group: g, tp: `${m[2] as string}/${m[3] as string}`, offset: value });
      } else if (m) g.offsets.set(`${m[2] as string}/${m[3] as string}`, value);
      else this.loadMetadata(g, this.host.keyName(value));
    }
    for (const [producerId, l] of open) for (const p of l) this.txnOffsets.pend(p.group.name, producerId, p.tp, p.offset);
    // GroupMetadataManager.loadGroup: loaded members get a fresh session timeout.
    for (const g of this.groups.values()) if (g.partition === partition) for (const mem of g.members.values()) this.touch(_ctx, mem);
  }

  private loadMetadata(g: Group, json: string | undefined): void {
    if (json === undefined || !json.startsWith("group-metadata:")) return;
    const md = JSON.parse(json.slice("group-metadata:".length)) as StoredGroup;
    g.members.clear();
    g.generation = md.generation;
    g.leaderId = md.leaderId;
    g.nextMemberSeq = md.nextMemberSeq;
    if (md.protocol !== undefined) g.protocol = md.protocol;
    else delete g.protocol;
    g.state = md.members.length > 0 ? "stable" : "empty";
    for (const x of md.members) {
      const m: Member = { id: x.id, node: x.node as NodeId, sessionTimeoutMs: x.sessionTimeoutMs, rebalanceTimeoutMs: x.rebalanceTimeoutMs, topics: x.topics, joinCorr: null, syncCorr: null, assignment: x.assignment, session: new SessionTag(g.name, x.id), joined: true };
      if (x.protocols !== undefined) m.protocols = x.protocols;
      if (x.assignmentBytes !== undefined) m.assignmentBytes = x.assignmentBytes;
      g.members.set(x.id, m);
    }
  }

  /** Store the group's metadata record (GroupMetadataManager.storeGroup); `done` gets the append's outcome. */
  private storeGroup(ctx: BrokerCtx, g: Group, done: (error: KafkaErrorCode) => void = () => {}): void {
    // Optional fields only when set: a group of modelled consumers stores exactly what it did before.
    const md: StoredGroup = {
      generation: g.generation,
      leaderId: g.leaderId,
      nextMemberSeq: g.nextMemberSeq,
      ...(g.protocol !== undefined ? { protocol: g.protocol } : {}),
      members: [...g.members.values()].map((m) => ({
        id: m.id,
        node: m.node,
        sessionTimeoutMs: m.sessionTimeoutMs,
        rebalanceTimeoutMs: m.rebalanceTimeoutMs,
        topics: m.topics,
        assignment: m.assignment,
        ...(m.protocols !== undefined ? { protocols: m.protocols } : {}),
        ...(m.assignmentBytes !== undefined ? { assignmentBytes: m.assignmentBytes } : {}),
      })),
    };
    const value = this.host.internKey(`group-metadata:${JSON.stringify(md)}`);
    this.host.appendOffsets(ctx, g.partition, [this.host.internKey(g.name)], [value], 5000, done);
  }

  onResigned(ctx: BrokerCtx, partition: number): void {
    this.loaded.delete(partition);
    for (const [name, g] of this.groups) {
      if (g.partition !== partition) continue;
      ctx.cancelTimer(g.join.handle);
      for (const m of g.members.values()) {
        ctx.cancelTimer(m.session.handle);
        if (m.joinCorr !== null) ctx.send(m.node, { type: "group.join-response", corr: m.joinCorr, error: "NOT_COORDINATOR", generation: -1, memberId: m.id, leaderId: "", members: [] });
        if (m.syncCorr !== null) ctx.send(m.node, { type: "group.sync-response", corr: m.syncCorr, error: "NOT_COORDINATOR", partitions: [] });
      }
      this.groups.delete(name);
      this.txnOffsets.forget(name);
    }
  }

  onTimer(ctx: BrokerCtx, tag: unknown): boolean {
    if (tag instanceof SessionTag) {
      const g = this.groups.get(tag.group);
      const m = g?.members.get(tag.memberId);
      if (g && m && m.session === tag) this.sessionExpired(ctx, g, m);
      return true;
    }
    if (tag instanceof JoinTag) {
      const g = this.groups.get(tag.group);
      if (g && g.join === tag && g.state === "preparing") this.joinDeadline(ctx, g);
      return true;
    }
    return false;
  }

  onMessage(ctx: BrokerCtx, from: NodeId, msg: GroupMessage): void {
    switch (msg.type) {
      case "group.find-coordinator": {
        // KafkaApis.getCoordinator (any broker answers, from its metadata cache): the alive leader of the group's
        // __consumer_offsets partition, else COORDINATOR_NOT_AVAILABLE.
        const leader = this.host.cachedOffsetsLeader(offsetsPartitionFor(msg.key, this.host.offsetsPartitions));
        ctx.send(from, { type: "group.find-coordinator-response", corr: msg.corr, error: leader === null ? "COORDINATOR_NOT_AVAILABLE" : "NONE", nodeId: leader ?? -1 });
        return;
      }
      case "group.join":
        return this.onJoin(ctx, from, msg);
      case "group.sync":
        return this.onSync(ctx, from, msg);
      case "group.heartbeat": {
        const reply = (error: KafkaErrorCode): void => ctx.send(from, { type: "group.heartbeat-response", corr: msg.corr, error });
        const g = this.loadedGroup(msg.group);
        if (g === null) return reply("NOT_COORDINATOR");
        const m = g.members.get(msg.memberId);
        if (m === undefined || g.state === "empty") return reply("UNKNOWN_MEMBER_ID");
        if (msg.generation !== g.generation) return reply("ILLEGAL_GENERATION");
        this.touch(ctx, m);
        return reply(g.state === "preparing" ? "REBALANCE_IN_PROGRESS" : "NONE");
      }
      case "group.leave": {
        const g = this.loadedGroup(msg.group);
        if (g === null) return ctx.send(from, { type: "group.leave-response", corr: msg.corr, error: "NOT_COORDINATOR" });
        const m = g.members.get(msg.memberId);
        ctx.send(from, { type: "group.leave-response", corr: msg.corr, error: m ? "NONE" : "UNKNOWN_MEMBER_ID" });
        if (m) this.removeMember(ctx, g, m, msg.reason);
        return;
      }
      case "group.offset-commit":
        return offsetCommit(this, ctx, from, msg);
      case "group.offset-fetch":
        return offsetFetch(this, ctx, from, msg);
      case "group.init-producer-id": {
        return ctx.send(from, { type: "group.init-producer-id-response", corr: msg.corr, error: "NONE", producerId: allocateProducerId(ctx, this.host.brokerId), producerEpoch: 0 });
      }
      case "group.find-coordinator-response":
      case "group.join-response":
      case "group.sync-response":
      case "group.heartbeat-response":
      case "group.leave-response":
      case "group.offset-commit-response":
      case "group.offset-fetch-response":
      case "group.init-producer-id-response":
        return; // responses are for clients
      default:
        return assertNever(msg, "group message");
    }
  }

  // ---------------------------------------------------------------- groups

  /** The group if this broker coordinates it (created on demand), else null. */
  loadedGroup(name: string): Group | null {
    const p = offsetsPartitionFor(name, this.host.offsetsPartitions);
    if (!this.loaded.has(p) || !this.host.isOffsetsLeader(p)) return null;
    return this.groupOf(name, p);
  }

  private groupOf(name: string, partition: number): Group {
    let g = this.groups.get(name);
    if (g === undefined) {
      g = { name, partition, state: "empty", generation: 0, leaderId: "", members: new Map(), offsets: new Map(), join: new JoinTag(name), initialDelay: false, initialDeadlineUs: 0, nextMemberSeq: 0, leftClients: new Set() };
      this.groups.set(name, g);
    }
    return g;
  }

  touch(ctx: BrokerCtx, m: Member): void {
    ctx.cancelTimer(m.session.handle);
    m.session.handle = ctx.setTimer(m.sessionTimeoutMs * 1000, m.session);
  }

  private onJoin(ctx: BrokerCtx, from: NodeId, msg: JoinGroupRequest): void {
    const fail = (error: KafkaErrorCode): void => ctx.send(from, { type: "group.join-response", corr: msg.corr, error, generation: -1, memberId: msg.memberId, leaderId: "", members: [] });
    const g = this.loadedGroup(msg.group);
    if (g === null) return fail("NOT_COORDINATOR");
    const cfg = this.host.config;
    if (msg.sessionTimeoutMs < cfg["group.min.session.timeout.ms"] || msg.sessionTimeoutMs > cfg["group.max.session.timeout.ms"]) return fail("INVALID_SESSION_TIMEOUT");
    // GroupCoordinator.doJoinGroup: a member must share a protocol with every other member (supportsProtocols).
    if (msg.protocols !== undefined && !this.supportsProtocols(g, msg.memberId, msg.protocols)) return fail("INCONSISTENT_GROUP_PROTOCOL");
    let m: Member | undefined;
    if (msg.memberId === "") {
      const id = `${from}-${g.generation}.${g.nextMemberSeq++}`;
      m = { id, node: from, sessionTimeoutMs: msg.sessionTimeoutMs, rebalanceTimeoutMs: msg.rebalanceTimeoutMs, topics: msg.topics, joinCorr: null, syncCorr: null, assignment: [], session: new SessionTag(g.name, id), joined: false };
      g.members.set(id, m);
    } else {
      m = g.members.get(msg.memberId);
      if (m === undefined) return fail("UNKNOWN_MEMBER_ID");
    }
    m.node = from;
    m.topics = msg.topics;
    if (msg.protocols !== undefined) m.protocols = msg.protocols;
    m.sessionTimeoutMs = msg.sessionTimeoutMs;
    m.rebalanceTimeoutMs = msg.rebalanceTimeoutMs;
    m.joinCorr = msg.corr;
    this.touch(ctx, m);
    switch (g.state) {
      case "empty": {
        // InitialDelayedJoin: wait group.initial.rebalance.delay.ms for more members before the first generation.
        g.state = "preparing";
        const delayMs = cfg["group.initial.rebalance.delay.ms"];
        g.initialDelay = delayMs > 0;
        g.initialDeadlineUs = ctx.nowUs + m.rebalanceTimeoutMs * 1000;
        ctx.cancelTimer(g.join.handle);
        g.join.handle = ctx.setTimer(delayMs > 0 ? Math.min(delayMs, m.rebalanceTimeoutMs) * 1000 : m.rebalanceTimeoutMs * 1000, g.join);
        if (!g.initialDelay) this.tryCompleteJoin(ctx, g);
        return;
      }
      case "preparing":
        if (g.initialDelay) {
          // Each new member extends the initial delay, up to the rebalance timeout (InitialDelayedJoin.onComplete).
          const delayUs = Math.min(cfg["group.initial.rebalance.delay.ms"] * 1000, g.initialDeadlineUs - ctx.nowUs);
          if (delayUs > 0) {
            ctx.cancelTimer(g.join.handle);
            g.join.handle = ctx.setTimer(delayUs, g.join);
          }
          return;
        }
        return this.tryCompleteJoin(ctx, g);
      case "completing":
      case "stable":
        return this.prepareRebalance(ctx, g);
      default:
        return assertNever(g.state, "group state");
    }
  }

  private prepareRebalance(ctx: BrokerCtx, g: Group): void {
    if (g.state === "completing") {
      for (const m of g.members.values()) {
        if (m.syncCorr !== null) ctx.send(m.node, { type: "group.sync-response", corr: m.syncCorr, error: "REBALANCE_IN_PROGRESS", partitions: [] });
        m.syncCorr = null;
      }
    }
    g.state = "preparing";
    g.initialDelay = false;
    let timeoutMs = 0;
    for (const m of g.members.values()) timeoutMs = Math.max(timeoutMs, m.rebalanceTimeoutMs);
    ctx.cancelTimer(g.join.handle);
    g.join.handle = ctx.setTimer(timeoutMs * 1000, g.join);
    this.tryCompleteJoin(ctx, g);
  }

  private tryCompleteJoin(ctx: BrokerCtx, g: Group): void {
    if (g.state !== "preparing" || g.initialDelay) return;
    for (const m of g.members.values()) if (m.joinCorr === null) return;
    this.completeJoin(ctx, g);
  }

  /** The rebalance timeout (or the initial delay) ran out: members that did not rejoin are removed. */
  private joinDeadline(ctx: BrokerCtx, g: Group): void {
    g.initialDelay = false;
    for (const m of [...g.members.values()]) {
      if (m.joinCorr === null) {
        ctx.cancelTimer(m.session.handle);
        this.memberLeft(ctx, g, m, ctx.isUp(m.node) ? "rebalance-timeout" : "crash");
        g.members.delete(m.id);
      }
    }
    this.completeJoin(ctx, g);
  }

  private completeJoin(ctx: BrokerCtx, g: Group): void {
    ctx.cancelTimer(g.join.handle);
    g.generation++;
    if (g.members.size === 0) {
      g.state = "empty";
      g.leaderId = "";
      this.storeGroup(ctx, g);
      return;
    }
    g.state = "completing";
    if (!g.members.has(g.leaderId)) g.leaderId = (g.members.keys().next().value as string);
    const protocol = selectProtocol(g.members.values());
    if (protocol === undefined) delete g.protocol;
    else g.protocol = protocol;
    const members = [...g.members.values()].map((m) => {
      const metadata = protocol === undefined ? undefined : m.protocols?.find((p) => p.name === protocol)?.metadata;
      return metadata === undefined ? { memberId: m.id, topics: m.topics } : { memberId: m.id, topics: m.topics, metadata };
    });
    ctx.emit({ type: "rebalance", group: g.name, generation: g.generation, members: members.map((m) => m.memberId) });
    for (const m of g.members.values()) {
      if (m.joined) continue;
      m.joined = true;
      ctx.emit({ type: "member-joined", group: g.name, member: m.node, memberId: m.id, generation: g.generation, reason: g.leftClients.has(m.node) ? "rejoin" : "join" });
    }
    for (const m of g.members.values()) {
      m.assignment = [];
      delete m.assignmentBytes;
      if (m.joinCorr !== null) {
        const leaderMembers = m.id === g.leaderId ? members : [];
        ctx.send(m.node, protocol === undefined ? { type: "group.join-response", corr: m.joinCorr, error: "NONE", generation: g.generation, memberId: m.id, leaderId: g.leaderId, members: leaderMembers } : { type: "group.join-response", corr: m.joinCorr, error: "NONE", generation: g.generation, memberId: m.id, leaderId: g.leaderId, members: leaderMembers, protocol });
      }
      m.joinCorr = null;
      this.touch(ctx, m);
    }
  }

  private onSync(ctx: BrokerCtx, from: NodeId, msg: SyncGroupRequest): void {
    const reply = (error: KafkaErrorCode, partitions: readonly TopicPartitionRef[] = []): void => ctx.send(from, { type: "group.sync-response", corr: msg.corr, error, partitions });
    const g = this.loadedGroup(msg.group);
    if (g === null) return reply("NOT_COORDINATOR");
    const m = g.members.get(msg.memberId);
    if (m === undefined) return reply("UNKNOWN_MEMBER_ID");
    if (msg.generation !== g.generation) return reply("ILLEGAL_GENERATION");
    this.touch(ctx, m);
    switch (g.state) {
      case "empty":
        return reply("UNKNOWN_MEMBER_ID");
      case "preparing":
        return reply("REBALANCE_IN_PROGRESS");
      case "stable":
        return this.sendAssignment(ctx, from, msg.corr, m);
      case "completing":
        m.node = from;
        m.syncCorr = msg.corr;
        if (m.id === g.leaderId) {
          for (const a of msg.assignments) {
            const target = g.members.get(a.memberId);
            if (!target) continue;
            target.assignment = a.partitions;
            if (a.assignment !== undefined) target.assignmentBytes = a.assignment;
          }
          // GroupCoordinator.doSyncGroup: the group stays CompletingRebalance until the assignment is stored; only
          // then do the members get it. A failed store (e.g. this broker no longer leads __consumer_offsets) resets
          // the assignment and rebalances (resetAndPropagateAssignmentError), so no member starts from stale state.
          const generation = g.generation;
          this.storeGroup(ctx, g, (error) => {
            if (this.groups.get(g.name) !== g || g.generation !== generation || g.state !== "completing") return;
            if (error === "NONE") {
              g.state = "stable";
              for (const x of g.members.values()) {
                if (x.syncCorr !== null) this.sendAssignment(ctx, x.node, x.syncCorr, x);
                x.syncCorr = null;
              }
              return;
            }
            // GroupMetadataManager.storeGroup's error mapping.
            const mapped: KafkaErrorCode = error === "NOT_LEADER_OR_FOLLOWER" || error === "KAFKA_STORAGE_ERROR" ? "NOT_COORDINATOR" : "COORDINATOR_NOT_AVAILABLE";
            for (const x of g.members.values()) {
              x.assignment = [];
              delete x.assignmentBytes;
              if (x.syncCorr !== null) ctx.send(x.node, { type: "group.sync-response", corr: x.syncCorr, error: mapped, partitions: [] });
              x.syncCorr = null;
            }
            this.prepareRebalance(ctx, g);
          });
        }
        return;
      default:
        return assertNever(g.state, "group state");
    }
  }

  /** A SyncGroup answer with the member's assignment (and its bytes, for a real client). */
  private sendAssignment(ctx: BrokerCtx, to: NodeId, corr: number, m: Member): void {
    const bytes = m.assignmentBytes;
    ctx.send(to, bytes === undefined ? { type: "group.sync-response", corr, error: "NONE", partitions: m.assignment } : { type: "group.sync-response", corr, error: "NONE", partitions: m.assignment, assignment: bytes });
  }

  /** GroupMetadata.supportsProtocols: an empty group takes any member; otherwise the member must name a protocol
   *  every other member named (members without protocols, the modelled ones, are not counted). */
  private supportsProtocols(g: Group, memberId: string, protocols: readonly GroupProtocol[]): boolean {
    const names = new Set(protocols.map((p) => p.name));
    for (const other of g.members.values()) {
      if (other.id === memberId || other.protocols === undefined) continue;
      for (const n of [...names]) if (!other.protocols.some((p) => p.name === n)) names.delete(n);
    }
    return names.size > 0;
  }

  private sessionExpired(ctx: BrokerCtx, g: Group, m: Member): void {
    // A member waiting in a join or a sync is kept alive (it cannot heartbeat meanwhile).
    if (m.joinCorr !== null || m.syncCorr !== null) return this.touch(ctx, m);
    // (The reason tells a dead process from a live one that could not heartbeat: trace only.)
    this.removeMember(ctx, g, m, ctx.isUp(m.node) ? "session-timeout" : "crash");
  }

  /** Trace a member's removal (liveness evidence; no effect on the group). */
  private memberLeft(ctx: BrokerCtx, g: Group, m: Member, reason: MemberLeftReason): void {
    g.leftClients.add(m.node);
    ctx.emit({ type: "member-left", group: g.name, member: m.node, memberId: m.id, generation: g.generation, reason });
  }

  private removeMember(ctx: BrokerCtx, g: Group, m: Member, reason: MemberLeftReason): void {
    this.memberLeft(ctx, g, m, reason);
    ctx.cancelTimer(m.session.handle);
    g.members.delete(m.id);
    if (m.joinCorr !== null) ctx.send(m.node, { type: "group.join-response", corr: m.joinCorr, error: "UNKNOWN_MEMBER_ID", generation: -1, memberId: m.id, leaderId: "", members: [] });
    switch (g.state) {
      case "empty":
        return;
      case "preparing":
        if (g.members.size === 0 && !g.initialDelay) return this.completeJoin(ctx, g);
        return this.tryCompleteJoin(ctx, g);
      case "completing":
      case "stable":
        if (g.members.size === 0) {
          g.state = "empty";
          g.generation++;
          this.storeGroup(ctx, g);
          return;
        }
        return this.prepareRebalance(ctx, g);
      default:
        return assertNever(g.state, "group state");
    }
  }

  /** TxnOffsetCommit from a transactional producer (offsets.ts). */
  onTxnOffsetCommit(ctx: BrokerCtx, from: NodeId, msg: TxnOffsetCommitRequest): void {
    txnOffsetCommit(this, ctx, from, msg);
  }

  /** A marker of `producerId` reached __consumer_offsets-<partition> (GroupCoordinator.scheduleHandleTxnCompletion). */
  onTxnCompletion(ctx: BrokerCtx, partition: number, producerId: number, commit: boolean): void {
    for (const g of this.groups.values()) {
      if (g.partition !== partition) continue;
      if (this.txnOffsets.complete(g.name, producerId, commit, (tp, offset) => g.offsets.set(tp, offset))) ctx.emit({ type: "txn-offsets-completed", broker: this.host.brokerId, group: g.name, partition, producerId, commit });
    }
  }
}
