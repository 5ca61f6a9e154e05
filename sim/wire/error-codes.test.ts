import { describe, expect, it } from "vitest";
import { KAFKA_ERRORS, kafkaErrorNumber } from "../kafka/errors.ts";
import { WIRE_ERROR_CODES, errorName, errorNumber, type WireErrorName } from "./error-codes.ts";
import { kafkajsErrorCodes } from "./testkit/kafkajs.ts";

describe("error codes", () => {
  it("the simulator's error names are Kafka's, with the same numbers (DELIVERY_TIMEOUT and METADATA_TIMEOUT are client-side only)", () => {
    for (const name of KAFKA_ERRORS) {
      if (name === "DELIVERY_TIMEOUT" || name === "METADATA_TIMEOUT") continue;
      expect(errorNumber(name as WireErrorName), name).toBe(kafkaErrorNumber(name));
    }
  });

  it("kafkajs reads every number as the error of the same name (all 89 kafkajs knows)", () => {
    // kafkajs still uses the pre-2.x names for these (Errors.java renamed them)
    const renamed: Record<string, WireErrorName> = {
      UNKNOWN: "UNKNOWN_SERVER_ERROR",
      NOT_LEADER_FOR_PARTITION: "NOT_LEADER_OR_FOLLOWER",
      GROUP_COORDINATOR_NOT_AVAILABLE: "COORDINATOR_NOT_AVAILABLE",
      NOT_COORDINATOR_FOR_GROUP: "NOT_COORDINATOR",
      GROUP_LOAD_IN_PROGRESS: "COORDINATOR_LOAD_IN_PROGRESS",
    };
    expect(kafkajsErrorCodes.length).toBe(89);
    for (const { type, code } of kafkajsErrorCodes) {
      const ours = renamed[type] ?? type;
      expect(ours in WIRE_ERROR_CODES, type).toBe(true);
      expect(errorNumber(ours as WireErrorName), type).toBe(code);
    }
  });

  it("numbers Kafka does not define read as UNKNOWN_SERVER_ERROR, as Errors.forCode does", () => {
    expect(errorName(6)).toBe("NOT_LEADER_OR_FOLLOWER");
    expect(errorName(99)).toBe("UNKNOWN_SERVER_ERROR");
    expect(errorName(-1)).toBe("UNKNOWN_SERVER_ERROR");
    expect(Object.keys(WIRE_ERROR_CODES).length).toBe(129);
  });
});
