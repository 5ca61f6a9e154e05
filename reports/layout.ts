// Label layout for the charts: labels never overlap by construction, not by luck. Two placements:
// - placeColumn: labels stacked along one axis (a column beside a lane, a column of leader-line labels), each as
//   near its anchor as the others allow (clusters of colliding labels are centred on their anchors' mean, the
//   isotonic-regression way), all inside [lo, hi]; when they cannot all fit, the lowest priorities are left out.
// - packRows: labels along a time axis, each at its anchor, in as few rows as possible (first fit, highest
//   priority first); what does not fit in maxRows is left out (its symbol keeps a tooltip).

export interface ColumnItem {
  /** Where the label's centre would like to be. */
  readonly want: number;
  /** Its extent along the column. */
  readonly size: number;
  /** Higher is kept first when not everything fits (default 0). */
  readonly priority?: number;
}

/** Centres along the column, one per item (null: left out for want of room). */
export function placeColumn(items: readonly ColumnItem[], lo: number, hi: number, gap = 2): (number | null)[] {
  const out: (number | null)[] = items.map(() => null);
  // Keep the highest priorities (then the earliest) that fit.
  const byPriority = items.map((it, i) => ({ it, i })).sort((a, b) => (b.it.priority ?? 0) - (a.it.priority ?? 0) || a.i - b.i);
  let used = 0;
  const kept: number[] = [];
  for (const { it, i } of byPriority) {
    const need = it.size + (kept.length > 0 ? gap : 0);
    if (used + need > hi - lo) continue;
    used += need;
    kept.push(i);
  }
  kept.sort((a, b) => items[a]!.want - items[b]!.want || a - b);
  // Blocks of touching labels, each placed at the mean of what its labels want, then clamped.
  interface Block {
    members: number[];
    /** Sum over members of (want − offset of the member's centre from the block's start). */
    wantSum: number;
    size: number;
    start: number;
  }
  const blocks: Block[] = [];
  const clamp = (b: Block): void => {
    b.start = Math.min(Math.max(b.wantSum / b.members.length, lo), hi - b.size);
  };
  for (const i of kept) {
    const it = items[i]!;
    const b: Block = { members: [i], wantSum: it.want - it.size / 2, size: it.size, start: 0 };
    clamp(b);
    blocks.push(b);
    while (blocks.length >= 2) {
      const cur = blocks[blocks.length - 1]!;
      const prev = blocks[blocks.length - 2]!;
      if (prev.start + prev.size + gap <= cur.start + 1e-9) break;
      // Merge: cur's members sit after prev's, shifted by prev.size + gap.
      const shift = prev.size + gap;
      const merged: Block = { members: [...prev.members, ...cur.members], wantSum: prev.wantSum + cur.wantSum - shift * cur.members.length, size: prev.size + gap + cur.size, start: 0 };
      clamp(merged);
      blocks.splice(blocks.length - 2, 2, merged);
    }
  }
  for (const b of blocks) {
    let at = b.start;
    for (const i of b.members) {
      const size = items[i]!.size;
      out[i] = at + size / 2;
      at += size + gap;
    }
  }
  return out;
}

export interface RowItem {
  /** The label's extent along the axis. */
  readonly x0: number;
  readonly x1: number;
  readonly priority?: number;
}

/** Row of each item (0 = nearest the axis), or null when it fits in none of maxRows rows. */
export function packRows(items: readonly RowItem[], maxRows: number, gap = 4): (number | null)[] {
  const rows: { x0: number; x1: number }[][] = [];
  const out: (number | null)[] = items.map(() => null);
  const order = items.map((it, i) => ({ it, i })).sort((a, b) => (b.it.priority ?? 0) - (a.it.priority ?? 0) || a.it.x0 - b.it.x0 || a.i - b.i);
  for (const { it, i } of order) {
    let placed = false;
    for (let r = 0; r < rows.length && !placed; r++) {
      const row = rows[r]!;
      if (row.every((o) => it.x1 + gap <= o.x0 || o.x1 + gap <= it.x0)) {
        row.push({ x0: it.x0, x1: it.x1 });
        out[i] = r;
        placed = true;
      }
    }
    if (!placed && rows.length < maxRows) {
      rows.push([{ x0: it.x0, x1: it.x1 }]);
      out[i] = rows.length - 1;
    }
  }
  return out;
}

/** Rows used by a packRows result. */
export function rowsUsed(rows: readonly (number | null)[]): number {
  return rows.reduce<number>((m, r) => (r === null ? m : Math.max(m, r + 1)), 0);
}

/** Groups of points closer than `radius` to one another (single linkage), each group's indices in input order. */
export function clusterPoints(points: readonly { readonly x: number; readonly y: number }[], radius: number): number[][] {
  const parent = points.map((_, i) => i);
  const find = (i: number): number => {
    while (parent[i] !== i) i = parent[i] = parent[parent[i]!]!;
    return i;
  };
  for (let i = 0; i < points.length; i++) {
    for (let j = i + 1; j < points.length; j++) {
      const a = points[i]!;
      const b = points[j]!;
      if (Math.hypot(a.x - b.x, a.y - b.y) < radius) parent[find(j)] = find(i);
    }
  }
  const groups = new Map<number, number[]>();
  points.forEach((_, i) => {
    const r = find(i);
    const g = groups.get(r);
    if (g) g.push(i);
    else groups.set(r, [i]);
  });
  return [...groups.values()];
}
