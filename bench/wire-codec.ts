// Wire codec micro-benchmark: `npx tsx bench/wire-codec.ts` (not run by the tests). Decodes a 100-record Produce v7
// request as kafkajs writes it and encodes a 100-record Fetch v11 response, and times kafkajs doing the other side of
// each for scale. Prints µs per message and records per second (best of five rounds) and, under
// `node --expose-gc --import tsx bench/wire-codec.ts`, heap bytes allocated per message.
import { API_KEY } from "../sim/wire/api-keys.ts";
import type { FetchResponse } from "../sim/wire/apis/fetch.ts";
import { decodeRequest, encodeResponse } from "../sim/wire/codec.ts";
import { Reader } from "../sim/wire/reader.ts";
import type { RecordBatch } from "../sim/wire/record-batch.ts";
import { kafkajsDecodeResponse, kafkajsRequestFrame } from "../sim/wire/testkit/kafkajs.ts";
import { Writer } from "../sim/wire/writer.ts";

const RECORDS = 100;
const VALUE = Buffer.alloc(100, 7);

interface Measure {
  readonly usPerOp: number;
  readonly bytesPerOp: number;
}

/** Best of five rounds of `ops` calls (the machine is shared); heap bytes from 50 calls between two full GCs, which
 *  only means something under `node --expose-gc`. */
function measure(ops: number, fn: () => void): Measure {
  for (let i = 0; i < 2000; i++) fn(); // warm up
  let best = Infinity;
  for (let round = 0; round < 5; round++) {
    const t0 = performance.now();
    for (let i = 0; i < ops; i++) fn();
    best = Math.min(best, performance.now() - t0);
  }
  const gc = globalThis.gc;
  let bytesPerOp = NaN;
  if (gc !== undefined) {
    gc();
    const heap0 = process.memoryUsage().heapUsed;
    for (let i = 0; i < 50; i++) fn();
    bytesPerOp = (process.memoryUsage().heapUsed - heap0) / 50;
  }
  return { usPerOp: (best * 1000) / ops, bytesPerOp };
}

async function measureAsync(ops: number, fn: () => Promise<unknown>): Promise<number> {
  for (let i = 0; i < 200; i++) await fn();
  const t0 = performance.now();
  for (let i = 0; i < ops; i++) await fn();
  return ((performance.now() - t0) * 1000) / ops;
}

function line(label: string, m: Measure): void {
  const perSec = (1e6 / m.usPerOp) * RECORDS;
  console.log(`${label.padEnd(52)} ${m.usPerOp.toFixed(1).padStart(7)} µs/msg  ${(perSec / 1e6).toFixed(2).padStart(6)} M records/s  ${Number.isNaN(m.bytesPerOp) ? "" : `~${Math.round(m.bytesPerOp).toString().padStart(6)} heap bytes/msg`}`);
}

async function main(): Promise<void> {
  const ts = 1_700_000_000_000;
  const messages = Array.from({ length: RECORDS }, (_, i) => ({ key: `key-${i % 10}`, value: VALUE, timestamp: ts + i, headers: {} }));
  const args = { acks: -1, timeout: 30000, transactionalId: null, producerId: 7, producerEpoch: 0, compression: 0, topicData: [{ topic: "orders", partitions: [{ partition: 0, firstSequence: 0, messages }] }] };
  const produceFrame = (await kafkajsRequestFrame("Produce", 7, args)).subarray(4);
  const r = new Reader();
  const check = decodeRequest(produceFrame, r);
  if (!check.ok || check.request.apiKey !== API_KEY.Produce || !check.request.topics[0]!.partitions[0]!.records.ok) throw new Error("produce sample did not decode");
  console.log(`Produce v7 request, ${RECORDS} records of ${VALUE.length} B: ${produceFrame.length + 4} B frame`);
  line("  ours: decodeRequest (reused Reader)", measure(5000, () => decodeRequest(produceFrame, r)));
  const kjsEncode = await measureAsync(2000, () => kafkajsRequestFrame("Produce", 7, args));
  console.log(`${"  kafkajs: encode the same request (for scale)".padEnd(52)} ${kjsEncode.toFixed(1).padStart(7)} µs/msg`);

  const batch: RecordBatch = {
    baseOffset: 1000,
    partitionLeaderEpoch: 3,
    timestampType: "CreateTime",
    isTransactional: false,
    isControl: false,
    hasDeleteHorizonMs: false,
    lastOffsetDelta: RECORDS - 1,
    baseTimestamp: ts,
    maxTimestamp: ts + RECORDS - 1,
    producerId: 7,
    producerEpoch: 0,
    baseSequence: 0,
    records: messages.map((m, i) => ({ timestampDelta: i, offsetDelta: i, key: Buffer.from(m.key), value: VALUE, headers: [] })),
  };
  const fetch: FetchResponse = {
    apiKey: API_KEY.Fetch,
    throttleTimeMs: 0,
    error: "NONE",
    sessionId: 0,
    responses: [{ topic: "orders", partitions: [{ partitionIndex: 0, error: "NONE", highWatermark: 1100, lastStableOffset: 1100, logStartOffset: 0, abortedTransactions: null, preferredReadReplica: -1, records: [batch] }] }],
  };
  const w = new Writer(64 * 1024);
  const fetchFrame = encodeResponse({ correlationId: 1, apiVersion: 11 }, fetch, w);
  console.log(`Fetch v11 response, ${RECORDS} records of ${VALUE.length} B in one batch: ${fetchFrame.length} B frame`);
  line("  ours: encodeResponse (reused Writer, copy out)", measure(5000, () => encodeResponse({ correlationId: 1, apiVersion: 11 }, fetch, w)));
  const kjsDecode = await measureAsync(2000, () => kafkajsDecodeResponse("Fetch", 11, fetchFrame));
  console.log(`${"  kafkajs: decode the same response (for scale)".padEnd(52)} ${kjsDecode.toFixed(1).padStart(7)} µs/msg`);
}

void main();
