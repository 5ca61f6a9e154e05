// kafkasim's kafkajs error classes and retrier against kafkajs's own (tulios/kafkajs 2.2.x, a devDependency).
/* eslint-disable no-restricted-properties -- kafkajs's retrier draws with Math.random and waits with setTimeout: the test feeds both */
import { createRequire } from "node:module";
import { describe, expect, it } from "vitest";
import { Rng } from "../../core/rng.ts";
import { KAFKA_ERRORS, kafkaErrorNumber } from "../../kafka/errors.ts";
import * as ours from "./errors.ts";
import { Retrier } from "./retry.ts";

const require = createRequire(import.meta.url);
type Ctor = new (...args: unknown[]) => Error & Record<string, unknown>;
const theirs = require("kafkajs/src/errors.js") as Record<"KafkaJSError" | "KafkaJSNonRetriableError" | "KafkaJSConnectionError" | "KafkaJSRequestTimeoutError" | "KafkaJSNumberOfRetriesExceeded" | "KafkaJSNotImplemented", Ctor>;
const { errorCodes } = require("kafkajs/src/protocol/error.js") as { errorCodes: { type: string; code: number; retriable: boolean; message: string }[] };
const createRetry = require("kafkajs/src/retry/index.js") as (opts: object) => (fn: (bail: unknown, retryCount: number, retryTime: number) => Promise<unknown>) => Promise<unknown>;

const fields = (e: Error & Record<string, unknown>): Record<string, unknown> => ({ name: e.name, message: e.message, retriable: e.retriable, type: e.type, code: e.code, isKafkaJSError: e instanceof Error });

describe("kafkajs error classes", () => {
  it("have kafkajs's names, messages, retriable flags and cause shapes", () => {
    const cause = new Error("db down");
    const pairs: [Error & Record<string, unknown>, Error & Record<string, unknown>][] = [
      [new ours.KafkaJSError("boom") as never, new theirs.KafkaJSError("boom")],
      [new ours.KafkaJSError("boom", { retriable: false, cause }) as never, new theirs.KafkaJSError("boom", { retriable: false, cause })],
      [new ours.KafkaJSNonRetriableError("no", { cause }) as never, new theirs.KafkaJSNonRetriableError("no", { cause })],
      [new ours.KafkaJSConnectionError("Connection error", { broker: "b:1" }) as never, new theirs.KafkaJSConnectionError("Connection error", { broker: "b:1" })],
      [new ours.KafkaJSRequestTimeoutError("Request timed out", { broker: "b:1" }) as never, new theirs.KafkaJSRequestTimeoutError("Request timed out", { broker: "b:1" })],
      [new ours.KafkaJSNumberOfRetriesExceeded(cause, { retryCount: 5, retryTime: 9000 }) as never, new theirs.KafkaJSNumberOfRetriesExceeded(cause, { retryCount: 5, retryTime: 9000 })],
      [new ours.KafkaJSNotImplemented("nope") as never, new theirs.KafkaJSNotImplemented("nope")],
    ];
    for (const [a, b] of pairs) {
      expect(fields(a)).toEqual(fields(b));
      expect(a.cause).toBe(b.cause);
      for (const k of ["broker", "retryCount", "retryTime"]) expect(a[k]).toEqual(b[k]);
    }
    // The class hierarchy: instanceof KafkaJSError, and NumberOfRetriesExceeded is a NonRetriableError.
    expect(new ours.KafkaJSNumberOfRetriesExceeded(cause, { retryCount: 1, retryTime: 1 })).toBeInstanceOf(ours.KafkaJSNonRetriableError);
    expect(new ours.KafkaJSProtocolError({ message: "m", type: "T", code: 1, retriable: true })).toBeInstanceOf(ours.KafkaJSError);
  });

  it("create the same KafkaJSProtocolError as kafkajs for every Kafka error code kafkasim produces", () => {
    for (const code of KAFKA_ERRORS) {
      const n = kafkaErrorNumber(code);
      if (n <= 0) continue;
      const k = errorCodes.find((e) => e.code === n);
      const e = ours.createErrorFromCode(n);
      if (k === undefined) {
        expect(e.type).toBe("KAFKAJS_UNKNOWN_ERROR_CODE");
        continue;
      }
      expect({ type: e.type, code: e.code, retriable: e.retriable, message: e.message, name: e.name }).toEqual({ type: k.type, code: k.code, retriable: k.retriable, message: k.message, name: "KafkaJSProtocolError" });
    }
  });

  it("a send that failed for good: retriable errors as KafkaJSNumberOfRetriesExceeded, others as KafkaJSNonRetriableError, with the protocol error as cause", () => {
    const retried = ours.sendFailure("NOT_ENOUGH_REPLICAS", 5);
    expect(retried.name).toBe("KafkaJSNumberOfRetriesExceeded");
    expect((retried.cause as ours.KafkaJSProtocolError).type).toBe("NOT_ENOUGH_REPLICAS");
    const refused = ours.sendFailure("INVALID_REQUIRED_ACKS", 5);
    expect(refused.name).toBe("KafkaJSNonRetriableError");
    expect((refused.cause as ours.KafkaJSProtocolError).type).toBe("INVALID_REQUIRED_ACKS");
    expect(ours.kafkaJSErrorOf("NETWORK_EXCEPTION").name).toBe("KafkaJSConnectionError");
    expect(ours.kafkaJSErrorOf("DELIVERY_TIMEOUT").name).toBe("KafkaJSRequestTimeoutError");
  });
});

describe("kafkajs's retrier", () => {
  it("waits what kafkajs's retrier waits, given the same random draws, and gives up after as many retries", async () => {
    const opts = { initialRetryTime: 300, factor: 0.2, multiplier: 2, retries: 5, maxRetryTime: 30_000 };
    // kafkajs's, with Math.random from a seeded stream and setTimeout recording its delays.
    const draws = new Rng(7, "retry-test");
    const waits: number[] = [];
    const realRandom = Math.random;
    const realSetTimeout = globalThis.setTimeout;
    Math.random = () => draws.next();
    (globalThis as { setTimeout: unknown }).setTimeout = (fn: () => void, ms: number) => {
      waits.push(ms);
      return realSetTimeout(fn, 0);
    };
    let gaveUp: Record<string, unknown> | undefined;
    try {
      await createRetry(opts)(async () => {
        throw new Error("db down");
      }).catch((e: Record<string, unknown>) => (gaveUp = e));
    } finally {
      Math.random = realRandom;
      globalThis.setTimeout = realSetTimeout;
    }
    // Ours, with the same stream.
    const r = new Retrier(new Rng(7, "retry-test"), opts);
    const ourWaits: number[] = [];
    for (let w = r.failed(); w !== null; w = r.failed()) ourWaits.push(w);
    expect(ourWaits).toEqual(waits);
    expect(ourWaits.length).toBe(5);
    expect(gaveUp?.name).toBe("KafkaJSNumberOfRetriesExceeded");
    expect({ retryCount: r.retryCount, retryTime: r.retryTime }).toEqual({ retryCount: gaveUp?.retryCount, retryTime: gaveUp?.retryTime });
  });
});
