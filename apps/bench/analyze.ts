import { evaluateGoal, GOALS, type GoalResult } from "./goals";
import type { MachineInfo } from "./machine";
import type { BenchOptions } from "./options";
import type { ProfileReport } from "./profile-run";
import type { PhaseName, RunResult, SliceRecord } from "./run";
import { ENDPOINTS, type Endpoint, SCENARIOS, type ScenarioName } from "./schedule";
import type { SpanCost } from "./span-cost";
import {
  changePct,
  lossPct,
  median,
  overheadPerCycle,
  type Percentiles,
  percentiles,
  type Spread,
  spread,
} from "./stats";
import { BASELINE, VARIANTS, type VariantName } from "./variants";

/** Latency of every request of a scenario together, whatever the endpoint. */
export type LatencyKey = Endpoint | "all";

export interface VsBaseline {
  cpuPerRequestPct: Spread;
  p50Pct: Spread;
  p99Pct: Spread;
}

export interface FixedRateVariant {
  variant: VariantName;
  answered: number;
  errors: number;
  /** CPU of the three processes per answered request, µs, per cycle. */
  cpuPerRequestUs: Spread;
  /** Over all cycles together, µs from the scheduled send time. */
  latencyUs: Partial<Record<LatencyKey, Percentiles>>;
  /** Per-cycle percentiles of the scenario's headline latency, µs. */
  headlineP50Us: Spread;
  headlineP99Us: Spread;
  logBytesPerRequest: number;
  exportBytesPerRequest: number;
  /** Resident memory of the three processes at the end, MiB. */
  rssMiB: number;
  /** Background CPU of the three processes without load, ms per second. */
  idleCpuMsPerS: number;
  sendLagUs: { p50: number; max: number };
  vsBaseline?: VsBaseline;
}

export interface FixedRateScenario {
  scenario: ScenarioName;
  description: string;
  /** The latency the per-cycle comparison uses: POST /orders alone, or every request of the mix. */
  headline: LatencyKey;
  rate: number;
  variants: FixedRateVariant[];
}

export interface SaturationVariant {
  variant: VariantName;
  ok: number;
  errors: number;
  requestsPerSecond: Spread;
  cpuPerRequestUs: Spread;
  idleCpuMsPerS: number;
  vsBaseline?: { throughputLostPct: Spread; cpuPerRequestPct: Spread };
}

/** A slice as the JSON keeps it: the record without raw latencies, plus what is derived from them. */
export type SliceSummary = Omit<SliceRecord, "latencyUs" | "rssBytes" | "errorSamples"> & {
  cpuPerRequestUs: number;
  p50Us?: number;
  p90Us?: number;
  p99Us?: number;
  rssMiB: number;
  errorSamples?: string[];
};

export interface Report {
  schema: 1;
  benchmark: "telemetry";
  startedAt: string;
  finishedAt: string;
  durationS: number;
  smoke: boolean;
  settings: {
    rate: number;
    sliceS: number;
    cycles: number;
    warmupCycles: number;
    scenarios: { name: ScenarioName; description: string; weights: Partial<Record<Endpoint, number>> }[];
    saturation: BenchOptions["saturation"];
    scrapeIntervalS: number;
    deferS: number;
    coolDownS: number;
  };
  machine: MachineInfo;
  variants: { name: VariantName; description: string; env: Record<string, string>; scrapes: number }[];
  fixedRate: FixedRateScenario[];
  saturation?: { connections: number; sliceS: number; variants: SaturationVariant[] };
  /** all-100 vs metrics+logs: what the tracing adds on top of the other signals. */
  tracingAlone?: { scenario: ScenarioName } & VsBaseline;
  /** Pairs of variants one step apart (orders scenario): where the overhead comes from. */
  steps?: OverheadStep[];
  /** CPU profiles of the order service, by package group and top functions. */
  profile?: ProfileReport;
  /** The SDK alone, per span: recording, and recording plus batched OTLP export. */
  spanCost?: SpanCost;
  goals: GoalResult[];
  totals: { requests: number; errors: number };
  slices: SliceSummary[];
}

export interface OverheadStep extends VsBaseline {
  what: string;
  variant: VariantName;
  against: VariantName;
}

/** Each step adds one thing to the variant before it; compared within each cycle like the baseline. */
export const OVERHEAD_STEPS: readonly { what: string; variant: VariantName; against: VariantName }[] = [
  { what: "metrics (prom-client histograms, counters)", variant: "metrics", against: "none" },
  { what: "logs (one JSON access line per request)", variant: "metrics+logs", against: "metrics" },
  { what: "trace context: ids, active context, propagation", variant: "trace-context", against: "metrics+logs" },
  { what: "span recording and export (100 %)", variant: "all-100", against: "trace-context" },
  { what: "tracing as a whole (100 %)", variant: "all-100", against: "metrics+logs" },
  { what: "access-log sampling at 10 %", variant: "all-100+logs-10", against: "all-100" },
  { what: "head sampling at 10 % instead of 100 %", variant: "all-10", against: "all-100" },
];

const MIB = 2 ** 20;
const round = (n: number, digits = 1) => (Number.isFinite(n) ? Math.round(n * 10 ** digits) / 10 ** digits : n);
const roundSpread = (s: Spread, digits = 1): Spread => ({
  median: round(s.median, digits),
  min: round(s.min, digits),
  max: round(s.max, digits),
  n: s.n,
});

/** The latencies of a slice, all endpoints together or one. */
export function sliceLatencies(record: SliceRecord, key: LatencyKey): number[] {
  if (!record.latencyUs) return [];
  if (key !== "all") return record.latencyUs[key] ?? [];
  return ENDPOINTS.flatMap((e) => record.latencyUs?.[e] ?? []);
}

const cpuPerRequest = (r: SliceRecord) => (r.answered > 0 ? r.cpuUs / r.answered : Number.NaN);

/** Per-cycle values of one variant in one phase. */
function byCycle(records: readonly SliceRecord[], value: (r: SliceRecord) => number): Map<number, number> {
  return new Map(records.map((r) => [r.cycle, value(r)]));
}

function perVariant(records: readonly SliceRecord[], phase: PhaseName): Map<VariantName, SliceRecord[]> {
  const out = new Map<VariantName, SliceRecord[]>();
  for (const r of records) {
    if (r.phase !== phase) continue;
    const list = out.get(r.variant) ?? [];
    list.push(r);
    out.set(r.variant, list);
  }
  return out;
}

function compare(variant: readonly SliceRecord[], baseline: readonly SliceRecord[], headline: LatencyKey): VsBaseline {
  const p = (q: 50 | 99) => (r: SliceRecord) => percentiles(sliceLatencies(r, headline))[q === 50 ? "p50" : "p99"];
  return {
    cpuPerRequestPct: roundSpread(overheadPerCycle(byCycle(variant, cpuPerRequest), byCycle(baseline, cpuPerRequest))),
    p50Pct: roundSpread(overheadPerCycle(byCycle(variant, p(50)), byCycle(baseline, p(50)))),
    p99Pct: roundSpread(overheadPerCycle(byCycle(variant, p(99)), byCycle(baseline, p(99)))),
  };
}

function headlineOf(scenario: ScenarioName): LatencyKey {
  const endpoints = Object.keys(SCENARIOS[scenario].weights);
  return endpoints.length === 1 ? (endpoints[0] as Endpoint) : "all";
}

function fixedRateScenario(records: readonly SliceRecord[], scenario: ScenarioName, rate: number): FixedRateScenario {
  const headline = headlineOf(scenario);
  const groups = perVariant(records, scenario);
  const baseline = groups.get(BASELINE) ?? [];
  const variants = VARIANTS.flatMap((v): FixedRateVariant[] => {
    const list = groups.get(v.name);
    if (!list || list.length === 0) return [];
    const answered = list.reduce((n, r) => n + r.answered, 0);
    const latencyUs: Partial<Record<LatencyKey, Percentiles>> = {};
    for (const key of [...ENDPOINTS, "all"] as const) {
      const values = list.flatMap((r) => sliceLatencies(r, key));
      if (values.length > 0) latencyUs[key] = mapValues(percentiles(values), (x) => Math.round(x));
    }
    const perSlice = (q: "p50" | "p99") => spread(list.map((r) => percentiles(sliceLatencies(r, headline))[q]));
    return [
      {
        variant: v.name,
        answered,
        errors: list.reduce((n, r) => n + r.errors, 0),
        cpuPerRequestUs: roundSpread(spread(list.map(cpuPerRequest))),
        latencyUs,
        headlineP50Us: roundSpread(perSlice("p50"), 0),
        headlineP99Us: roundSpread(perSlice("p99"), 0),
        logBytesPerRequest: round(list.reduce((n, r) => n + r.logBytes, 0) / Math.max(1, answered)),
        exportBytesPerRequest: round(list.reduce((n, r) => n + r.exportBytes, 0) / Math.max(1, answered)),
        rssMiB: round((list[list.length - 1] as SliceRecord).rssBytes / MIB),
        idleCpuMsPerS: round(median(list.map((r) => r.idleUsPerS)) / 1_000, 2),
        sendLagUs: {
          p50: Math.round(median(list.map((r) => r.sendLagUs?.p50 ?? 0))),
          max: Math.round(Math.max(...list.map((r) => r.sendLagUs?.max ?? 0))),
        },
        vsBaseline: v.name === BASELINE || baseline.length === 0 ? undefined : compare(list, baseline, headline),
      },
    ];
  });
  return { scenario, description: SCENARIOS[scenario].description, headline, rate, variants };
}

function mapValues<T extends object>(obj: T, f: (x: number) => number): T {
  return Object.fromEntries(Object.entries(obj).map(([k, v]) => [k, typeof v === "number" ? f(v) : v])) as T;
}

function saturationSummary(records: readonly SliceRecord[], options: BenchOptions): Report["saturation"] {
  const groups = perVariant(records, "saturation");
  if (groups.size === 0) return undefined;
  const rps = (r: SliceRecord) => r.ok / r.durationS;
  const baseline = groups.get(BASELINE) ?? [];
  return {
    connections: options.saturation.connections,
    sliceS: options.saturation.sliceS,
    variants: VARIANTS.flatMap((v): SaturationVariant[] => {
      const list = groups.get(v.name);
      if (!list || list.length === 0) return [];
      return [
        {
          variant: v.name,
          ok: list.reduce((n, r) => n + r.ok, 0),
          errors: list.reduce((n, r) => n + r.errors, 0),
          requestsPerSecond: roundSpread(spread(list.map(rps)), 0),
          cpuPerRequestUs: roundSpread(spread(list.map(cpuPerRequest))),
          idleCpuMsPerS: round(median(list.map((r) => r.idleUsPerS)) / 1_000, 2),
          vsBaseline:
            v.name === BASELINE || baseline.length === 0
              ? undefined
              : {
                  throughputLostPct: roundSpread(overheadPerCycle(byCycle(list, rps), byCycle(baseline, rps), lossPct)),
                  cpuPerRequestPct: roundSpread(
                    overheadPerCycle(byCycle(list, cpuPerRequest), byCycle(baseline, cpuPerRequest), changePct),
                  ),
                },
        },
      ];
    }),
  };
}

function summarizeSlice(r: SliceRecord): SliceSummary {
  const lat = r.latencyUs ? percentiles(sliceLatencies(r, "all")) : undefined;
  return {
    phase: r.phase,
    cycle: r.cycle,
    variant: r.variant,
    position: r.position,
    startS: round(r.startS, 2),
    durationS: round(r.durationS, 3),
    answered: r.answered,
    ok: r.ok,
    errors: r.errors,
    cpuUs: Math.round(r.cpuUs),
    activeCpuUs: Math.round(r.activeCpuUs),
    deferredCpuUs: Math.round(r.deferredCpuUs),
    deferredS: round(r.deferredS, 3),
    idleUsPerS: Math.round(r.idleUsPerS),
    cpuPerRequestUs: round(cpuPerRequest(r)),
    ...(lat && lat.count > 0
      ? { p50Us: Math.round(lat.p50), p90Us: Math.round(lat.p90), p99Us: Math.round(lat.p99) }
      : {}),
    logBytes: r.logBytes,
    exportBytes: r.exportBytes,
    exports: r.exports,
    scraped: r.scraped,
    rssMiB: round(r.rssBytes / MIB),
    ...(r.sendLagUs ? { sendLagUs: { p50: Math.round(r.sendLagUs.p50), max: Math.round(r.sendLagUs.max) } } : {}),
    ...(r.errorSamples.length ? { errorSamples: r.errorSamples } : {}),
  };
}

/** Turns the raw slices of a run into the report: per-variant summaries, overheads per cycle, goals. */
export function analyze(run: RunResult, options: BenchOptions, machine: MachineInfo): Report {
  const fixedRate = options.scenarios.map((s) => fixedRateScenario(run.records, s, options.rate));
  const saturation = saturationSummary(run.records, options);
  const orders = fixedRate.find((s) => s.scenario === "orders");
  const variantOf = <T extends { variant: VariantName }>(list: readonly T[] | undefined, name: VariantName) =>
    list?.find((v) => v.variant === name);
  const all100 = variantOf(orders?.variants, "all-100");
  let tracingAlone: Report["tracingAlone"];
  if (orders) {
    const list = run.records.filter((r) => r.phase === "orders");
    const of = (name: VariantName) => list.filter((r) => r.variant === name);
    if (of("all-100").length > 0 && of("metrics+logs").length > 0) {
      tracingAlone = { scenario: "orders", ...compare(of("all-100"), of("metrics+logs"), orders.headline) };
    }
  }
  const steps: OverheadStep[] = [];
  if (orders) {
    const list = run.records.filter((r) => r.phase === "orders");
    const of = (name: VariantName) => list.filter((r) => r.variant === name);
    for (const step of OVERHEAD_STEPS) {
      if (of(step.variant).length === 0 || of(step.against).length === 0) continue;
      steps.push({ ...step, ...compare(of(step.variant), of(step.against), orders.headline) });
    }
  }
  const goals = [
    evaluateGoal(GOALS.cpu, all100?.vsBaseline?.cpuPerRequestPct),
    evaluateGoal(GOALS.p50, all100?.vsBaseline?.p50Pct),
    evaluateGoal(GOALS.throughput, variantOf(saturation?.variants, "all-100")?.vsBaseline?.throughputLostPct),
    evaluateGoal(GOALS.tracingCpu, tracingAlone?.cpuPerRequestPct),
  ];
  const started = Date.parse(run.startedAt);
  const finished = Date.parse(run.finishedAt);
  return {
    schema: 1,
    benchmark: "telemetry",
    startedAt: run.startedAt,
    finishedAt: run.finishedAt,
    durationS: round((finished - started) / 1_000),
    smoke: options.smoke,
    settings: {
      rate: options.rate,
      sliceS: options.sliceS,
      cycles: options.cycles,
      warmupCycles: options.warmupCycles,
      scenarios: options.scenarios.map((name) => ({ name, ...SCENARIOS[name] })),
      saturation: options.saturation,
      scrapeIntervalS: options.scrapeIntervalS,
      deferS: options.deferS,
      coolDownS: options.coolDownS,
    },
    machine,
    variants: VARIANTS.map((v) => ({
      name: v.name,
      description: v.description,
      env: v.env,
      scrapes: run.scrapes[v.name],
    })),
    fixedRate,
    saturation,
    tracingAlone,
    steps,
    goals,
    totals: {
      requests: run.records.reduce((n, r) => n + r.answered, 0),
      errors: run.records.reduce((n, r) => n + r.errors, 0),
    },
    slices: run.records.map(summarizeSlice),
  };
}
