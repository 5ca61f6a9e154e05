// The ZooKeeper-like store, as a pure data structure (no context, no time source of its own): versioned
// znodes, ephemeral znodes owned by sessions, multi-ops applied all-or-nothing, one-shot watches, and a
// monotonically increasing zxid. The coordinator actor (coordinator.ts) wraps it with messages and timers.
//
// Semantics follow ZooKeeper where kafkasim depends on them (fact 25, 26):
// - every write transaction (a multi with at least one write, a session creation, a session close) gets the
//   next zxid; all creates of one multi share it as their czxid (the broker epoch is that czxid);
// - create needs the parent to exist (NO_NODE) and fails on an existing node (NODE_EXISTS); a sequential create
//   appends the parent's cversion (its count of child creations and deletions) as 10 digits to the name;
//   set/delete/check
//   compare the data version unless it is -1 (BAD_VERSION); delete of a node with children → NOT_EMPTY;
// - a multi's writes are all applied or none; read ops mixed into a multi (get/children) never fail it (they
//   report NO_NODE in their own result) and register their watches only if the multi commits;
// - `get` with watch works like ZooKeeper's exists()+getData(): the watch fires on created/changed/deleted;
//   `children` with watch fires "children" when a child is created or deleted and "deleted" when the node
//   goes; a watch fires once and is then gone; one registration per (path, session).
import type { ZkError, ZkOp, ZkOpResult } from "../kafka/protocol-cluster.ts";
import { baseName, parentPath } from "./paths.ts";

export interface ZNode {
  data: unknown;
  /** Data version: 0 at creation, +1 per set. */
  version: number;
  /** zxid of the transaction that created the node. */
  readonly czxid: number;
  mzxid: number;
  /** 0 for a persistent node, else the owning session's id. */
  readonly ephemeralOwner: number;
  /** Child names in creation order. */
  readonly children: Set<string>;
  /** Child creations and deletions so far (ZooKeeper's cversion: the suffix of a sequential child). */
  cversion: number;
}

export interface ZkSession {
  readonly id: number;
  /** The node that opened the session (watch notifications and expiry notices go there). */
  readonly owner: string;
  readonly timeoutMs: number;
  /** Expires when the clock passes this without a request or ping. */
  deadlineUs: number;
  /** Paths of its ephemeral nodes, in creation order. */
  readonly ephemerals: Set<string>;
  /** Answers to its latest requests by corr: a client that retries a request (its answer was lost) gets the
   *  same answer instead of a second application. Models the idempotent retries Kafka builds on top of
   *  ZooKeeper (KafkaZkClient.checkedEphemeralCreate; ReplicationUtils.checkLeaderAndIsrZkData). */
  readonly recent: Map<number, MultiOutcome>;
  /** Last watch notification number given to this session. */
  watchSeq: number;
  /** Notifications not yet acknowledged by a ping (re-sent until they are: ZooKeeper clients re-register
   *  their watches on reconnect with SetWatches, and the server then fires those that changed meanwhile). */
  readonly outbox: Map<number, { readonly path: string; readonly event: WatchEvent }>;
}

export type WatchEvent = "created" | "deleted" | "changed" | "children";

export interface FiredWatch {
  readonly sessionId: number;
  readonly owner: string;
  readonly path: string;
  readonly event: WatchEvent;
}

export interface MultiOutcome {
  readonly error: ZkError;
  readonly zxid: number;
  readonly results: readonly ZkOpResult[];
}

const RECENT_LIMIT = 32;

export class ZkStore {
  /** Last committed transaction id. */
  zxid = 0;
  nextSessionId = 1;
  readonly nodes = new Map<string, ZNode>();
  readonly sessions = new Map<number, ZkSession>();
  /** path → sessions watching its data (get/exists watches). */
  private readonly dataWatches = new Map<string, Set<number>>();
  /** path → sessions watching its children. */
  private readonly childWatches = new Map<string, Set<number>>();

  constructor() {
    this.nodes.set("/", { data: null, version: 0, czxid: 0, mzxid: 0, ephemeralOwner: 0, children: new Set(), cversion: 0 });
  }

  // ---------- reads for views and tests ----------

  node(path: string): ZNode | undefined {
    return this.nodes.get(path);
  }
  children(path: string): string[] {
    const n = this.nodes.get(path);
    return n === undefined ? [] : [...n.children];
  }
  /** Session owning an ephemeral node, or undefined. */
  ownerOf(path: string): number | undefined {
    const n = this.nodes.get(path);
    return n === undefined || n.ephemeralOwner === 0 ? undefined : n.ephemeralOwner;
  }
  /** A session id that was issued and is gone: requests with it get SESSION_EXPIRED. */
  isExpiredId(id: number): boolean {
    return id > 0 && id < this.nextSessionId && !this.sessions.has(id);
  }
  watchCount(): number {
    let n = 0;
    for (const s of this.dataWatches.values()) n += s.size;
    for (const s of this.childWatches.values()) n += s.size;
    return n;
  }

  // ---------- seeding (what an admin wrote before the run) ----------

  /** Create a persistent node and any missing parents, outside any session (one transaction). */
  seed(path: string, data: unknown): void {
    const zxid = ++this.zxid;
    const parts = path.split("/").filter((s) => s.length > 0);
    let cur = "";
    for (let i = 0; i < parts.length; i++) {
      const parent = cur === "" ? "/" : cur;
      cur = `${cur}/${parts[i] as string}`;
      const last = i === parts.length - 1;
      const existing = this.nodes.get(cur);
      if (existing !== undefined) {
        if (last) {
          existing.data = data;
          existing.version++;
          existing.mzxid = zxid;
        }
        continue;
      }
      this.nodes.set(cur, { data: last ? data : null, version: 0, czxid: zxid, mzxid: zxid, ephemeralOwner: 0, children: new Set(), cversion: 0 });
      const pnode = this.nodes.get(parent) as ZNode;
      pnode.children.add(parts[i] as string);
      pnode.cversion++;
    }
  }

  // ---------- sessions ----------

  createSession(owner: string, timeoutMs: number, nowUs: number): ZkSession {
    this.zxid++; // createSession is a transaction in ZooKeeper
    const s: ZkSession = { id: this.nextSessionId++, owner, timeoutMs, deadlineUs: nowUs + timeoutMs * 1000, ephemerals: new Set(), recent: new Map(), watchSeq: 0, outbox: new Map() };
    this.sessions.set(s.id, s);
    return s;
  }

  /** A request or ping arrived: the session lives another timeout. False if the session is not live. */
  touch(sessionId: number, nowUs: number): boolean {
    const s = this.sessions.get(sessionId);
    if (s === undefined) return false;
    s.deadlineUs = nowUs + s.timeoutMs * 1000;
    return true;
  }

  /** Restart every session's clock (the coordinator restarted or was frozen: ZooKeeper's new leader gives
   *  each session a fresh timeout, SessionTrackerImpl). */
  renewAll(nowUs: number): void {
    for (const s of this.sessions.values()) s.deadlineUs = nowUs + s.timeoutMs * 1000;
  }

  /** Sessions whose deadline has passed, in session-id order. */
  dueSessions(nowUs: number): number[] {
    const out: number[] = [];
    for (const s of this.sessions.values()) if (s.deadlineUs <= nowUs) out.push(s.id);
    return out;
  }

  /** Close a session (expiry or admin): its ephemeral nodes are deleted in one transaction and the watches on
   *  them fire; its own watches are dropped. Returns the watches to deliver (never to the closed session). */
  closeSession(sessionId: number): FiredWatch[] {
    const s = this.sessions.get(sessionId);
    if (s === undefined) return [];
    this.zxid++; // closeSession is one transaction
    const fired: FiredWatch[] = [];
    for (const path of [...s.ephemerals]) this.deleteNode(path, fired);
    this.sessions.delete(sessionId);
    for (const m of [this.dataWatches, this.childWatches]) {
      for (const [path, set] of m) {
        set.delete(sessionId);
        if (set.size === 0) m.delete(path);
      }
    }
    return fired.filter((w) => w.sessionId !== sessionId);
  }

  // ---------- multi-op ----------

  /** Apply a request's ops for a live session, all or nothing. The caller checks the session is live. */
  multi(sessionId: number, corr: number, ops: readonly ZkOp[]): { outcome: MultiOutcome; fired: FiredWatch[]; applied?: boolean } {
    const session = this.sessions.get(sessionId);
    if (session === undefined) return { outcome: { error: "SESSION_EXPIRED", zxid: this.zxid, results: [] }, fired: [] };
    const cached = session.recent.get(corr);
    if (cached !== undefined) return { outcome: cached, fired: [] };

    const txZxid = this.zxid + 1;
    const undo: (() => void)[] = [];
    const fired: FiredWatch[] = [];
    const watchRegs: { map: Map<string, Set<number>>; path: string }[] = [];
    const results: ZkOpResult[] = [];
    let error: ZkError = "NONE";
    let failedAt = -1;
    let wrote = false;

    for (let i = 0; i < ops.length; i++) {
      const op = ops[i] as ZkOp;
      const r = this.applyOp(op, session, txZxid, undo, fired, watchRegs);
      results.push(r);
      if (r.error !== "NONE" && op.op !== "get" && op.op !== "children") {
        error = r.error;
        failedAt = i;
        break;
      }
      if (op.op === "create" || op.op === "set" || op.op === "delete") wrote = true;
    }

    let outcome: MultiOutcome;
    if (failedAt >= 0) {
      for (let i = undo.length - 1; i >= 0; i--) (undo[i] as () => void)();
      // Every op gets an entry; only the failing one carries the error (the others were rolled back or not run).
      const rolled: ZkOpResult[] = ops.map((op, i) => (i === failedAt ? (results[i] as ZkOpResult) : { path: op.path, error: "NONE" }));
      outcome = { error, zxid: this.zxid, results: rolled };
      fired.length = 0;
    } else {
      if (wrote) this.zxid = txZxid;
      for (const w of watchRegs) {
        let set = w.map.get(w.path);
        if (set === undefined) w.map.set(w.path, (set = new Set()));
        set.add(sessionId);
      }
      outcome = { error: "NONE", zxid: this.zxid, results };
    }
    session.recent.set(corr, outcome);
    if (session.recent.size > RECENT_LIMIT) session.recent.delete(session.recent.keys().next().value as number);
    return { outcome, fired, applied: failedAt < 0 };
  }

  private applyOp(
    op: ZkOp,
    session: ZkSession,
    txZxid: number,
    undo: (() => void)[],
    fired: FiredWatch[],
    watchRegs: { map: Map<string, Set<number>>; path: string }[],
  ): ZkOpResult {
    let path = op.path;
    switch (op.op) {
      case "create": {
        const parent = parentPath(path);
        const pnode = this.nodes.get(parent);
        if (op.sequential === true && pnode !== undefined) path = `${path}${String(pnode.cversion).padStart(10, "0")}`;
        if (this.nodes.has(path) || path === "/") return { path, error: "NODE_EXISTS" };
        if (pnode === undefined) return { path, error: "NO_NODE" };
        const name = baseName(path);
        const node: ZNode = { data: op.data, version: 0, czxid: txZxid, mzxid: txZxid, ephemeralOwner: op.ephemeral ? session.id : 0, children: new Set(), cversion: 0 };
        this.nodes.set(path, node);
        pnode.children.add(name);
        pnode.cversion++;
        if (op.ephemeral) session.ephemerals.add(path);
        const created = path;
        undo.push(() => {
          this.nodes.delete(created);
          pnode.children.delete(name);
          pnode.cversion--;
          session.ephemerals.delete(created);
        });
        this.fire(this.dataWatches, path, "created", fired, undo);
        this.fire(this.childWatches, parent, "children", fired, undo);
        return { path, error: "NONE", version: 0, czxid: txZxid };
      }
      case "set": {
        const n = this.nodes.get(path);
        if (n === undefined) return { path, error: "NO_NODE" };
        if (op.version !== -1 && op.version !== n.version) return { path, error: "BAD_VERSION", version: n.version };
        const prev = { data: n.data, version: n.version, mzxid: n.mzxid };
        n.data = op.data;
        n.version++;
        n.mzxid = txZxid;
        undo.push(() => {
          n.data = prev.data;
          n.version = prev.version;
          n.mzxid = prev.mzxid;
        });
        this.fire(this.dataWatches, path, "changed", fired, undo);
        return { path, error: "NONE", version: n.version, czxid: n.czxid };
      }
      case "delete": {
        const n = this.nodes.get(path);
        if (n === undefined || path === "/") return { path, error: "NO_NODE" };
        if (op.version !== -1 && op.version !== n.version) return { path, error: "BAD_VERSION", version: n.version };
        if (n.children.size > 0) return { path, error: "NOT_EMPTY" };
        const parent = parentPath(path);
        const pnode = this.nodes.get(parent) as ZNode;
        const name = baseName(path);
        const owner = n.ephemeralOwner === 0 ? undefined : this.sessions.get(n.ephemeralOwner);
        this.nodes.delete(path);
        pnode.children.delete(name);
        pnode.cversion++;
        owner?.ephemerals.delete(path);
        const deleted = path;
        undo.push(() => {
          this.nodes.set(deleted, n);
          pnode.children.add(name);
          pnode.cversion--;
          owner?.ephemerals.add(deleted);
        });
        this.fire(this.dataWatches, path, "deleted", fired, undo);
        this.fire(this.childWatches, path, "deleted", fired, undo);
        this.fire(this.childWatches, parent, "children", fired, undo);
        return { path, error: "NONE" };
      }
      case "check": {
        const n = this.nodes.get(path);
        if (n === undefined) return { path, error: "NO_NODE" };
        if (op.version !== -1 && op.version !== n.version) return { path, error: "BAD_VERSION", version: n.version };
        return { path, error: "NONE", version: n.version, czxid: n.czxid };
      }
      case "get": {
        const n = this.nodes.get(path);
        if (op.watch) watchRegs.push({ map: this.dataWatches, path });
        if (n === undefined) return { path, error: "NO_NODE" };
        return { path, error: "NONE", data: n.data, version: n.version, czxid: n.czxid };
      }
      case "children": {
        const n = this.nodes.get(path);
        // ZooKeeper's getChildren on a missing node sets no watch.
        if (n === undefined) return { path, error: "NO_NODE" };
        if (op.watch) watchRegs.push({ map: this.childWatches, path });
        return { path, error: "NONE", children: [...n.children], version: n.version, czxid: n.czxid };
      }
    }
  }

  /** Fire (and consume) the watches of one kind on a path; restored if the multi rolls back. */
  private fire(map: Map<string, Set<number>>, path: string, event: WatchEvent, fired: FiredWatch[], undo: (() => void)[] | null): void {
    const set = map.get(path);
    if (set === undefined) return;
    map.delete(path);
    if (undo !== null) undo.push(() => map.set(path, set));
    for (const sid of set) {
      const s = this.sessions.get(sid);
      if (s !== undefined) fired.push({ sessionId: sid, owner: s.owner, path, event });
    }
  }

  /** Delete a node outside a multi (session close). */
  private deleteNode(path: string, fired: FiredWatch[]): void {
    const n = this.nodes.get(path);
    if (n === undefined) return;
    const parent = parentPath(path);
    this.nodes.delete(path);
    const pnode = this.nodes.get(parent);
    if (pnode !== undefined) {
      pnode.children.delete(baseName(path));
      pnode.cversion++;
    }
    if (n.ephemeralOwner !== 0) this.sessions.get(n.ephemeralOwner)?.ephemerals.delete(path);
    this.fire(this.dataWatches, path, "deleted", fired, null);
    this.fire(this.childWatches, path, "deleted", fired, null);
    this.fire(this.childWatches, parent, "children", fired, null);
  }
}
