// The gateway on a simulated cluster, driven by hand with kafkajs's own request encoders and response decoders: in
// which order and when answers come back, what happens to requests Kafka would not read, acks=0, retries that keep
// their record numbers, the byte limits of a fetch, and what a connection to a dead broker does.
import { describe, expect, it } from "vitest";
import { createWorld } from "../../world.ts";
import { buildScenario } from "../../scenario/defaults.ts";
import { msToUs } from "../../core/time.ts";
import type { TimeUs } from "../../core/time.ts";
import type { RecordSlice } from "../../kafka/protocol.ts";
import { Writer } from "../writer.ts";
import { kafkajsDecodeResponse, kafkajsRequestFrame } from "../testkit/kafkajs.ts";
import { Gateway, RecordStore } from "./index.ts";

function harness(connections = 4) {
  const gw = new Gateway({ connections, address: (b) => ({ host: `broker-${b}`, port: 9092 }), epochMs: 1_000_000, origin: "test" });
  const s = buildScenario({ name: "gw", seed: 3, broker: { "offsets.topic.num.partitions": 1 }, topics: [{ name: "orders", partitions: 1, replicaAssignment: [[1, 2, 3]] }] });
  const world = createWorld(s, { outside: gw.outside() });
  gw.bind({ history: world.history, nextValue: world.nextValue });
  const rt = world.runtime;
  world.runTo(msToUs(3000)); // the cluster is up: broker 1 leads orders-0
  const open = (broker: number, handshake = false) => {
    const frames: { atUs: number; bytes: Buffer }[] = [];
    const events: string[] = [];
    const conn = gw.connect(broker, { write: (b) => frames.push({ atUs: rt.nowUs, bytes: Buffer.from(b) }), connected: () => events.push("connected"), closed: (r) => events.push(`closed ${r}`) }, { handshake });
    return { conn, frames, events, send: (frame: Buffer) => conn.receive(frame) };
  };
  const run = (ms: number): void => void world.runTo((rt.nowUs + msToUs(ms)) as TimeUs);
  return { gw, world, rt, open, run };
}

const correlationOf = (frame: Buffer): number => frame.readInt32BE(4);

const produceArgs = (acks: number, values: string[], idempotent: { producerId: number; firstSequence: number } | null = null) => ({
  acks,
  timeout: 5000,
  compression: 0,
  transactionalId: null,
  producerId: idempotent?.producerId ?? -1,
  producerEpoch: idempotent === null ? -1 : 0,
  topicData: [{ topic: "orders", partitions: [{ partition: 0, firstSequence: idempotent?.firstSequence ?? -1, messages: values.map((value, i) => ({ key: null, value, timestamp: 1_000_000_000_000 + i, headers: {} })) }] }],
});

describe("the wire gateway", () => {
  it("handles a connection's requests one at a time, in order (Kafka mutes the connection): a Metadata request waits behind a parked Fetch", async () => {
    const h = harness();
    const c = h.open(1);
    c.send(await kafkajsRequestFrame("Fetch", 11, { replicaId: -1, maxWaitTime: 400, minBytes: 1, maxBytes: 1 << 20, isolationLevel: 1, sessionId: 0, sessionEpoch: -1, rackId: "", topics: [{ topic: "orders", partitions: [{ partition: 0, currentLeaderEpoch: -1, fetchOffset: "0", logStartOffset: -1, maxBytes: 1 << 20 }] }] }, { correlationId: 1, clientId: "c" }));
    const sentAt = h.rt.nowUs;
    c.send(await kafkajsRequestFrame("Metadata", 6, { topics: ["orders"], allowAutoTopicCreation: false }, { correlationId: 2, clientId: "c" }));
    h.run(50);
    expect(c.frames).toEqual([]);
    h.run(1000);
    expect(c.frames.map((f) => correlationOf(f.bytes))).toEqual([1, 2]);
    // The fetch waited its maxWaitMs for data (none came); only then did the Metadata request go, a round trip more.
    const fetchAt = (c.frames[0]?.atUs ?? 0) - sentAt;
    const metadataAt = (c.frames[1]?.atUs ?? 0) - sentAt;
    expect(fetchAt).toBeGreaterThanOrEqual(400_000);
    expect(fetchAt).toBeLessThan(410_000);
    expect(metadataAt).toBeGreaterThan(fetchAt);
    expect(metadataAt - fetchAt).toBeLessThan(10_000);
    const meta = await kafkajsDecodeResponse("Metadata", 6, c.frames[1]?.bytes as Buffer);
    expect(meta.decoded).toMatchObject({ clusterId: "kafkasim", controllerId: expect.any(Number), brokers: [1, 2, 3].map((b) => expect.objectContaining({ nodeId: b, host: `broker-${b}`, port: 9092 })), topicMetadata: [expect.objectContaining({ topic: "orders", partitionMetadata: [expect.objectContaining({ partitionId: 0, leader: 1, replicas: [1, 2, 3], isr: [1, 2, 3] })] })] });
  });

  it("an ApiVersions request of a version it does not know is answered at v0 with UNSUPPORTED_VERSION and our range (KIP-511); an unreadable request closes the connection", async () => {
    const h = harness();
    const c = h.open(2);
    // A v3 (flexible) ApiVersions header: api key 18, version 3, correlation 9, client id "java".
    const w = new Writer();
    w.int32(0).int16(18).int16(3).int32(9).string("java").int8(0);
    const frame = w.toBytes();
    frame.writeInt32BE(frame.length - 4, 0);
    c.send(frame);
    h.run(10);
    expect(c.frames.length).toBe(1);
    const answer = c.frames[0]?.bytes as Buffer;
    expect(correlationOf(answer)).toBe(9);
    expect(answer.readInt16BE(8)).toBe(35); // UNSUPPORTED_VERSION
    expect([answer.readInt32BE(10), answer.readInt16BE(14), answer.readInt16BE(16), answer.readInt16BE(18)]).toEqual([1, 18, 0, 2]);
    // Garbage: an unknown API key.
    const bad = Buffer.from([0, 0, 0, 8, 0x7f, 0x7f, 0, 0, 0, 0, 0, 1]);
    expect(h.gw.openConnections).toBe(1);
    c.send(bad);
    expect(c.events).toEqual(["closed reset"]);
    expect(h.gw.openConnections).toBe(0);
  });

  it("acks=0: no answer; each record is acknowledged as it is written (offset -1), as the modelled producer records it", async () => {
    const h = harness();
    const c = h.open(1);
    c.send(await kafkajsRequestFrame("Produce", 7, produceArgs(0, ["a", "b"]), { correlationId: 5, clientId: "fire-and-forget" }));
    h.run(100);
    expect(c.frames).toEqual([]);
    const sends = h.world.history.ops.filter((o) => o.f === "send").map((o) => (o.f === "send" ? [o.type, o.process, o.value.value, o.value.offset ?? null] : []));
    expect(sends).toEqual([
      ["invoke", "fire-and-forget", 0, null],
      ["invoke", "fire-and-forget", 1, null],
      ["ok", "fire-and-forget", 0, -1],
      ["ok", "fire-and-forget", 1, -1],
    ]);
  });

  it("an idempotent batch sent again keeps its record numbers: one invoke per record, the broker's duplicate answer is its ok, and the retry is evidence", async () => {
    const h = harness();
    const c = h.open(1);
    const init = h.open(1);
    init.send(await kafkajsRequestFrame("InitProducerId", 1, { transactionalId: null, transactionTimeout: 30000 }, { correlationId: 1, clientId: "p" }));
    h.run(20);
    const pid = ((await kafkajsDecodeResponse("InitProducerId", 1, init.frames[0]?.bytes as Buffer)).decoded as { producerId: string }).producerId;
    const frame = await kafkajsRequestFrame("Produce", 7, produceArgs(-1, ["x", "y", "z"], { producerId: Number(pid), firstSequence: 0 }), { correlationId: 2, clientId: "p" });
    c.send(frame);
    c.send(Buffer.from(frame)); // the same batch again, as a client retries it after a lost answer
    h.run(200);
    const offsets = await Promise.all(c.frames.map(async (f) => ((await kafkajsDecodeResponse("Produce", 7, f.bytes)).decoded as { topics: { partitions: { errorCode: number; baseOffset: string }[] }[] }).topics[0]?.partitions[0]));
    expect(offsets.map((p) => [p?.errorCode, p?.baseOffset])).toEqual([
      [0, "0"],
      [0, "0"],
    ]);
    const ops = h.world.history.ops.filter((o) => o.f === "send");
    expect(ops.filter((o) => o.type === "invoke").map((o) => (o.f === "send" ? o.value.value : -1))).toEqual([0, 1, 2]);
    expect(ops.filter((o) => o.type === "ok").map((o) => (o.f === "send" ? [o.value.value, o.value.offset] : []))).toEqual([
      [0, 0],
      [1, 1],
      [2, 2],
    ]);
    const retries = h.world.runtime.trace.evidence.filter((e) => e.type === "produce-retry");
    expect(retries.map((e) => (e.type === "produce-retry" ? [e.producer, e.tp, e.values, e.attempt] : []))).toEqual([["p", "orders-0", [0, 1, 2], 1]]);
  });

  it("a connection's handshake to a killed broker is refused; a dead connection frees its node", async () => {
    const h = harness(2);
    h.world.faults.fireNow({ kind: "kill", target: { broker: 2 } });
    const c = h.open(2, true);
    h.run(10);
    expect(c.events).toEqual(["closed refused"]);
    expect(h.gw.openConnections).toBe(0);
    const up = h.open(3, true);
    h.run(10);
    expect(up.events).toEqual(["connected"]);
    h.world.faults.fireNow({ kind: "kill", target: { broker: 3 } });
    h.run(10);
    expect(up.events).toEqual(["connected", "closed reset"]);
    h.open(1);
    h.open(1);
    expect(() => h.open(1)).toThrow(/all 2 outside connections are in use; raise connections/);
  });
});

describe("the record store", () => {
  const rec = (value: string, key: string | null = null) => ({ timestampDelta: 0, offsetDelta: 0, key: key === null ? null : Buffer.from(key), value: Buffer.from(value), headers: [] });
  const where = { client: "c", topic: "t", partition: 0, producerId: -1, producerEpoch: -1, sequence: -1 };

  it("without idempotence, the same content from the same client is a retry until it is acknowledged; then it is a new send", () => {
    const store = new RecordStore(0);
    let n = 0;
    const fresh = (): number => n++;
    expect(store.identify(rec("a"), 1, where, fresh)).toEqual({ value: 0, isNew: true });
    expect(store.identify(rec("a"), 2, where, fresh)).toEqual({ value: 0, isNew: false }); // kafkajs re-stamps a retry
    expect(store.identify(rec("a"), 1, { ...where, client: "other" }, fresh)).toEqual({ value: 1, isNew: true });
    expect(store.identify(rec("a", "k"), 1, where, fresh)).toEqual({ value: 2, isNew: true });
    store.acknowledged(0);
    expect(store.identify(rec("a"), 3, where, fresh)).toEqual({ value: 3, isNew: true });
    expect(Buffer.from(store.payload(3)?.value as Uint8Array).toString()).toBe("a");
  });

  it("serves a slice as batches (a batch per producer run of consecutive sequences), the first record even over the byte limit (KIP-74)", () => {
    const store = new RecordStore(5_000);
    let n = 0;
    const big = "v".repeat(100);
    for (let i = 0; i < 4; i++) store.identify(rec(big), 10 + i, { ...where, producerId: 7, producerEpoch: 0, sequence: i }, () => n++);
    const slice: RecordSlice = {
      baseOffset: 20,
      count: 5,
      at: 0,
      epochs: Int32Array.from([1, 1, 1, 2, 2]),
      values: Float64Array.from([0, 1, 2, 3, 99]),
      keys: Int32Array.from([-1, -1, -1, -1, 4]),
      producerIds: Int32Array.from([7, 7, 7, 7, -1]),
      sequences: Int32Array.from([0, 1, 2, 3, -1]),
      appendUs: Float64Array.from([0, 0, 0, 0, 3_000_000]),
      producerEpochs: Int32Array.from([0, 0, 0, 0, -1]),
    };
    const all = store.serve(slice, 1 << 20, true);
    expect(all.count).toBe(5);
    expect(all.batches.map((b) => [b.baseOffset, b.records.length, b.partitionLeaderEpoch, b.producerId, b.baseSequence])).toEqual([
      [20, 3, 1, 7, 0],
      [23, 1, 2, 7, 3],
      [24, 1, 2, -1, -1],
    ]);
    // A modelled producer's record (no bytes here): its number in decimal, key too, stamped with its append time.
    const last = all.batches[2]?.records[0];
    expect([Buffer.from(last?.value as Uint8Array).toString(), Buffer.from(last?.key as Uint8Array).toString(), all.batches[2]?.baseTimestamp]).toEqual(["99", "4", 8_000]);
    expect(store.serve(slice, 50, true).count).toBe(1);
    expect(store.serve(slice, 50, false).count).toBe(0);
    expect(store.serve(slice, 250, false).count).toBe(2);
  });
});
