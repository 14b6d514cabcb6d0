import { strictFlags } from "./flags";
import { SCENARIO_NAMES, type ScenarioName } from "./schedule";

export interface BenchOptions {
  /** Fixed request rate of the open-model phases, requests per second. */
  rate: number;
  /** Length of one variant's turn, seconds. */
  sliceS: number;
  /** Measured cycles (each variant once per cycle) per scenario. */
  cycles: number;
  /** Unmeasured cycles first: warm code, and the starting point of each variant's CPU window. */
  warmupCycles: number;
  scenarios: ScenarioName[];
  /** Closed-loop POST /orders at each variant before anything is measured (JIT warm-up), seconds. */
  warmupBurstS: number;
  saturation: { connections: number; sliceS: number; cycles: number; warmupSliceS: number };
  /** Each metrics variant is scraped once per this many seconds of its own load (0: never). */
  scrapeIntervalS: number;
  /** Seconds of load per profiled variant in the CPU-profile phase (0: no profiles). */
  profileS: number;
  /** How long after its turn a variant's processes may still be working for it (span export: up to 5 s). */
  deferS: number;
  /** No load after each phase, seconds: the deferred work runs, then the variants idle. */
  coolDownS: number;
  smoke: boolean;
  docs: boolean;
  /** Where the JSON goes; undefined: out/bench in the repository. */
  outDir?: string;
}

export class UsageError extends Error {}

export const USAGE = `usage: npm run bench:telemetry -- [flags]
  --rate <req/s>       fixed request rate of the open-model phases (default 100)
  --slice <s>          length of each variant's turn (default 2.5)
  --cycles <n>         measured cycles per scenario (default 10)
  --scenarios <list>   comma-separated: ${SCENARIO_NAMES.join(", ")} (default: all)
  --connections <n>    connections of the saturation phase (default 16)
  --sat-slice <s>      length of each variant's saturation turn (default 3)
  --sat-cycles <n>     saturation cycles, 0 to skip (default 4)
  --scrape <s>         scrape /metrics once per this many seconds of a variant's load, 0: never (default 15)
  --profile <s>        CPU-profile the order service for this many seconds per profiled variant, 0: skip (default 20)
  --smoke              a very short run: 2 cycles of 0.5 s, a small saturation run; no docs
  --no-docs            do not write docs/performance.md and its plots
  --out <dir>          where the JSON goes (default out/bench)`;

const DEFAULTS: BenchOptions = {
  rate: 100,
  sliceS: 2.5,
  cycles: 10,
  warmupCycles: 1,
  scenarios: [...SCENARIO_NAMES],
  warmupBurstS: 2,
  saturation: { connections: 16, sliceS: 3, cycles: 4, warmupSliceS: 1 },
  scrapeIntervalS: 15,
  profileS: 20,
  deferS: 6,
  coolDownS: 8,
  smoke: false,
  docs: true,
};

const SMOKE: Omit<BenchOptions, "rate" | "scenarios" | "scrapeIntervalS" | "deferS" | "outDir"> = {
  profileS: 1,
  sliceS: 0.5,
  cycles: 2,
  warmupCycles: 1,
  warmupBurstS: 0.3,
  saturation: { connections: 4, sliceS: 0.5, cycles: 1, warmupSliceS: 0.3 },
  coolDownS: 1,
  smoke: true,
  docs: false,
};

function numberFlag(
  values: Record<string, unknown>,
  name: string,
  min: number,
  max: number,
  integer = false,
): number | undefined {
  const raw = values[name];
  if (raw === undefined) return undefined;
  const value = Number(raw);
  if (raw === "" || !Number.isFinite(value) || value < min || value > max || (integer && !Number.isInteger(value))) {
    throw new UsageError(`--${name} must be ${integer ? "an integer" : "a number"} from ${min} to ${max}`);
  }
  return value;
}

/** The flags, on top of the defaults (or the smoke settings with --smoke); throws UsageError. */
export function parseOptions(argv: readonly string[]): BenchOptions {
  const { values } = strictFlags(
    argv,
    {
      rate: { type: "string" },
      slice: { type: "string" },
      cycles: { type: "string" },
      scenarios: { type: "string" },
      connections: { type: "string" },
      "sat-slice": { type: "string" },
      "sat-cycles": { type: "string" },
      scrape: { type: "string" },
      profile: { type: "string" },
      smoke: { type: "boolean" },
      "no-docs": { type: "boolean" },
      out: { type: "string" },
      help: { type: "boolean", short: "h" },
    },
    (message) => new UsageError(message),
  );
  if (values.help) throw new UsageError("");
  const base: BenchOptions = values.smoke ? { ...DEFAULTS, ...SMOKE } : { ...DEFAULTS };
  const sat = { ...base.saturation };
  sat.connections = numberFlag(values, "connections", 1, 256, true) ?? sat.connections;
  sat.sliceS = numberFlag(values, "sat-slice", 0.2, 60) ?? sat.sliceS;
  sat.cycles = numberFlag(values, "sat-cycles", 0, 50, true) ?? sat.cycles;
  let scenarios = base.scenarios;
  if (typeof values.scenarios === "string") {
    const names = values.scenarios.split(",").map((s) => s.trim());
    const unknown = names.filter((n) => !(SCENARIO_NAMES as readonly string[]).includes(n));
    if (unknown.length > 0 || names.length === 0) {
      throw new UsageError(`--scenarios takes a comma-separated list of: ${SCENARIO_NAMES.join(", ")}`);
    }
    scenarios = SCENARIO_NAMES.filter((n) => names.includes(n));
  }
  if (typeof values.out === "string" && values.out.trim() === "") throw new UsageError("--out needs a directory");
  return {
    ...base,
    rate: numberFlag(values, "rate", 1, 2_000) ?? base.rate,
    sliceS: numberFlag(values, "slice", 0.2, 60) ?? base.sliceS,
    cycles: numberFlag(values, "cycles", 1, 100, true) ?? base.cycles,
    scenarios,
    saturation: sat,
    scrapeIntervalS: numberFlag(values, "scrape", 0, 600) ?? base.scrapeIntervalS,
    profileS: numberFlag(values, "profile", 0, 600) ?? base.profileS,
    docs: base.docs && !values["no-docs"],
    outDir: typeof values.out === "string" ? values.out : undefined,
  };
}

/** Rough wall time of a run, seconds (start-up of the fifteen processes included). */
export function estimateSeconds(options: BenchOptions, variants: number, startupS = 15): number {
  const fixed = options.scenarios.length * (options.warmupCycles + options.cycles) * variants * options.sliceS;
  const sat = options.saturation;
  const saturation = sat.cycles > 0 ? variants * (sat.warmupSliceS + sat.cycles * sat.sliceS) : 0;
  const coolDowns = (options.scenarios.length + (sat.cycles > 0 ? 1 : 0)) * options.coolDownS;
  // three profiled variants: start-up, a 2 s warm-up and the load each, then the deferred work
  const profiles = options.profileS > 0 ? 3 * (startupS / variants + 2 + options.profileS) + options.deferS + 3 : 0;
  return startupS + variants * options.warmupBurstS + fixed + saturation + coolDowns + profiles;
}
