// What the gateway keeps of each transactional producer it sees (by transactional.id), for the history and the
// evidence the checkers read, as the modelled transactional producer and exactly-once pipeline record them
// (sim/client/transactions.ts, sim/client/consumer/pipeline.ts):
//   - the values of its open transaction the partitions acknowledged, per topic: a txn-ended event for each topic
//     when an EndTxn is answered NONE (lost-transaction reads the committed ones);
//   - the offsets its TxnOffsetCommit requests carried (kafkajs's sendOffsets): a commit op invoked with the
//     EndTxn(COMMIT), ok when it is answered NONE (the coordinator may complete the transaction from the moment it
//     has the EndTxn, even if the client never hears); an EndTxn(ABORT) drops them (after a COMMIT that failed, its
//     commit op fails).
// A new InitProducerId for the transactional.id starts afresh (it fences the old epoch and aborts or completes what
// was open; a commit op still open stays indeterminate).
export interface TxnOffsets {
  readonly group: string;
  /** The process the history credits the commit to (a member of the group on the same client.id, else the client). */
  readonly process: string;
  readonly offsets: { topic: string; partition: number; offset: number }[];
}

export interface OpenTxn {
  readonly transactionalId: string;
  /** The client.id it last spoke as. */
  client: string;
  producerId: number;
  producerEpoch: number;
  /** topic → values of the open transaction acknowledged (retries keep their number: once each). */
  readonly values: Map<string, Set<number>>;
  /** group → the offsets of the transaction (the latest TxnOffsetCommit per partition wins). */
  readonly offsets: Map<string, TxnOffsets>;
  /** Commit ops invoked with the current EndTxn(COMMIT), awaiting its answer. */
  committing: TxnOffsets[];
}

export class GatewayTxns {
  private readonly byId = new Map<string, OpenTxn>();

  /** The transactional.id's state (created on first sight). */
  of(transactionalId: string, client: string): OpenTxn {
    let t = this.byId.get(transactionalId);
    if (t === undefined) {
      t = { transactionalId, client, producerId: -1, producerEpoch: -1, values: new Map(), offsets: new Map(), committing: [] };
      this.byId.set(transactionalId, t);
    }
    t.client = client;
    return t;
  }

  /** InitProducerId answered: a new producer epoch, nothing open. */
  initialized(transactionalId: string, client: string, producerId: number, producerEpoch: number): void {
    const t = this.of(transactionalId, client);
    t.producerId = producerId;
    t.producerEpoch = producerEpoch;
    this.clear(t);
  }

  sent(t: OpenTxn, topic: string, value: number): void {
    let s = t.values.get(topic);
    if (s === undefined) t.values.set(topic, (s = new Set()));
    s.add(value);
  }

  offsetsCommitted(t: OpenTxn, group: string, process: string, offsets: readonly { topic: string; partition: number; offset: number }[]): void {
    let o = t.offsets.get(group);
    if (o === undefined) t.offsets.set(group, (o = { group, process, offsets: [] }));
    for (const x of offsets) {
      const i = o.offsets.findIndex((y) => y.topic === x.topic && y.partition === x.partition);
      if (i >= 0) o.offsets[i] = { ...x };
      else o.offsets.push({ ...x });
    }
  }

  clear(t: OpenTxn): void {
    t.values.clear();
    t.offsets.clear();
    t.committing = [];
  }
}
