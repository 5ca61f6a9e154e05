// processing.output (consume-transform-produce): the written form, its defaults and its errors.
import { describe, it, expect } from "vitest";
import { parseScenario } from "./parse.ts";
import { ScenarioError } from "./schema.ts";

const BASE = `seed: 1
topics: [ { name: in, partitions: 1 }, { name: out, partitions: 1 } ]
producers: [ { id: p, topic: in } ]
consumers:
  - group: g
    topic: in
`;

function issuesOf(text: string): readonly { readonly path: string; readonly line?: number; readonly message: string }[] {
  try {
    parseScenario(text, { file: "s.yaml" });
  } catch (e) {
    if (e instanceof ScenarioError) return e.issues;
    throw e;
  }
  return [];
}

describe("processing.output", () => {
  it("a plain output defaults to transactional: false; a transactional one is accepted with its requirements", () => {
    const plain = parseScenario(`${BASE}    processing: { output: { topic: out } }\n`);
    expect(plain.consumers[0]?.processing.output).toEqual({ topic: "out", transactional: false });
    const eos = parseScenario(`${BASE}    config: { enable.auto.commit: false }\n    processing: { commit: after-processing, commitEvery: batch, output: { topic: out, transactional: true } }\n`);
    expect(eos.consumers[0]?.processing.output).toEqual({ topic: "out", transactional: true });
    expect(eos.topics.map((t) => t.name)).toEqual(["in", "out"]);
  });

  it("an unknown key, an unknown topic, an input topic: errors naming the key and its line", () => {
    expect(issuesOf(`${BASE}    processing: { output: { topic: out, exactlyOnce: true } }\n`)).toEqual([expect.objectContaining({ path: "consumers[0].processing.output.exactlyOnce", line: 7, message: "unknown key \"exactlyOnce\" Allowed: topic, transactional" })]);
    expect(issuesOf(`${BASE}    processing: { output: { topic: outt } }\n`)).toEqual([expect.objectContaining({ path: "consumers[0].processing.output.topic", message: expect.stringContaining('unknown topic "outt"; did you mean "out"?') })]);
    expect(issuesOf(`${BASE}    processing: { output: { topic: in } }\n`)).toEqual([expect.objectContaining({ path: "consumers[0].processing.output.topic", message: 'output topic "in" is also an input of group "g"; write to another topic' })]);
  });

  it("a transactional output needs commit: after-processing per batch, auto-commit off, and 0.11+", () => {
    const issues = issuesOf(`${BASE}    processing: { commitEvery: record, output: { topic: out, transactional: true } }\n`);
    expect(issues.map((i) => i.path).sort()).toEqual(["consumers[0].config.enable.auto.commit", "consumers[0].processing.output.transactional"]);
    expect(issues.find((i) => i.path.endsWith("transactional"))?.message).toContain("set processing.commit: after-processing and processing.commitEvery: batch (got commit: after-processing, commitEvery: record)");
    const old = issuesOf(`protocol: "0.10"\n${BASE}    config: { enable.auto.commit: false }\n    processing: { output: { topic: out, transactional: true } }\n`);
    expect(old.map((i) => i.message)).toEqual(["transactions need Kafka 0.11 or later; this scenario runs protocol 0.10"]);
  });
});
