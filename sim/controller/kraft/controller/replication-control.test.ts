import { describe, expect, it } from "vitest";
import { defaultControllerConfig } from "../config.ts";
import { MetadataImage } from "./image.ts";
import { RecordSink, alterPartition, createTopic, handleBrokerFenced, handleBrokerShutdown, handleBrokerUnfenced } from "./replication-control.ts";
import type { AlterPartitionRequest } from "./messages.ts";
import type { MetadataRecord } from "./records.ts";

/** Brokers 1–3 registered at epochs 10, 20, 30 (unfenced), topic t with one partition on all three. */
function image(opts: { elr?: boolean; fenced?: number[]; shuttingDown?: number[]; isr?: number[]; elrMembers?: number[]; leader?: number; minIsr?: number; recovering?: boolean } = {}): MetadataImage {
  const img = new MetadataImage(defaultControllerConfig());
  let o = 0;
  const r = (rec: MetadataRecord): void => img.replay(rec, o++);
  r({ type: "FeatureLevelRecord", name: "eligible.leader.replicas.version", featureLevel: opts.elr === true ? 1 : 0 });
  for (const b of [1, 2, 3]) {
    r({ type: "RegisterBrokerRecord", brokerId: b, incarnationId: `i${b}`, brokerEpoch: b * 10, fenced: false, inControlledShutdown: false });
    if (opts.fenced?.includes(b)) r({ type: "BrokerRegistrationChangeRecord", brokerId: b, brokerEpoch: b * 10, fenced: "FENCE", inControlledShutdown: false });
    if (opts.shuttingDown?.includes(b)) r({ type: "BrokerRegistrationChangeRecord", brokerId: b, brokerEpoch: b * 10, fenced: "NONE", inControlledShutdown: true });
  }
  r({ type: "TopicRecord", name: "t" });
  r({ type: "ConfigRecord", resourceName: "t", name: "min.insync.replicas", value: String(opts.minIsr ?? 2) });
  const isr = opts.isr ?? [1, 2, 3];
  r({ type: "PartitionRecord", topic: "t", partition: 0, replicas: [1, 2, 3], isr, elr: opts.elrMembers ?? [], lastKnownElr: [], leader: opts.leader ?? (isr[0] as number), leaderRecoveryState: opts.recovering === true ? "RECOVERING" : "RECOVERED", leaderEpoch: 4, partitionEpoch: 7 });
  return img;
}

const alter = (p: Partial<AlterPartitionRequest> = {}): AlterPartitionRequest => ({
  type: "kraft-alter-partition",
  corr: 1,
  brokerId: 1,
  brokerEpoch: 10,
  topic: "t",
  partition: 0,
  leaderEpoch: 4,
  partitionEpoch: 7,
  newIsrWithEpochs: [
    { brokerId: 1, brokerEpoch: 10 },
    { brokerId: 2, brokerEpoch: 20 },
  ],
  leaderRecoveryState: "RECOVERED",
  ...p,
});

function applied(img: MetadataImage, sink: RecordSink): MetadataImage {
  sink.records.forEach((r, i) => img.replay(r, 1000 + i));
  return img;
}

describe("AlterPartition: the controller's checks (validateAlterPartitionData)", () => {
  it("accepts a shrink from the current leader at the current epochs: partition epoch + 1, leader epoch kept", () => {
    const img = image();
    const sink = new RecordSink();
    const resp = alterPartition(img, sink, alter());
    expect(resp).toMatchObject({ error: "NONE", leader: 1, leaderEpoch: 4, partitionEpoch: 8, isr: [1, 2] });
    expect(applied(img, sink).partition("t", 0)).toMatchObject({ isr: [1, 2], partitionEpoch: 8 });
  });

  const cases: [string, Partial<AlterPartitionRequest>, ReturnType<typeof image> | undefined, string][] = [
    ["a higher leader epoch: this controller is behind", { leaderEpoch: 5 }, undefined, "NOT_CONTROLLER"],
    ["a higher partition epoch: this controller is behind", { partitionEpoch: 8 }, undefined, "NOT_CONTROLLER"],
    ["a lower leader epoch: a deposed leader", { leaderEpoch: 3 }, undefined, "FENCED_LEADER_EPOCH"],
    ["not from the leader", { brokerId: 2, brokerEpoch: 20 }, undefined, "INVALID_REQUEST"],
    ["a lower partition epoch: the ISR changed since (a zombie's write)", { partitionEpoch: 6 }, undefined, "INVALID_UPDATE_VERSION"],
    ["an ISR without the leader", { newIsrWithEpochs: [{ brokerId: 2, brokerEpoch: 20 }] }, undefined, "INVALID_REQUEST"],
    ["a replica outside the assignment", { newIsrWithEpochs: [{ brokerId: 1, brokerEpoch: 10 }, { brokerId: 4, brokerEpoch: 1 }] }, undefined, "INVALID_REQUEST"],
    ["a fenced replica", {}, image({ fenced: [2] }), "INELIGIBLE_REPLICA"],
    ["a replica in controlled shutdown", {}, image({ shuttingDown: [2] }), "INELIGIBLE_REPLICA"],
    ["a replica of another incarnation (broker epoch)", { newIsrWithEpochs: [{ brokerId: 1, brokerEpoch: 10 }, { brokerId: 2, brokerEpoch: 19 }] }, undefined, "INELIGIBLE_REPLICA"],
    ["RECOVERED back to RECOVERING", { leaderRecoveryState: "RECOVERING", newIsrWithEpochs: [{ brokerId: 1, brokerEpoch: 10 }] }, undefined, "INVALID_REQUEST"],
    ["a recovering leader (KIP-704) growing its ISR", { leaderRecoveryState: "RECOVERING" }, image({ recovering: true, isr: [1] }), "INVALID_REQUEST"],
  ];
  for (const [what, req, img, error] of cases) {
    it(`rejects ${what}: ${error}, and writes nothing`, () => {
      const sink = new RecordSink();
      expect(alterPartition(img ?? image(), sink, alter(req)).error).toBe(error);
      expect(sink.records).toEqual([]);
    });
  }

  it("a recovering leader keeps ISR = [itself] until it reports RECOVERED", () => {
    const one = [{ brokerId: 1, brokerEpoch: 10 }];
    expect(alterPartition(image({ recovering: true, isr: [1] }), new RecordSink(), alter({ leaderRecoveryState: "RECOVERING", newIsrWithEpochs: one })).error).toBe("NONE");
    const img = image({ recovering: true, isr: [1] });
    const sink = new RecordSink();
    expect(alterPartition(img, sink, alter()).error).toBe("NONE");
    expect(applied(img, sink).partition("t", 0)).toMatchObject({ isr: [1, 2], leaderRecoveryState: "RECOVERED" });
  });

  it("a broker epoch of -1 skips the epoch check of that member", () => {
    expect(alterPartition(image(), new RecordSink(), alter({ newIsrWithEpochs: [{ brokerId: 1, brokerEpoch: 10 }, { brokerId: 2, brokerEpoch: -1 }] })).error).toBe("NONE");
  });

  it("with ELR, a shrink below min.insync.replicas puts the leaving replicas in the ELR", () => {
    const img = image({ elr: true, isr: [1, 2] });
    const sink = new RecordSink();
    alterPartition(img, sink, alter({ newIsrWithEpochs: [{ brokerId: 1, brokerEpoch: 10 }] }));
    expect(applied(img, sink).partition("t", 0)).toMatchObject({ isr: [1], elr: [2] });
  });
});

describe("broker fencing, unfencing and shutdown (ReplicationControlManager)", () => {
  it("fencing removes the broker from every ISR and re-elects its partitions' leaders, then fences it", () => {
    const img = image();
    const sink = new RecordSink();
    handleBrokerFenced(img, sink, 1);
    expect(sink.records.map((r) => r.type)).toEqual(["PartitionChangeRecord", "BrokerRegistrationChangeRecord"]);
    expect(applied(img, sink).partition("t", 0)).toMatchObject({ leader: 2, isr: [2, 3], leaderEpoch: 5 });
    expect(img.isActive(1)).toBe(false);
  });

  it("unfencing elects a leader for a leaderless partition it is the ISR of", () => {
    const img = image({ fenced: [1, 2, 3], isr: [1], leader: -1 });
    const sink = new RecordSink();
    handleBrokerUnfenced(img, sink, 1, 10);
    expect(applied(img, sink).partition("t", 0)).toMatchObject({ leader: 1, isr: [1], leaderEpoch: 5 });
  });

  it("with ELR, a broker back from an unclean shutdown leaves the ISR and the ELR; a clean one only the ISR", () => {
    const unclean = image({ elr: true, isr: [1, 2], elrMembers: [3] });
    const s1 = new RecordSink();
    handleBrokerShutdown(unclean, s1, 3, false);
    expect(applied(unclean, s1).partition("t", 0)).toMatchObject({ isr: [1, 2], elr: [] });
    const clean = image({ elr: true, isr: [1, 2], elrMembers: [3] });
    const s2 = new RecordSink();
    handleBrokerShutdown(clean, s2, 3, true);
    expect(s2.records).toEqual([]);
    // Without ELR an unclean restart is handled as a fencing: out of the ISR, which stays non-empty.
    const noElr = image({ isr: [1, 2] });
    const s3 = new RecordSink();
    handleBrokerShutdown(noElr, s3, 2, false);
    expect(applied(noElr, s3).partition("t", 0)).toMatchObject({ isr: [1], elr: [] });
  });
});

describe("CreateTopics", () => {
  it("ISR = the assigned replicas that may lead, leader = the first; all of them fenced is INVALID_REPLICATION_FACTOR", () => {
    const img = image({ fenced: [1] });
    const sink = new RecordSink();
    expect(createTopic(img, sink, { type: "kraft-create-topic", corr: 1, name: "u", assignments: [[1, 2, 3]] })).toBe("NONE");
    expect(applied(img, sink).partition("u", 0)).toMatchObject({ leader: 2, isr: [2, 3], leaderEpoch: 0, partitionEpoch: 0 });
    expect(createTopic(img, new RecordSink(), { type: "kraft-create-topic", corr: 2, name: "v", assignments: [[1]] })).toBe("INVALID_REPLICATION_FACTOR");
    expect(createTopic(img, new RecordSink(), { type: "kraft-create-topic", corr: 3, name: "u", assignments: [[2]] })).toBe("TOPIC_ALREADY_EXISTS");
  });
});
