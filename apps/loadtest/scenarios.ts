/**
 * The load-test scenarios as code, in the spirit of k6's stages: each a list of stages (an arrival
 * rate held for a duration), bounded in time and in requests. `stress` is a stepwise ramp whose end
 * is decided while it runs: it stops at the first stage that breaks the thresholds, or at its top rate.
 */

export const SCENARIO_NAMES = ["smoke", "average", "stress", "spike", "soak"] as const;
export type ScenarioName = (typeof SCENARIO_NAMES)[number];

export interface Stage {
  name: string;
  /** Offered arrival rate, requests per second. */
  targetRps: number;
  durationS: number;
}

/** No scenario may run longer or send more than its limits, whatever the flags say. */
export interface Limits {
  maxDurationS: number;
  maxRequests: number;
}

interface FixedScenario {
  kind: "fixed";
  description: string;
  /** The rate --rate replaces; each stage runs at a multiple of it. */
  rate: number;
  stages: { name: string; rateFactor: number; durationS: number }[];
  /** Memory of the services sampled this often, besides every stage boundary (0: boundaries only). */
  memoryIntervalS: number;
  limits: Limits;
}

interface StressScenario {
  kind: "stress";
  description: string;
  /** First stage's rate (--rate), the increase per stage (--step), the last rate tried (--max-rate). */
  rate: number;
  step: number;
  maxRate: number;
  /** Each stage's length (--duration). */
  stageS: number;
  memoryIntervalS: number;
  limits: Limits;
}

export type Scenario = FixedScenario | StressScenario;

/** Highest arrival rate any scenario may offer: far beyond one machine, well short of a flood. */
export const MAX_RATE = 5_000;
/** Shortest stage: a shorter one would measure little but its own start and drain. */
export const MIN_STAGE_S = 0.5;

export const SCENARIOS: Record<ScenarioName, Scenario> = {
  smoke: {
    kind: "fixed",
    description: "a few requests per second for a few seconds: the whole path works and is measured",
    rate: 10,
    stages: [{ name: "smoke", rateFactor: 1, durationS: 5 }],
    memoryIntervalS: 0,
    limits: { maxDurationS: 60, maxRequests: 2_000 },
  },
  average: {
    kind: "fixed",
    description: "the expected load, held: half of it to warm up, then all of it",
    rate: 50,
    stages: [
      { name: "warm-up", rateFactor: 0.5, durationS: 30 },
      { name: "steady", rateFactor: 1, durationS: 300 },
    ],
    memoryIntervalS: 30,
    limits: { maxDurationS: 2 * 3_600, maxRequests: 2_000_000 },
  },
  stress: {
    kind: "stress",
    description: "a stepwise ramp until the latency objective or the error budget breaks (the knee), or the top rate",
    rate: 50,
    step: 50,
    maxRate: 1_500,
    stageS: 30,
    memoryIntervalS: 30,
    limits: { maxDurationS: 2 * 3_600, maxRequests: 5_000_000 },
  },
  spike: {
    kind: "fixed",
    description: "a baseline, a sudden jump to ten times it, and back: does it absorb the spike and recover?",
    rate: 20,
    stages: [
      { name: "baseline", rateFactor: 1, durationS: 30 },
      { name: "spike", rateFactor: 10, durationS: 30 },
      { name: "recovery", rateFactor: 1, durationS: 30 },
    ],
    memoryIntervalS: 10,
    limits: { maxDurationS: 3_600, maxRequests: 2_000_000 },
  },
  soak: {
    kind: "fixed",
    description: "the expected load for a long time, with the services' memory over time (leaks, growth)",
    rate: 50,
    stages: [
      { name: "warm-up", rateFactor: 0.5, durationS: 60 },
      { name: "soak", rateFactor: 1, durationS: 3_600 },
    ],
    memoryIntervalS: 30,
    limits: { maxDurationS: 8 * 3_600, maxRequests: 10_000_000 },
  },
};

/** What the flags change in a scenario; unset keeps its default. */
export interface ScenarioOverrides {
  rate?: number;
  /** Fixed scenarios: the whole run, stages scaled in proportion. Stress: each stage. */
  durationS?: number;
  step?: number;
  maxRate?: number;
}

export class PlanError extends Error {}

const round1 = (n: number) => Math.round(n * 10) / 10;
const round3 = (n: number) => Math.round(n * 1_000) / 1_000;

export interface StagePlan {
  /** Fixed scenarios: every stage. Stress: every stage it may run, the last at its top rate. */
  stages: Stage[];
  /** Stress: stop at the first stage that fails its thresholds. */
  stopOnFailure: boolean;
  memoryIntervalS: number;
  /** The most the run can take and send (stress: if it never breaks). */
  maxDurationS: number;
  maxRequests: number;
}

/** The stages a scenario runs with the given flags, checked against its limits; throws PlanError. */
export function planStages(name: ScenarioName, overrides: ScenarioOverrides = {}): StagePlan {
  const scenario = SCENARIOS[name];
  let stages: Stage[];
  if (scenario.kind === "fixed") {
    if (overrides.step !== undefined || overrides.maxRate !== undefined) {
      throw new PlanError(`--step and --max-rate apply to stress only, not to ${name}`);
    }
    const rate = overrides.rate ?? scenario.rate;
    const plannedS = scenario.stages.reduce((sum, s) => sum + s.durationS, 0);
    const scale = (overrides.durationS ?? plannedS) / plannedS;
    stages = scenario.stages.map((s) => ({
      name: s.name,
      targetRps: round3(rate * s.rateFactor),
      durationS: round1(s.durationS * scale),
    }));
  } else {
    const start = overrides.rate ?? scenario.rate;
    const step = overrides.step ?? scenario.step;
    const maxRate = overrides.maxRate ?? Math.max(scenario.maxRate, start);
    if (!(step > 0)) throw new PlanError(`--step must be positive, got ${step}`);
    if (maxRate < start) throw new PlanError(`--max-rate (${maxRate}) must be at least the start rate (${start})`);
    const stageS = round1(overrides.durationS ?? scenario.stageS);
    stages = [];
    for (let i = 0; start + i * step <= maxRate + 1e-9; i++) {
      const rate = round3(start + i * step);
      stages.push({ name: `${rate}/s`, targetRps: rate, durationS: stageS });
    }
  }
  const tooShort = stages.find((s) => s.durationS < MIN_STAGE_S);
  if (tooShort) {
    throw new PlanError(
      `stage "${tooShort.name}" would last ${tooShort.durationS} s; stages need at least ${MIN_STAGE_S} s (raise --duration)`,
    );
  }
  const tooFast = stages.find((s) => s.targetRps > MAX_RATE);
  if (tooFast) {
    throw new PlanError(
      `stage "${tooFast.name}" would offer ${tooFast.targetRps} req/s; the most is ${MAX_RATE} req/s`,
    );
  }
  const maxDurationS = round1(stages.reduce((sum, s) => sum + s.durationS, 0));
  const maxRequests = stages.reduce((sum, s) => sum + Math.max(1, Math.round(s.targetRps * s.durationS)), 0);
  const { limits } = scenario;
  if (maxDurationS > limits.maxDurationS) {
    throw new PlanError(
      `${name} would run ${maxDurationS} s; its limit is ${limits.maxDurationS} s (lower --duration)`,
    );
  }
  if (maxRequests > limits.maxRequests) {
    throw new PlanError(
      `${name} would send up to ${maxRequests} requests; its limit is ${limits.maxRequests} (lower --rate or --duration)`,
    );
  }
  return {
    stages,
    stopOnFailure: scenario.kind === "stress",
    memoryIntervalS: scenario.memoryIntervalS,
    maxDurationS,
    maxRequests,
  };
}

/** Stages until the first failure (stress) or all of them; `runOne` measures and judges one stage. */
export async function runStages<R extends { passed: boolean }>(
  plan: Pick<StagePlan, "stages" | "stopOnFailure">,
  runOne: (stage: Stage, index: number) => Promise<R>,
): Promise<R[]> {
  const results: R[] = [];
  for (const [index, stage] of plan.stages.entries()) {
    const result = await runOne(stage, index);
    results.push(result);
    if (plan.stopOnFailure && !result.passed) break;
  }
  return results;
}
