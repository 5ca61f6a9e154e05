// The real kafkajs client, unmodified, over real TCP, against a toy one-broker server built only from this codec:
// it negotiates versions from our ApiVersions answer, produces (idempotently) and consumes in a group, and every byte
// either way goes through FrameSplitter, decodeRequest and encodeResponse. The toy broker is test scaffolding, not
// the gateway: one partition per topic, everything in memory, no fetch waiting (an empty fetch is held until the
// client goes away).
import { createRequire } from "node:module";
import net from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { API_KEY, type ApiName } from "./api-keys.ts";
import { supportedApiVersions, unsupportedApiVersionsResponse } from "./apis/api-versions.ts";
import type { FetchResponse } from "./apis/fetch.ts";
import { decodeRequest, encodeResponse, expectsResponse, type KafkaRequest, type KafkaResponse } from "./codec.ts";
import { FrameSplitter } from "./frame.ts";
import type { RecordBatch } from "./record-batch.ts";

const require = createRequire(import.meta.url);
interface KjsMessage {
  key: Buffer | null;
  value: Buffer | null;
  offset: string;
  headers: Record<string, Buffer>;
}
interface KafkaJs {
  Kafka: new (config: object) => {
    producer(o?: object): { connect(): Promise<void>; send(o: object): Promise<{ baseOffset: string }[]>; disconnect(): Promise<void> };
    consumer(o: object): {
      connect(): Promise<void>;
      subscribe(o: object): Promise<void>;
      run(o: { eachMessage: (p: { message: KjsMessage; partition: number }) => Promise<void> }): Promise<void>;
      commitOffsets(o: object[]): Promise<void>;
      disconnect(): Promise<void>;
    };
    admin(): { connect(): Promise<void>; fetchTopicMetadata(o: object): Promise<{ topics: { name: string; partitions: { partitionId: number; leader: number }[] }[] }>; disconnect(): Promise<void> };
  };
  logLevel: { NOTHING: number };
}
const { Kafka, logLevel } = require("kafkajs") as KafkaJs;

class ToyBroker {
  readonly server = net.createServer((socket) => this.serve(socket));
  readonly logs = new Map<string, RecordBatch[]>();
  readonly committed = new Map<string, number>();
  /** Every (api, version) the clients used. */
  readonly seen = new Set<string>();
  private assignment = new Uint8Array(0);
  port = 0;

  async start(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, "127.0.0.1", resolve));
    this.port = (this.server.address() as net.AddressInfo).port;
  }

  private serve(socket: net.Socket): void {
    const frames = new FrameSplitter();
    socket.on("data", (chunk) => {
      const error = frames.push(chunk, (frame) => {
        const d = decodeRequest(frame);
        if (!d.ok) {
          if (d.header?.apiKey === API_KEY.ApiVersions && d.error.kind === "unsupported-version") {
            socket.write(encodeResponse({ correlationId: d.header.correlationId, apiVersion: 0 }, unsupportedApiVersionsResponse()));
          } else socket.destroy();
          return;
        }
        const name = (Object.keys(API_KEY) as ApiName[]).find((n) => API_KEY[n] === d.header.apiKey)!;
        this.seen.add(`${name} v${d.header.apiVersion}`);
        const res = this.answer(d.request);
        if (res !== null && expectsResponse(d.request)) socket.write(encodeResponse({ correlationId: d.header.correlationId, apiVersion: d.header.apiVersion }, res));
      });
      if (error !== null) socket.destroy();
    });
    socket.on("error", () => socket.destroy());
  }

  private logEnd(topic: string): number {
    const log = this.logs.get(topic) ?? [];
    const last = log[log.length - 1];
    return last === undefined ? 0 : last.baseOffset + last.lastOffsetDelta + 1;
  }

  private answer(req: KafkaRequest): KafkaResponse | null {
    const me = { nodeId: 0, host: "127.0.0.1", port: this.port };
    switch (req.apiKey) {
      case API_KEY.ApiVersions:
        return supportedApiVersions();
      case API_KEY.Metadata: {
        for (const t of req.topics ?? []) if (!this.logs.has(t)) this.logs.set(t, []);
        const names = req.topics ?? [...this.logs.keys()];
        const topics = names.map((name) => ({ error: "NONE" as const, name, isInternal: false, partitions: [{ error: "NONE" as const, partitionIndex: 0, leaderId: 0, replicaNodes: [0], isrNodes: [0], offlineReplicas: [] }] }));
        return { apiKey: API_KEY.Metadata, throttleTimeMs: 0, brokers: [{ ...me, rack: null }], clusterId: "toy", controllerId: 0, topics };
      }
      case API_KEY.InitProducerId:
        return { apiKey: API_KEY.InitProducerId, throttleTimeMs: 0, error: "NONE", producerId: 4000, producerEpoch: 0 };
      case API_KEY.Produce:
        return {
          apiKey: API_KEY.Produce,
          throttleTimeMs: 0,
          topics: req.topics.map((t) => ({
            name: t.name,
            partitions: t.partitions.map((p) => {
              if (!p.records.ok) return { index: p.index, error: p.records.error, baseOffset: -1, logAppendTimeMs: -1, logStartOffset: -1 };
              const baseOffset = this.logEnd(t.name);
              this.logs.get(t.name)!.push({ ...p.records.batch, baseOffset });
              return { index: p.index, error: "NONE" as const, baseOffset, logAppendTimeMs: -1, logStartOffset: 0 };
            }),
          })),
        };
      case API_KEY.FindCoordinator:
        return { apiKey: API_KEY.FindCoordinator, throttleTimeMs: 0, error: "NONE", errorMessage: null, ...me };
      case API_KEY.JoinGroup: {
        const memberId = req.memberId === "" ? "member-1" : req.memberId;
        const protocol = req.protocols[0]!;
        return { apiKey: API_KEY.JoinGroup, throttleTimeMs: 0, error: "NONE", generationId: 1, protocolName: protocol.name, leader: memberId, memberId, members: [{ memberId, groupInstanceId: null, metadata: protocol.metadata }] };
      }
      case API_KEY.SyncGroup:
        this.assignment = Uint8Array.from(req.assignments.find((a) => a.memberId === req.memberId)?.assignment ?? this.assignment);
        return { apiKey: API_KEY.SyncGroup, throttleTimeMs: 0, error: "NONE", assignment: this.assignment };
      case API_KEY.Heartbeat:
        return { apiKey: API_KEY.Heartbeat, throttleTimeMs: 0, error: "NONE" };
      case API_KEY.LeaveGroup:
        return { apiKey: API_KEY.LeaveGroup, throttleTimeMs: 0, error: "NONE", members: req.members.map((m) => ({ ...m, error: "NONE" as const })) };
      case API_KEY.OffsetFetch:
        return {
          apiKey: API_KEY.OffsetFetch,
          throttleTimeMs: 0,
          error: "NONE",
          topics: (req.topics ?? []).map((t) => ({ name: t.name, partitions: t.partitionIndexes.map((i) => ({ partitionIndex: i, committedOffset: this.committed.get(`${t.name}-${i}`) ?? -1, metadata: null, error: "NONE" as const })) })),
        };
      case API_KEY.OffsetCommit:
        for (const t of req.topics) for (const p of t.partitions) this.committed.set(`${t.name}-${p.partitionIndex}`, p.committedOffset);
        return { apiKey: API_KEY.OffsetCommit, throttleTimeMs: 0, topics: req.topics.map((t) => ({ name: t.name, partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, error: "NONE" as const })) })) };
      case API_KEY.ListOffsets:
        return {
          apiKey: API_KEY.ListOffsets,
          throttleTimeMs: 0,
          topics: req.topics.map((t) => ({
            name: t.name,
            partitions: t.partitions.map((p) => {
              const offset = p.timestamp === -2 ? 0 : this.logEnd(t.name);
              return { partitionIndex: p.partitionIndex, error: "NONE" as const, oldStyleOffsets: [offset], timestamp: -1, offset };
            }),
          })),
        };
      case API_KEY.Fetch: {
        const responses: FetchResponse["responses"][number][] = [];
        let any = false;
        for (const t of req.topics) {
          const end = this.logEnd(t.topic);
          const partitions = t.partitions.map((p) => {
            const records = (this.logs.get(t.topic) ?? []).filter((b) => b.baseOffset + b.lastOffsetDelta >= p.fetchOffset);
            any ||= records.length > 0;
            return { partitionIndex: p.partition, error: "NONE" as const, highWatermark: end, lastStableOffset: end, logStartOffset: 0, abortedTransactions: null, preferredReadReplica: -1, records };
          });
          responses.push({ topic: t.topic, partitions });
        }
        // Nothing to read: hold the fetch (a real broker parks it in purgatory for maxWaitMs).
        return any ? { apiKey: API_KEY.Fetch, throttleTimeMs: 0, error: "NONE", sessionId: 0, responses } : null;
      }
      case API_KEY.AddPartitionsToTxn:
      case API_KEY.AddOffsetsToTxn:
      case API_KEY.EndTxn:
      case API_KEY.TxnOffsetCommit:
        throw new Error("the toy broker has no transactions (the gateway's are tested in sim/client/kafkajs-real)");
      default: {
        const never: never = req;
        throw new Error(`unexpected ${JSON.stringify(never)}`);
      }
    }
  }
}

describe("the real kafkajs against a toy broker made of this codec, over TCP", () => {
  const broker = new ToyBroker();
  beforeAll(() => broker.start());
  afterAll(() => new Promise<void>((resolve) => broker.server.close(() => resolve())));

  it("negotiates the versions, produces idempotently and consumes what it produced in a group", async () => {
    const kafka = new Kafka({ clientId: "wire-test", brokers: [`127.0.0.1:${broker.port}`], logLevel: logLevel.NOTHING, connectionTimeout: 10_000, retry: { retries: 2, initialRetryTime: 50 } });

    const admin = kafka.admin();
    await admin.connect();
    const meta = await admin.fetchTopicMetadata({ topics: ["orders"] });
    expect(meta.topics).toEqual([{ name: "orders", partitions: [expect.objectContaining({ partitionId: 0, leader: 0 })] }]);
    await admin.disconnect();

    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    const values = Array.from({ length: 20 }, (_, i) => `value-${i}`);
    const first = await producer.send({ topic: "orders", acks: -1, messages: values.slice(0, 10).map((v, i) => ({ key: `k${i % 3}`, value: v, headers: { trace: `t${i}` } })) });
    const second = await producer.send({ topic: "orders", acks: -1, messages: values.slice(10).map((v) => ({ key: null, value: v })) });
    expect([first[0]!.baseOffset, second[0]!.baseOffset]).toEqual(["0", "10"]);
    await producer.disconnect();
    const stored = broker.logs.get("orders")!;
    expect(stored.map((b) => [b.baseOffset, b.records.length, b.producerId, b.baseSequence])).toEqual([
      [0, 10, 4000, 0],
      [10, 10, 4000, 10],
    ]);

    const consumer = kafka.consumer({ groupId: "g1", maxWaitTimeInMs: 100 });
    await consumer.connect();
    await consumer.subscribe({ topics: ["orders"], fromBeginning: true });
    const got: { offset: string; key: string | null; value: string; trace: string | null }[] = [];
    await new Promise<void>((resolve, reject) => {
      consumer
        .run({
          eachMessage: async ({ message }) => {
            got.push({ offset: message.offset, key: message.key?.toString() ?? null, value: message.value!.toString(), trace: message.headers.trace?.toString() ?? null });
            if (got.length === values.length) resolve();
          },
        })
        .catch(reject);
    });
    await consumer.commitOffsets([{ topic: "orders", partition: 0, offset: "20" }]);
    await consumer.disconnect();

    expect(got.map((m) => m.value)).toEqual(values);
    expect(got.map((m) => m.offset)).toEqual(values.map((_, i) => String(i)));
    expect(got.slice(0, 3).map((m) => [m.key, m.trace])).toEqual([
      ["k0", "t0"],
      ["k1", "t1"],
      ["k2", "t2"],
    ]);
    expect(got[10]!.key).toBeNull();
    expect(broker.committed.get("orders-0")).toBe(20);
    // What this client used: its highest version of each API, as the negotiation table in sim/wire/README.md says
    // (a Heartbeat v3 too if the run outlasts heartbeatInterval, 3 s).
    expect([...broker.seen].filter((s) => s !== "Heartbeat v3").sort()).toEqual([
      "ApiVersions v2",
      "Fetch v11",
      "FindCoordinator v2",
      "InitProducerId v1",
      "JoinGroup v5",
      "LeaveGroup v3",
      "ListOffsets v3",
      "Metadata v6",
      "OffsetCommit v5",
      "OffsetFetch v4",
      "Produce v7",
      "SyncGroup v3",
    ]);
  });
});
