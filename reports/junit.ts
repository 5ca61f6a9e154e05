// JUnit XML for CI (`--junit FILE` on run, fuzz, check and compare): one test case per scenario expectation, per
// counterexample, per checked file or per configuration; a failure carries the explanation and the repro line.
import junitModule from "junit-report-builder";
import type { Builder } from "junit-report-builder";

// A CommonJS module: Node hands its module.exports (the builder) to a default import; TypeScript's NodeNext types
// see the transpiled `default` property instead.
const junit = ((junitModule as unknown as { default?: Builder }).default ?? (junitModule as unknown as Builder)) as Builder;

export interface JunitCase {
  /** The group it belongs to (the suite's class name: a command and its subject). */
  readonly className: string;
  readonly name: string;
  /** Null: passed. */
  readonly failure: { readonly message: string; readonly type: string; readonly details: string } | null;
  readonly timeSec?: number;
  /** Text for the CI's log view (the repro line, what was run). */
  readonly stdout?: string;
}

export interface JunitSuite {
  readonly name: string;
  readonly cases: readonly JunitCase[];
  readonly timeSec?: number;
}

/** The XML of a report of one or more suites. */
export function junitXml(suites: readonly JunitSuite[]): string {
  const b = junit.newBuilder();
  for (const s of suites) {
    const suite = b.testSuite().name(s.name);
    if (s.timeSec !== undefined) suite.time(s.timeSec);
    for (const c of s.cases) {
      const tc = suite.testCase().className(c.className).name(c.name);
      if (c.timeSec !== undefined) tc.time(c.timeSec);
      if (c.failure) tc.failure(c.failure.message, c.failure.type).stacktrace(c.failure.details);
      if (c.stdout !== undefined) tc.standardOutput(c.stdout);
    }
  }
  return b.build();
}
