// KIP-227 fetch sessions (fact 14a): the leader's FetchSessionCache, the follower's FetchSessionHandler, and a
// cluster whose followers fetch through them.
import { afterEach, describe, expect, it, vi } from "vitest";
import type { FetchPartition, FetchRequest, FetchResponse, Message } from "../../kafka/protocol.ts";
import type { NodeId } from "../../core/ids.ts";
import { brokerNode } from "../../core/ids.ts";
import { Kit } from "../testkit.ts";
import { Broker } from "../broker.ts";
import { FetchSessionCache } from "./leader-sessions.ts";
import { FollowerFetchSession, SessionSlot } from "./follower-session.ts";
import type { SessionMember } from "./follower-session.ts";

const fp = (topic: string, partition: number, fetchOffset: number): FetchPartition => ({ topic, partition, fetchOffset, currentLeaderEpoch: 0, lastFetchedEpoch: 0 });
const req = (replicaId: number, id: number, epoch: number, partitions: FetchPartition[], forgotten: { topic: string; partition: number }[] = []): FetchRequest => ({
  type: "fetch",
  corr: 1,
  replicaId,
  brokerEpoch: 1,
  maxWaitMs: 500,
  partitions,
  session: { id, epoch, forgotten },
});

describe("the leader's sessions (FetchManager.newContext, FetchSession.update)", () => {
  it("a full fetch opens a session; incremental ones must carry its next epoch and update it", () => {
    const c = new FetchSessionCache(1000);
    const full = c.open(req(2, 0, 0, [fp("t", 0, 5), fp("t", 1, 7)]));
    if (full === null || typeof full === "string") throw new Error("no session");
    expect(full.full).toBe(true);
    const s = full.session;
    expect(s.entries.map((e) => `${e.topic}-${e.partition}@${e.fetchOffset}`)).toEqual(["t-0@5", "t-1@7"]);
    // Epoch 1 next: an update of t-0, a new partition, t-1 forgotten.
    const inc = c.open(req(2, s.id, 1, [fp("t", 0, 9), fp("u", 0, 0)], [{ topic: "t", partition: 1 }]));
    expect(inc).toEqual({ session: s, full: false });
    expect(s.entries.map((e) => `${e.topic}-${e.partition}@${e.fetchOffset}`)).toEqual(["t-0@9", "u-0@0"]);
    expect(s.epoch).toBe(2);
    expect(c.open(req(2, s.id, 1, []))).toBe("INVALID_FETCH_SESSION_EPOCH");
    expect(c.open(req(2, s.id + 1, 2, []))).toBe("FETCH_SESSION_ID_NOT_FOUND");
  });

  it("a session is one fetcher's: another replica cannot use or close it", () => {
    const c = new FetchSessionCache(1000);
    const a = c.open(req(3, 0, 0, [fp("t", 0, 0)]));
    if (a === null || typeof a === "string") throw new Error("no session");
    // Replica 1 names id 1 (kept from this broker's previous run, whose counter also started at 1).
    expect(c.open(req(1, a.session.id, 1, []))).toBe("FETCH_SESSION_ID_NOT_FOUND");
    const b = c.open(req(1, a.session.id, 0, [fp("t", 0, 0)]));
    if (b === null || typeof b === "string") throw new Error("no session");
    expect(a.session.open).toBe(true);
    expect(c.size).toBe(2);
    expect(c.open(req(3, a.session.id, 1, []))).toEqual({ session: a.session, full: false });
  });

  it("with no slot free (max.incremental.fetch.session.cache.slots) a full fetch gets no session", () => {
    const c = new FetchSessionCache(0);
    expect(c.open(req(2, 0, 0, [fp("t", 0, 0)]))).toBeNull();
    const { session: _session, ...sessionless } = req(2, 0, 0, []);
    expect(c.open(sessionless)).toBeNull();
  });
});

class Member implements SessionMember {
  readonly sessionSlot = new SessionSlot();
  fetchEntry: FetchPartition;
  constructor(
    readonly topic: string,
    readonly partition: number,
  ) {
    this.fetchEntry = fp(topic, partition, 0);
  }
  moveTo(offset: number): void {
    this.fetchEntry = fp(this.topic, this.partition, offset);
  }
}

/** One incremental build over `ready`: the partitions named and the session fields. */
function build(s: FollowerFetchSession, ready: Member[]): { names: string[]; forgotten: string[] } {
  s.begin();
  const names = ready.filter((m) => s.offer(m, m.fetchEntry)).map((m) => `${m.topic}-${m.partition}@${m.fetchEntry.fetchOffset}`);
  return { names, forgotten: s.finish().forgotten.map((f) => `${f.topic}-${f.partition}`) };
}

describe("the follower's session (FetchSessionHandler)", () => {
  it("names only what changed, forgets what it stopped fetching, and starts over after an error", () => {
    let stamp = 0;
    const s = new FollowerFetchSession(() => ++stamp);
    const [a, b, c] = [new Member("t", 0), new Member("t", 1), new Member("t", 2)] as [Member, Member, Member];
    expect(s.full([a, b], 2)).toEqual({ id: 0, epoch: 0, forgotten: [] });
    expect(s.handleResponse({ type: "fetch-response", corr: 1, partitions: [], sessionId: 7 })).toBe(true);
    expect([s.id, s.epoch]).toEqual([7, 1]);
    expect(build(s, [a, b])).toEqual({ names: [], forgotten: [] });
    a.moveTo(3);
    expect(build(s, [a, b, c])).toEqual({ names: ["t-0@3", "t-2@0"], forgotten: [] });
    expect(build(s, [a, c])).toEqual({ names: [], forgotten: ["t-1"] });
    expect(s.members.map((m) => m.partition)).toEqual([0, 2]);
    s.handleResponse({ type: "fetch-response", corr: 2, partitions: [], sessionId: 7 });
    expect(s.epoch).toBe(2);
    // INVALID_FETCH_SESSION_EPOCH: close this session and open a new one (same id, epoch 0).
    expect(s.handleResponse({ type: "fetch-response", corr: 3, partitions: [], sessionId: 0, error: "INVALID_FETCH_SESSION_EPOCH" })).toBe(false);
    expect([s.id, s.epoch]).toEqual([7, 0]);
    // FETCH_SESSION_ID_NOT_FOUND: a new session from scratch.
    s.handleResponse({ type: "fetch-response", corr: 4, partitions: [], sessionId: 0, error: "FETCH_SESSION_ID_NOT_FOUND" });
    expect([s.id, s.epoch]).toEqual([0, 0]);
    // A failed request (timeout, broken connection): the next fetch closes the session.
    s.full([a], 1);
    s.handleResponse({ type: "fetch-response", corr: 5, partitions: [], sessionId: 8 });
    s.handleError();
    expect([s.id, s.epoch]).toEqual([8, 0]);
  });

  it("a partition that left for another leader's session and came back is listed once, in its first place", () => {
    let stamp = 0;
    const s1 = new FollowerFetchSession(() => ++stamp);
    const s2 = new FollowerFetchSession(() => ++stamp);
    const [a, b] = [new Member("t", 0), new Member("t", 1)] as [Member, Member];
    s1.full([a, b], 2);
    s1.handleResponse({ type: "fetch-response", corr: 1, partitions: [], sessionId: 1 });
    s2.full([a], 1);
    s2.handleResponse({ type: "fetch-response", corr: 1, partitions: [], sessionId: 1 });
    // Back before s1 built again: the leader's session still holds it, in its old place.
    expect(build(s1, [a, b])).toEqual({ names: ["t-0@0"], forgotten: [] });
    expect(s1.members.map((m) => m.partition)).toEqual([0, 1]);
  });
});

describe("followers fetching through sessions", () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  /** The fetches broker 1 receives from broker 2, and its answers to them. */
  function spyFetches(): { requests: FetchRequest[]; responses: FetchResponse[] } {
    const requests: FetchRequest[] = [];
    const responses: FetchResponse[] = [];
    const onMessage = Broker.prototype.onMessage;
    vi.spyOn(Broker.prototype, "onMessage").mockImplementation(function (this: Broker, ctx, from: NodeId, msg: Message) {
      if (this.brokerId === 1 && from === brokerNode(2) && msg.type === "fetch") requests.push(msg);
      if (this.brokerId === 2 && from === brokerNode(1) && msg.type === "fetch-response") responses.push(msg);
      return onMessage.call(this, ctx, from, msg);
    });
    return { requests, responses };
  }

  const topics = [
    { name: "t", partitions: 1 },
    { name: "idle", partitions: 12 },
  ];

  it("an idle follower's fetch names nothing, and answers carry only the partitions with news", () => {
    const { requests, responses } = spyFetches();
    const k = new Kit({ topics, protocol: "3.7" }).start(2000);
    expect(requests[0]?.session).toEqual({ id: expect.any(Number) as number, epoch: 0, forgotten: [] });
    // t-0 and the idle partitions broker 1 leads joined the session as broker 2 learnt of them.
    const joined = new Set(requests.flatMap((r) => r.partitions.map((p) => `${p.topic}-${p.partition}`)));
    expect(joined.size).toBeGreaterThan(4);
    const before = requests.length;
    const answered = responses.length;
    k.produce(1, [1, 2, 3], { acks: -1 });
    k.run(2000);
    const later = requests.slice(before);
    // The fetch after the records names t-0 alone (its offset moved); the others name nothing.
    expect(later.map((r) => r.partitions.map((p) => `${p.topic}-${p.partition}@${p.fetchOffset}`).join(",")).filter((x) => x !== "")).toEqual(["t-0@3"]);
    // Answers: t-0's records, then t-0's HW; nothing about the idle partitions.
    const named = responses.slice(answered).flatMap((r) => r.partitions.map((p) => `${p.topic}-${p.partition}`));
    expect(new Set(named)).toEqual(new Set(["t-0"]));
    expect(k.part(2, "t", 0).hw).toBe(3);
    expect(k.values(2, "t", 0)).toEqual([1, 2, 3]);
  });

  it("max.incremental.fetch.session.cache.slots=0: every fetch is a full one", () => {
    const { requests } = spyFetches();
    const k = new Kit({ topics, protocol: "3.7", broker: { "max.incremental.fetch.session.cache.slots": 0 } }).start(2000);
    k.produce(1, [1], { acks: -1 });
    k.run(1000);
    // Once broker 2 follows all it should (the first fetches go out as leader-and-isr arrives), every fetch names all.
    const sizes = new Set(requests.slice(-5).map((r) => r.partitions.length));
    expect(sizes).toEqual(new Set([Math.max(...requests.map((r) => r.partitions.length))]));
    expect(requests.length).toBeGreaterThan(5);
    expect(requests.every((r) => r.session?.epoch === 0 && r.session.id === 0)).toBe(true);
    expect(k.part(2, "t", 0).hw).toBe(1);
  });

  it("before 1.1 (profile 0.11) fetches carry no session", () => {
    const { requests } = spyFetches();
    new Kit({ topics, protocol: "0.11" }).start(2000);
    expect(requests.length).toBeGreaterThan(2);
    expect(requests.every((r) => r.session === undefined)).toBe(true);
  });

  it("a restarted leader has no sessions: its followers open new ones and replication goes on", () => {
    const { requests } = spyFetches();
    const k = new Kit({ topics, protocol: "3.7", broker: { "replica.socket.timeout.ms": 1000 } }).start(2000);
    const opened = requests.filter((r) => r.session?.epoch === 0).length;
    k.kill(1);
    k.run(100);
    k.restart(1);
    k.ctl.restartBroker(1); // broker 1 leads its partitions again, at the same leader epoch
    k.run(3000);
    expect(requests.filter((r) => r.session?.epoch === 0).length).toBeGreaterThan(opened);
    expect(requests.at(-1)?.session?.epoch).toBeGreaterThan(0);
    k.produce(1, [4, 5], { acks: 1 });
    k.run(2000);
    expect(k.values(2, "t", 0)).toEqual([4, 5]);
  });
});
