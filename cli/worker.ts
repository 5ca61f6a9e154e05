// A worker thread (tinypool) of the commands that run many independent runs: a fuzz campaign's run index, or one
// configuration-on-a-seed of a comparison. Each task is a pure function of its data, so results do not depend on
// which thread computed them.
import { campaignRun } from "../properties/campaign.ts";
import type { CampaignSpec, RunRecord } from "../properties/campaign.ts";
import { compareJob } from "../reports/compare.ts";
import type { CompareJob, CompareJobResult, Matrix } from "../reports/compare.ts";
import { runScenario } from "../sim/world.ts";
import { judge } from "../properties/judge.ts";
import type { ProbeId } from "../properties/coverage.ts";

export type WorkerTask = { readonly kind: "campaign"; readonly spec: CampaignSpec; readonly index: number; readonly aim?: readonly ProbeId[] } | { readonly kind: "compare"; readonly matrix: Matrix; readonly job: CompareJob };

export type WorkerResult<T extends WorkerTask> = T extends { kind: "campaign" } ? RunRecord : CompareJobResult;

export default function run(task: WorkerTask): RunRecord | CompareJobResult {
  switch (task.kind) {
    case "campaign":
      return campaignRun(task.spec, task.index, task.aim);
    case "compare":
      return compareJob(task.matrix, task.job, runScenario, judge);
  }
}
