import { createRequire } from "node:module";
import { describe, expect, it } from "vitest";
import { decodeAssignment, decodeSubscription, encodeAssignment, encodeSubscription } from "./consumer-protocol.ts";

const require = createRequire(import.meta.url);
const { MemberMetadata, MemberAssignment } = require("kafkajs/src/consumer/assignerProtocol.js") as {
  MemberMetadata: { encode(o: { version: number; topics: string[]; userData?: Buffer }): Buffer; decode(b: Buffer): { version: number; topics: string[] } };
  MemberAssignment: { encode(o: { version: number; assignment: Record<string, number[]>; userData?: Buffer }): Buffer; decode(b: Buffer): { version: number; assignment: Record<string, number[]> } | null };
};

describe("the consumer protocol (subscription and assignment bytes)", () => {
  it("reads kafkajs's subscriptions (MemberMetadata), with and without user data", () => {
    const bytes = MemberMetadata.encode({ version: 1, topics: ["orders", "payments"], userData: Buffer.from("hello") });
    expect(decodeSubscription(bytes)).toEqual({ ok: true, value: { version: 1, topics: ["orders", "payments"] } });
    expect(decodeSubscription(MemberMetadata.encode({ version: 0, topics: [] }))).toEqual({ ok: true, value: { version: 0, topics: [] } });
  });

  it("reads kafkajs's assignments (MemberAssignment); empty bytes are the empty assignment", () => {
    const bytes = MemberAssignment.encode({ version: 0, assignment: { orders: [0, 2, 4], payments: [1] } });
    expect(decodeAssignment(bytes)).toEqual({
      ok: true,
      value: {
        version: 0,
        partitions: [
          { topic: "orders", partitions: [0, 2, 4] },
          { topic: "payments", partitions: [1] },
        ],
      },
    });
    expect(decodeAssignment(new Uint8Array(0))).toEqual({ ok: true, value: { version: 0, partitions: [] } });
  });

  it("kafkajs reads what we encode", () => {
    expect(MemberMetadata.decode(encodeSubscription(["a", "b"]))).toMatchObject({ version: 0, topics: ["a", "b"] });
    expect(MemberAssignment.decode(encodeAssignment([{ topic: "a", partitions: [3, 1] }]))).toMatchObject({ version: 0, assignment: { a: [3, 1] } });
  });

  it("truncated or hostile bytes are errors as data", () => {
    const bytes = MemberAssignment.encode({ version: 0, assignment: { orders: [0, 2, 4] } });
    for (let n = 1; n < bytes.length - 4; n++) expect(decodeAssignment(bytes.subarray(0, n)).ok, `cut at ${n}`).toBe(false);
    const hostile = Buffer.from([0, 0, 0x7f, 0xff, 0xff, 0xff]);
    const r = decodeSubscription(hostile);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.kind).toBe("truncated"); // a count of 2^31 - 1 topics cannot fit in 2 bytes: refused before anything is sized from it
  });
});
