// The 18-cell matrix in CI: each cell holds or finds only what the oracle predicts for it (a small budget;
// `npx tsx properties/matrix.ts 40` regenerates properties/matrix-results.md with more runs per cell).
import { describe, it, expect } from "vitest";
import { matrixCells, runCell } from "./matrix.ts";

const RUNS_PER_CELL = 6;

describe("acks × min.insync.replicas × unclean on RF 3", () => {
  for (const c of matrixCells()) {
    it(`acks=${c.acks} min.insync.replicas=${c.minIsr} unclean=${c.unclean ? "on" : "off"}: nothing the oracle does not permit`, () => {
      const row = runCell(c, RUNS_PER_CELL);
      expect(row.unexpected).toEqual([]);
      for (const f of row.found) expect(row.predicted).toContain(f.type);
    });
  }
  it("acks=0 cells find lost writes (the matrix is not vacuous)", () => {
    const row = runCell({ acks: 0, minIsr: 2, unclean: false }, RUNS_PER_CELL);
    expect(row.found.map((f) => f.type)).toContain("lost-write");
  });
});
