// KIP-890 part 1 (transaction.partition.verification.enable): the profile's default, the key refused where Kafka
// does not have it, the coordinator's verifyOnly answer (TransactionCoordinator.handleVerifyPartitionsInTransaction)
// and the errors a produce request gets for it (AddPartitionsToTxnManager, ReplicaManager).
import { describe, it, expect } from "vitest";
import { parseScenario } from "../../scenario/parse.ts";
import { partitionVerificationOf } from "../../kafka/profiles.ts";
import type { KafkaErrorCode } from "../../kafka/errors.ts";
import type { BrokerCtx } from "../group/host.ts";
import { TxnCoordinator } from "./coordinator.ts";
import type { TxnHost } from "./host.ts";
import type { TxnMetadata } from "./metadata.ts";
import { produceErrorOf } from "./verification.ts";

describe("transaction.partition.verification.enable: the profile's default", () => {
  it("is true from 3.6 (the 3.7+ profiles), absent (off) before; the broker key turns it off", () => {
    expect((["0.11", "2.0", "2.7", "3.7", "3.9", "4.0", "4.1"] as const).map((v) => partitionVerificationOf(v, { "transaction.partition.verification.enable": null }))).toEqual([false, false, false, true, true, true, true]);
    expect(partitionVerificationOf("3.7", { "transaction.partition.verification.enable": false })).toBe(false);
  });

  it("true is refused before 3.6, naming the key; false is accepted anywhere", () => {
    const yaml = (protocol: string, on: boolean): string => `protocol: "${protocol}"\nbroker: { transaction.partition.verification.enable: ${on} }\nproducers: [{ id: p1, topic: t, ratePerSec: 10 }]\ntopics: [{ name: t }]\n`;
    expect(() => parseScenario(yaml("2.7", true), { file: "s.yaml" })).toThrow(/transaction\.partition\.verification\.enable is a Kafka 3\.6\+ key/);
    expect(parseScenario(yaml("2.7", false), { file: "s.yaml" }).broker["transaction.partition.verification.enable"]).toBe(false);
    expect(parseScenario(yaml("3.7", true), { file: "s.yaml" }).broker["transaction.partition.verification.enable"]).toBe(true);
  });
});

describe("the coordinator's verifyOnly answer (handleVerifyPartitionsInTransaction)", () => {
  const sent: unknown[] = [];
  const ctx = { send: (_to: unknown, msg: unknown) => sent.push(msg) } as unknown as BrokerCtx;
  const host = { brokerId: 1, txnPartitions: 1, isTxnLeader: () => true, txnLeaderEpoch: () => 0, config: {} } as unknown as TxnHost;
  const coordinator = new TxnCoordinator(host);
  // A coordinator that has loaded __transaction_state-0 (onElected) holding tx-1's metadata.
  const internals = coordinator as unknown as { txns: Map<string, TxnMetadata>; loaded: Map<number, number> };
  internals.loaded.set(0, 0);
  const txns = internals.txns;
  const meta = (state: TxnMetadata["state"], partitions: string[]): TxnMetadata => ({ transactionalId: "tx-1", producerId: 7, producerEpoch: 3, timeoutMs: 60_000, state, partitions: new Set(partitions), startUs: 0, pending: null, clientTransactionVersion: 0 });
  const verify = (producerId: number, producerEpoch: number): KafkaErrorCode[] => {
    sent.length = 0;
    coordinator.handleVerifyPartitions(ctx, "broker-2" as never, { type: "txn.verify-partitions", corr: 1, transactionalId: "tx-1", producerId, producerEpoch, partitions: [{ topic: "orders", partition: 0 }, { topic: "orders", partition: 1 }] });
    const answer = sent[0] as { readonly results: readonly { readonly error: KafkaErrorCode }[] };
    return answer.results.map((r) => r.error);
  };

  it("NONE for a partition of the ongoing transaction, INVALID_TXN_STATE for one not in it", () => {
    txns.set("tx-1", meta("Ongoing", ["orders-0"]));
    expect(verify(7, 3)).toEqual(["NONE", "INVALID_TXN_STATE"]);
  });

  it("a completed transaction has no partitions: a late write of it is refused", () => {
    txns.set("tx-1", meta("CompleteAbort", ["orders-0"]));
    expect(verify(7, 3)).toEqual(["INVALID_TXN_STATE", "INVALID_TXN_STATE"]);
  });

  it("another epoch is PRODUCER_FENCED, another producer id INVALID_PRODUCER_ID_MAPPING, a transaction being ended CONCURRENT_TRANSACTIONS", () => {
    txns.set("tx-1", meta("Ongoing", ["orders-0", "orders-1"]));
    expect(verify(7, 2)).toEqual(["PRODUCER_FENCED", "PRODUCER_FENCED"]);
    expect(verify(8, 3)).toEqual(["INVALID_PRODUCER_ID_MAPPING", "INVALID_PRODUCER_ID_MAPPING"]);
    txns.set("tx-1", meta("PrepareAbort", ["orders-0", "orders-1"]));
    expect(verify(7, 3)).toEqual(["CONCURRENT_TRANSACTIONS", "CONCURRENT_TRANSACTIONS"]);
  });
});

describe("what a produce request gets for a verification error", () => {
  it("PRODUCER_FENCED → INVALID_PRODUCER_EPOCH; the coordinator's retriable errors → NOT_ENOUGH_REPLICAS; the rest as is", () => {
    expect((["PRODUCER_FENCED", "COORDINATOR_NOT_AVAILABLE", "NOT_COORDINATOR", "CONCURRENT_TRANSACTIONS", "INVALID_TXN_STATE", "INVALID_PRODUCER_ID_MAPPING"] as const).map((e) => produceErrorOf(e))).toEqual([
      "INVALID_PRODUCER_EPOCH",
      "NOT_ENOUGH_REPLICAS",
      "NOT_ENOUGH_REPLICAS",
      "NOT_ENOUGH_REPLICAS",
      "INVALID_TXN_STATE",
      "INVALID_PRODUCER_ID_MAPPING",
    ]);
  });
});
