import { describe, expect, it } from "vitest";
import { insertBySeq } from "./insert-by-seq.ts";

describe("insertBySeq", () => {
  it("keeps ascending seq order, after the items of an equal seq", () => {
    const a = [{ seq: 1, id: "a" }, { seq: 4, id: "b" }, { seq: 4, id: "c" }, { seq: 9, id: "d" }];
    insertBySeq(a, { seq: 4, id: "x" });
    insertBySeq(a, { seq: 0, id: "y" });
    insertBySeq(a, { seq: 10, id: "z" });
    expect(a.map((x) => x.id)).toEqual(["y", "a", "b", "c", "x", "d", "z"]);
  });
});
