import type { StageResult } from "../../apps/loadtest/result";
import { planStages, runStages, type Stage } from "../../apps/loadtest/scenarios";

/** Runs the plan with a fake measurement that fails every stage at or above `breakAt` req/s. */
async function ran(plan: { stages: Stage[]; stopOnFailure: boolean }, breakAt: number): Promise<number[]> {
  const results = await runStages(
    plan,
    async (stage) =>
      ({ name: stage.name, targetRps: stage.targetRps, passed: stage.targetRps < breakAt }) as StageResult,
  );
  return results.map((r) => r.targetRps);
}

describe("running the stages", () => {
  test("stress stops at the first stage that breaks the thresholds", async () => {
    expect(await ran(planStages("stress", { rate: 100, step: 100, maxRate: 1_000 }), 450)).toEqual([
      100, 200, 300, 400, 500,
    ]);
  });

  test("stress that never breaks runs up to its top rate", async () => {
    expect(await ran(planStages("stress", { rate: 100, step: 100, maxRate: 300 }), 10_000)).toEqual([100, 200, 300]);
  });

  test("other scenarios run every stage even after a failing one", async () => {
    expect(await ran(planStages("spike"), 100)).toEqual([20, 200, 20]);
  });
});
