// The 18-cell matrix in CI: each cell finds only anomaly types the oracle predicts for that cell under the
// faults its runs drew (a small budget; `npx tsx properties/matrix.ts 30` regenerates
// properties/matrix-results.md with more runs per cell). Per run, an anomaly the oracle did not permit for
// that run's faults fails the cell (a bug verdict).
import { describe, it, expect } from "vitest";
import { matrixCells, runCell } from "./matrix.ts";

const RUNS_PER_CELL = 6;

describe("acks × min.insync.replicas × unclean on RF 3", () => {
  for (const c of matrixCells()) {
    it(`acks=${c.acks} min.insync.replicas=${c.minIsr} unclean=${c.unclean ? "on" : "off"}: only what the oracle predicts`, () => {
      const row = runCell(c, RUNS_PER_CELL);
      for (const f of row.found) expect(row.predicted, `${f.type} found but never permitted in this cell`).toContain(f.type);
      expect(row.unexpected, "anomalies the oracle did not permit for the run's faults").toEqual([]);
    });
  }
  it("acks=0 finds lost writes, and acks=all with min ISR 2 loses fewer records than acks=0 (the matrix is not vacuous)", () => {
    const loose = runCell({ acks: 0, minIsr: 2, unclean: false }, RUNS_PER_CELL);
    expect(loose.found.map((f) => f.type)).toContain("lost-write");
    const tight = runCell({ acks: "all", minIsr: 2, unclean: false }, RUNS_PER_CELL);
    const tightLost = tight.found.find((f) => f.type === "lost-write")?.count ?? 0;
    expect(tightLost).toBeLessThan(loose.found.find((f) => f.type === "lost-write")?.count ?? 0);
  });
});
