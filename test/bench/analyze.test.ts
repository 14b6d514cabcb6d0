import { analyze } from "../../apps/bench/analyze";
import { evaluateGoal, GOALS, goalVerdict } from "../../apps/bench/goals";
import type { MachineInfo } from "../../apps/bench/machine";
import { type BenchOptions, parseOptions } from "../../apps/bench/options";
import type { PhaseName, RunResult, SliceRecord } from "../../apps/bench/run";
import { VARIANT_NAMES, type VariantName } from "../../apps/bench/variants";

const machine: MachineInfo = {
  cpus: 2,
  cpuModel: "test cpu",
  memoryGiB: 4,
  node: "v24.0.0",
  platform: "linux x64",
  kernel: "6.1",
  loadAverageStart: [0.1, 0.2, 0.3],
  loadAverageEnd: [0.4, 0.5, 0.6],
};

function slice(phase: PhaseName, cycle: number, variant: VariantName, fields: Partial<SliceRecord>): SliceRecord {
  return {
    phase,
    cycle,
    variant,
    position: 0,
    startS: 0,
    durationS: 1,
    cpuUs: 0,
    activeCpuUs: 0,
    deferredCpuUs: 0,
    deferredS: 0,
    idleUsPerS: 9_000,
    answered: 100,
    ok: 100,
    errors: 0,
    errorSamples: [],
    logBytes: 0,
    exportBytes: 0,
    exports: 0,
    scraped: false,
    rssBytes: 100 * 2 ** 20,
    ...fields,
  };
}

/** Latencies 1..100 times `scale` µs: p50 = 50 × scale. */
const latencies = (scale: number) => Array.from({ length: 100 }, (_, i) => (i + 1) * scale);

// CPU per request per variant relative to none, and the baseline drifting across cycles (noise)
const CPU_FACTOR: Record<VariantName, number> = {
  none: 1,
  metrics: 1.02,
  "metrics+logs": 1.05,
  "trace-context": 1.08,
  "all-100": 1.26,
  "all-100+logs-10": 1.2,
  "all-10": 1.1,
};
const P50_FACTOR: Record<VariantName, number> = {
  none: 1,
  metrics: 1,
  "metrics+logs": 1,
  "trace-context": 1,
  "all-100": 1.04,
  "all-100+logs-10": 1.04,
  "all-10": 1,
};
const RPS: Record<VariantName, number> = {
  none: 1_000,
  metrics: 990,
  "metrics+logs": 950,
  "trace-context": 920,
  "all-100": 700,
  "all-100+logs-10": 750,
  "all-10": 900,
};
const DRIFT = [1, 1.5, 0.8];

function run(): RunResult {
  const records: SliceRecord[] = [];
  for (const [i, drift] of DRIFT.entries()) {
    const cycle = i + 1;
    for (const v of VARIANT_NAMES) {
      records.push(
        slice("orders", cycle, v, {
          cpuUs: 100 * 1_000 * CPU_FACTOR[v] * drift,
          latencyUs: { "POST /orders": latencies(10 * P50_FACTOR[v] * drift) },
          logBytes: v === "none" || v === "metrics" ? 0 : 30_000,
          exportBytes: v.startsWith("all") ? 50_000 : 0,
          sendLagUs: { p50: 100, max: 900 },
        }),
      );
      records.push(
        slice("saturation", cycle, v, {
          durationS: 2,
          ok: RPS[v] * 2 * drift,
          answered: RPS[v] * 2 * drift,
          cpuUs: RPS[v] * 2 * drift * 800,
        }),
      );
    }
  }
  const scrapes = Object.fromEntries(VARIANT_NAMES.map((v) => [v, 0])) as Record<VariantName, number>;
  return { startedAt: "2025-01-01T00:00:00.000Z", finishedAt: "2025-01-01T00:05:00.000Z", records, scrapes };
}

const options: BenchOptions = { ...parseOptions([]), scenarios: ["orders"], cycles: 3 };

describe("analysis of a run", () => {
  const report = analyze(run(), options, machine);
  const orders = report.fixedRate[0];
  const of = (name: VariantName) => orders?.variants.find((v) => v.variant === name);

  test("each overhead step compares a variant with the one it adds to, per cycle", () => {
    const step = (variant: VariantName, against: VariantName) =>
      report.steps?.find((s) => s.variant === variant && s.against === against)?.cpuPerRequestPct.median;
    // percentages are rounded to one decimal
    expect(step("trace-context", "metrics+logs")).toBeCloseTo((1.08 / 1.05 - 1) * 100, 1);
    expect(step("all-100", "trace-context")).toBeCloseTo((1.26 / 1.08 - 1) * 100, 1);
    expect(step("all-100+logs-10", "all-100")).toBeCloseTo((1.2 / 1.26 - 1) * 100, 1);
    expect(report.steps?.map((s) => s.variant)).toContain("metrics");
  });

  test("CPU per request is the CPU of the window over the requests answered, per cycle", () => {
    expect(of("none")?.cpuPerRequestUs).toEqual({ median: 1_000, min: 800, max: 1_500, n: 3 });
  });

  test("overheads are per cycle against none, so the drifting baseline cancels out", () => {
    expect(of("none")?.vsBaseline).toBeUndefined();
    expect(of("all-100")?.vsBaseline?.cpuPerRequestPct).toEqual({ median: 26, min: 26, max: 26, n: 3 });
    expect(of("metrics")?.vsBaseline?.cpuPerRequestPct.median).toBeCloseTo(2);
    expect(of("all-100")?.vsBaseline?.p50Pct.median).toBeCloseTo(4);
  });

  test("latency percentiles pool every cycle; logs and exports are bytes per request", () => {
    const none = of("none");
    expect(none?.latencyUs["POST /orders"]?.count).toBe(300);
    expect(none?.latencyUs.all?.count).toBe(300);
    expect(none?.logBytesPerRequest).toBe(0);
    expect(of("all-10")?.logBytesPerRequest).toBe(300);
    expect(of("all-10")?.exportBytesPerRequest).toBe(500);
    expect(none?.rssMiB).toBe(100);
    expect(none?.idleCpuMsPerS).toBe(9);
  });

  test("tracing alone is all-100 against metrics+logs", () => {
    expect(report.tracingAlone?.cpuPerRequestPct.median).toBeCloseTo(20);
  });

  test("saturation: throughput lost against none, per cycle", () => {
    const all100 = report.saturation?.variants.find((v) => v.variant === "all-100");
    expect(all100?.requestsPerSecond.median).toBe(700);
    expect(all100?.vsBaseline?.throughputLostPct).toEqual({ median: 30, min: 30, max: 30, n: 3 });
  });

  test("each goal is judged on its median", () => {
    const byId = Object.fromEntries(report.goals.map((g) => [g.id, g]));
    expect(byId.cpu).toMatchObject({ limitPct: 10, met: false });
    expect(byId.p50).toMatchObject({ limitPct: 5, met: true });
    expect(byId.throughput).toMatchObject({ limitPct: 25, met: false });
    expect(byId["tracing-cpu"]).toMatchObject({ limitPct: 5, met: false });
  });

  test("the slices are summarised without their raw latencies", () => {
    expect(report.slices).toHaveLength(VARIANT_NAMES.length * 2 * DRIFT.length); // two phases per cycle
    expect(report.slices[0]).toMatchObject({
      phase: "orders",
      cycle: 1,
      variant: "none",
      p50Us: 500,
      cpuPerRequestUs: 1_000,
    });
    expect(report.slices.some((s) => "latencyUs" in s)).toBe(false);
  });
});

describe("goals", () => {
  const spreadOf = (median: number, min: number, max: number) => ({ median, min, max, n: 5 });

  test("met when the median is within the limit; whether every cycle agrees is told apart", () => {
    expect(evaluateGoal(GOALS.cpu, spreadOf(4, 2, 6))).toMatchObject({ met: true, spreadCrosses: false });
    expect(evaluateGoal(GOALS.cpu, spreadOf(10, 2, 16))).toMatchObject({ met: true, spreadCrosses: true });
    expect(evaluateGoal(GOALS.cpu, spreadOf(12, 9, 16))).toMatchObject({ met: false, spreadCrosses: true });
    expect(evaluateGoal(GOALS.cpu, spreadOf(30, 20, 40))).toMatchObject({ met: false, spreadCrosses: false });
  });

  test("not measured when that part of the run was skipped", () => {
    const result = evaluateGoal(GOALS.throughput, undefined);
    expect(result.met).toBeNull();
    expect(goalVerdict(result)).toBe("not measured");
  });

  test("verdicts", () => {
    expect(goalVerdict(evaluateGoal(GOALS.cpu, spreadOf(4, 2, 6)))).toBe("yes");
    expect(goalVerdict(evaluateGoal(GOALS.cpu, spreadOf(9, 2, 16)))).toBe("yes (not in every cycle)");
    expect(goalVerdict(evaluateGoal(GOALS.cpu, spreadOf(12, 9, 16)))).toBe("no (met in some cycles)");
    expect(goalVerdict(evaluateGoal(GOALS.cpu, spreadOf(30, 20, 40)))).toBe("no");
  });

  test("the goals are the agreed ones", () => {
    expect(Object.values(GOALS).map((g) => [g.id, g.limitPct])).toEqual([
      ["cpu", 10],
      ["p50", 5],
      ["throughput", 25],
      ["tracing-cpu", 5],
    ]);
  });
});
