// Committed offsets at the group coordinator (GroupCoordinator / GroupMetadataManager): OffsetCommit and
// OffsetFetch from members, TxnOffsetCommit from transactional producers (their offsets pending until the marker,
// txn-offsets.ts). Appended to __consumer_offsets with acks=all through the host; applied once written.
import type { NodeId } from "../../core/ids.ts";
import type { KafkaErrorCode } from "../../kafka/errors.ts";
import { coordinatorAppendError } from "../../kafka/errors.ts";
import type { OffsetCommitRequest, OffsetFetchRequest } from "../../kafka/protocol-group.ts";
import type { TxnOffsetCommitRequest } from "../../kafka/protocol-txn.ts";
import type { BrokerCtx, GroupHost } from "./host.ts";
import { offsetKeyName } from "./partition.ts";
import type { TxnOffsets } from "./txn-offsets.ts";
import type { Group, Member } from "./state.ts";

/** What the offset handlers need of the coordinator. */
export interface OffsetsPort {
  readonly host: GroupHost;
  readonly txnOffsets: TxnOffsets;
  /** The group if this broker coordinates it, else null. */
  loadedGroup(name: string): Group | null;
  /** Still the group this coordinator holds (not unloaded and created again meanwhile). */
  isCurrent(g: Group): boolean;
  /** A member was heard from: its session timer restarts. */
  touch(ctx: BrokerCtx, m: Member): void;
}

/** OffsetFetch (GroupMetadataManager.getOffsets): with requireStable, a partition with a transaction's pending
 *  offsets is UNSTABLE_OFFSET_COMMIT (the consumer retries the whole fetch: ConsumerCoordinator.OffsetFetchResponseHandler). */
export function offsetFetch(port: OffsetsPort, ctx: BrokerCtx, from: NodeId, msg: OffsetFetchRequest): void {
  const g = port.loadedGroup(msg.group);
  if (g === null) return ctx.send(from, { type: "group.offset-fetch-response", corr: msg.corr, error: "NOT_COORDINATOR", offsets: [] });
  if (msg.requireStable === true && msg.partitions.some((p) => port.txnOffsets.hasPending(g.name, `${p.topic}/${p.partition}`))) {
    return ctx.send(from, { type: "group.offset-fetch-response", corr: msg.corr, error: "UNSTABLE_OFFSET_COMMIT", offsets: msg.partitions.map((p) => ({ topic: p.topic, partition: p.partition, offset: -1 })) });
  }
  const offsets = msg.partitions.map((p) => ({ topic: p.topic, partition: p.partition, offset: g.offsets.get(`${p.topic}/${p.partition}`) ?? -1 }));
  return ctx.send(from, { type: "group.offset-fetch-response", corr: msg.corr, error: "NONE", offsets });
}

/** OffsetCommit (GroupCoordinator.handleCommitOffsets): appended to __consumer_offsets with acks=all, applied once written. */
export function offsetCommit(port: OffsetsPort, ctx: BrokerCtx, from: NodeId, msg: OffsetCommitRequest): void {
  const reply = (error: KafkaErrorCode): void => ctx.send(from, { type: "group.offset-commit-response", corr: msg.corr, error });
  const g = port.loadedGroup(msg.group);
  if (g === null) return reply("NOT_COORDINATOR");
  // GroupCoordinator.handleCommitOffsets: generation -1 from a non-member is a "simple" commit, allowed only
  // while the group has no members; otherwise member and generation must match.
  if (!(msg.generation < 0 && g.state === "empty")) {
    const m = g.members.get(msg.memberId);
    if (m === undefined) return reply("UNKNOWN_MEMBER_ID");
    if (msg.generation !== g.generation) return reply("ILLEGAL_GENERATION");
    if (g.state === "completing") return reply("REBALANCE_IN_PROGRESS");
    port.touch(ctx, m);
  }
  const keys = msg.offsets.map((o) => port.host.internKey(offsetKeyName(g.name, o.topic, o.partition)));
  const values = msg.offsets.map((o) => o.offset);
  port.host.appendOffsets(ctx, g.partition, keys, values, 5000, (error) => {
    if (error === "NONE" && port.isCurrent(g)) for (const o of msg.offsets) g.offsets.set(`${o.topic}/${o.partition}`, o.offset);
    reply(coordinatorAppendError(error));
  });
}

/** TxnOffsetCommit (GroupCoordinator.doTxnCommitOffsets, validateOffsetCommit with isTransactional): a member
 *  that names itself must be the group's current member at its generation (KIP-447); a request without member
 *  and generation (a pre-2.5 producer) is accepted in any state. The offsets are pending until the marker. */
export function txnOffsetCommit(port: OffsetsPort, ctx: BrokerCtx, from: NodeId, msg: TxnOffsetCommitRequest): void {
  const reply = (error: KafkaErrorCode): void => ctx.send(from, { type: "txn.offset-commit-response", corr: msg.corr, error });
  const g = port.loadedGroup(msg.groupId);
  if (g === null) return reply("NOT_COORDINATOR");
  const add = port.host.addTxnOffsetsPartition;
  if (msg.transactionSupport !== "add-partition" || add === undefined) return writeTxnOffsets(port, ctx, msg, g, reply);
  // KIP-890 part 2 (TxnOffsetCommit v5+: no AddOffsetsToTxn before it): the offsets partition is added to the
  // transaction first (CoordinatorRuntime.scheduleTransactionalWriteOperation → maybeStartTransactionVerification
  // with ADD_PARTITION), then the commit is validated and written.
  add.call(port.host, ctx, msg.transactionalId, msg.producerId, msg.producerEpoch, g.partition, (error) => {
    if (error !== "NONE") return reply(error);
    const now = port.loadedGroup(msg.groupId);
    if (now === null) return reply("NOT_COORDINATOR");
    writeTxnOffsets(port, ctx, msg, now, reply);
  });
}

function writeTxnOffsets(port: OffsetsPort, ctx: BrokerCtx, msg: TxnOffsetCommitRequest, g: Group, reply: (error: KafkaErrorCode) => void): void {
  if (!(msg.generation < 0 && g.state === "empty") && (msg.generation >= 0 || msg.memberId !== "")) {
    if (!g.members.has(msg.memberId)) return reply("UNKNOWN_MEMBER_ID");
    if (msg.generation !== g.generation) return reply("ILLEGAL_GENERATION");
  }
  const append = port.host.appendTxnOffsets;
  if (append === undefined) return reply("COORDINATOR_NOT_AVAILABLE");
  port.txnOffsets.prepare(g.name, msg.producerId, msg.offsets);
  const keys = msg.offsets.map((o) => port.host.internKey(offsetKeyName(g.name, o.topic, o.partition)));
  append.call(port.host, ctx, g.partition, keys, msg.offsets.map((o) => o.offset), msg.producerId, msg.producerEpoch, 5000, (error) => {
    if (error !== "NONE" && port.isCurrent(g)) port.txnOffsets.fail(g.name, msg.producerId, msg.offsets);
    reply(coordinatorAppendError(error));
  });
}
