import { MAX_RATE, MIN_STAGE_S, PlanError, planStages, SCENARIO_NAMES, SCENARIOS } from "../../apps/loadtest/scenarios";

describe("the scenarios as defined", () => {
  test.each(SCENARIO_NAMES)(
    "%s: every stage has a positive rate up to the maximum and a usable length, within its limits",
    (name) => {
      const plan = planStages(name);
      expect(plan.stages.length).toBeGreaterThan(0);
      for (const stage of plan.stages) {
        expect(stage.targetRps).toBeGreaterThan(0);
        expect(stage.targetRps).toBeLessThanOrEqual(MAX_RATE);
        expect(stage.durationS).toBeGreaterThanOrEqual(MIN_STAGE_S);
      }
      expect(plan.maxDurationS).toBeLessThanOrEqual(SCENARIOS[name].limits.maxDurationS);
      expect(plan.maxRequests).toBeLessThanOrEqual(SCENARIOS[name].limits.maxRequests);
      expect(plan.maxRequests).toBe(plan.stages.reduce((n, s) => n + Math.round(s.targetRps * s.durationS), 0));
    },
  );

  test("smoke is tiny: a few requests per second for a few seconds, one stage", () => {
    const { stages, maxDurationS, maxRequests } = planStages("smoke");
    expect(stages).toHaveLength(1);
    expect(stages[0]?.targetRps).toBeLessThanOrEqual(10);
    expect(maxDurationS).toBeLessThanOrEqual(10);
    expect(maxRequests).toBeLessThanOrEqual(100);
  });

  test("average holds the expected rate after a warm-up at half of it", () => {
    expect(planStages("average").stages).toEqual([
      { name: "warm-up", targetRps: 25, durationS: 30 },
      { name: "steady", targetRps: 50, durationS: 300 },
    ]);
  });

  test("spike: a baseline, ten times the baseline, and the baseline again", () => {
    const rates = planStages("spike", { rate: 30 }).stages.map((s) => s.targetRps);
    expect(rates).toEqual([30, 300, 30]);
  });

  test("soak is the longest and samples memory over time; only stress stops on a failing stage", () => {
    const soak = planStages("soak");
    for (const name of SCENARIO_NAMES) expect(soak.maxDurationS).toBeGreaterThanOrEqual(planStages(name).maxDurationS);
    expect(soak.memoryIntervalS).toBeGreaterThan(0);
    expect(SCENARIO_NAMES.filter((name) => planStages(name).stopOnFailure)).toEqual(["stress"]);
  });
});

describe("stage planning with flags", () => {
  test("--duration scales every stage of a fixed scenario in proportion (tenths of a second)", () => {
    // 30 s + 300 s scaled to 60 s: 5.45… and 54.54…
    expect(planStages("average", { durationS: 60 }).stages.map((s) => s.durationS)).toEqual([5.5, 54.5]);
    expect(planStages("smoke", { durationS: 3 }).stages).toEqual([{ name: "smoke", targetRps: 10, durationS: 3 }]);
  });

  test("stress: from --rate by --step up to --max-rate, each stage --duration long", () => {
    const plan = planStages("stress", { rate: 20, step: 20, maxRate: 60, durationS: 2 });
    expect(plan.stages).toEqual([
      { name: "20/s", targetRps: 20, durationS: 2 },
      { name: "40/s", targetRps: 40, durationS: 2 },
      { name: "60/s", targetRps: 60, durationS: 2 },
    ]);
    expect(plan).toMatchObject({ stopOnFailure: true, maxDurationS: 6, maxRequests: 240 });
  });

  test("stress stops short of a top rate the steps do not land on, without drifting (0.1 steps)", () => {
    expect(planStages("stress", { rate: 50, step: 50, maxRate: 175 }).stages.map((s) => s.targetRps)).toEqual([
      50, 100, 150,
    ]);
    expect(planStages("stress", { rate: 0.1, step: 0.1, maxRate: 1 }).stages.map((s) => s.targetRps)).toEqual([
      0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1,
    ]);
  });

  test("a --rate above stress's default top makes a single stage", () => {
    expect(planStages("stress", { rate: 2_000 }).stages.map((s) => s.targetRps)).toEqual([2_000]);
  });

  test.each([
    ["average", { step: 10 }, /--step and --max-rate apply to stress only, not to average/],
    ["spike", { maxRate: 100 }, /apply to stress only/],
    ["stress", { rate: 100, maxRate: 50 }, /--max-rate \(50\) must be at least the start rate \(100\)/],
    ["stress", { step: 0 }, /--step must be positive/],
    ["average", { durationS: 1 }, /stage "warm-up" would last 0.1 s; stages need at least 0.5 s/],
    ["spike", { rate: 1_000 }, /stage "spike" would offer 10000 req\/s; the most is 5000/],
    ["soak", { durationS: 9 * 3_600 }, /soak would run 32400 s; its limit is 28800 s/],
    ["smoke", { rate: 500, durationS: 10 }, /smoke would send up to 5000 requests; its limit is 2000/],
    ["stress", { rate: 10, step: 1, maxRate: 5_000, durationS: 60 }, /stress would run .* s; its limit is 7200 s/],
  ] as const)("%s with %j is refused, saying why", (name, overrides, message) => {
    expect(() => planStages(name, overrides)).toThrow(PlanError);
    expect(() => planStages(name, overrides)).toThrow(message);
  });
});
