import type { FixedRateScenario, LatencyKey, Report } from "./analyze";
import { goalVerdict } from "./goals";
import { ENDPOINTS } from "./schedule";
import type { Spread } from "./stats";
import type { Table } from "./table";

const int = (n: number | undefined) =>
  n === undefined || !Number.isFinite(n) ? "–" : Math.round(n).toLocaleString("en-US");
const signed = (n: number) => `${n > 0 ? "+" : n < 0 ? "−" : "±"}${Math.abs(n).toFixed(1)}`;

/** "+12.3% [+8.0..+15.1]": the median change per cycle and its range. */
export function formatPctSpread(s: Spread | undefined): string {
  if (!s || s.n === 0 || !Number.isFinite(s.median)) return "–";
  return `${signed(s.median)}% [${signed(s.min)}..${signed(s.max)}]`;
}

export function formatSpread(s: Spread | undefined): string {
  if (!s || s.n === 0 || !Number.isFinite(s.median)) return "–";
  return `${int(s.median)} [${int(s.min)}..${int(s.max)}]`;
}

const latencyLabel = (key: LatencyKey) => (key === "all" ? "all requests" : key);

function fixedRateTable(scenario: FixedRateScenario, cycles: number): Table {
  const key = scenario.headline;
  return {
    title: `Fixed rate: ${scenario.scenario} — ${scenario.description}, ${scenario.rate} req/s, ${cycles} cycles`,
    headers: [
      "variant",
      "requests",
      "errors",
      "CPU/req µs",
      "CPU/req vs none",
      "p50 µs",
      "p90 µs",
      "p99 µs",
      "p50 vs none",
      "logs B/req",
      "OTLP B/req",
      "idle ms/s",
      "RSS MiB",
    ],
    rows: scenario.variants.map((v) => [
      v.variant,
      int(v.answered),
      int(v.errors),
      int(v.cpuPerRequestUs.median),
      formatPctSpread(v.vsBaseline?.cpuPerRequestPct),
      int(v.latencyUs[key]?.p50),
      int(v.latencyUs[key]?.p90),
      int(v.latencyUs[key]?.p99),
      formatPctSpread(v.vsBaseline?.p50Pct),
      int(v.logBytesPerRequest),
      int(v.exportBytesPerRequest),
      v.idleCpuMsPerS.toFixed(1),
      v.rssMiB.toFixed(0),
    ]),
    notes: [
      `Latency: ${latencyLabel(key)}, µs from the scheduled send time to the end of the response, all cycles together.`,
      "vs none: the change within each cycle, median [min..max] across cycles.",
      "CPU/req: three processes, the turn plus the work it left behind (span export), without the idle background of the",
      "time spent waiting for the next turn; idle ms/s: that background (timers, runtime metrics) with no load.",
    ],
  };
}

function mixEndpointsTable(scenario: FixedRateScenario): Table {
  const keys = ENDPOINTS.filter((e) => scenario.variants.some((v) => v.latencyUs[e]));
  return {
    title: `Fixed rate: ${scenario.scenario} — p50 / p99 µs per endpoint`,
    headers: ["variant", ...keys],
    rows: scenario.variants.map((v) => [
      v.variant,
      ...keys.map((k) => {
        const p = v.latencyUs[k];
        return p ? `${int(p.p50)} / ${int(p.p99)}` : "–";
      }),
    ]),
  };
}

function saturationTable(report: Report): Table | undefined {
  const sat = report.saturation;
  if (!sat) return undefined;
  return {
    title: `Saturation: POST /orders, closed loop, ${sat.connections} connections, ${report.settings.saturation.cycles} cycles of ${sat.sliceS} s`,
    headers: ["variant", "req/s", "throughput lost vs none", "CPU/req µs", "CPU/req vs none", "errors"],
    rows: sat.variants.map((v) => [
      v.variant,
      formatSpread(v.requestsPerSecond),
      formatPctSpread(v.vsBaseline?.throughputLostPct),
      int(v.cpuPerRequestUs.median),
      formatPctSpread(v.vsBaseline?.cpuPerRequestPct),
      int(v.errors),
    ]),
  };
}

function goalsTable(report: Report): Table {
  return {
    title: "Goals (overhead per cycle: median [min..max]; judged on the median)",
    headers: ["goal", "limit", "measured", "met"],
    align: ["l", "r", "r", "l"],
    rows: report.goals.map((g) => [g.description, `≤ ${g.limitPct}%`, formatPctSpread(g.measuredPct), goalVerdict(g)]),
  };
}

/** Every table of the report, in the order they are printed. */
export function reportTables(report: Report): Table[] {
  const tables: Table[] = [];
  for (const scenario of report.fixedRate) {
    tables.push(fixedRateTable(scenario, report.settings.cycles));
    if (scenario.headline === "all") tables.push(mixEndpointsTable(scenario));
  }
  const sat = saturationTable(report);
  if (sat) tables.push(sat);
  if (report.tracingAlone) {
    const t = report.tracingAlone;
    tables.push({
      title: `Tracing alone: all-100 vs metrics+logs (${t.scenario})`,
      headers: ["CPU/req", "p50", "p99"],
      align: ["r", "r", "r"],
      rows: [[formatPctSpread(t.cpuPerRequestPct), formatPctSpread(t.p50Pct), formatPctSpread(t.p99Pct)]],
    });
  }
  tables.push(goalsTable(report));
  return tables;
}
