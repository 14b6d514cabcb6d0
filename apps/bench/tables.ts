import type { FixedRateScenario, LatencyKey, Report } from "./analyze";
import { goalVerdict } from "./goals";
import type { ProfileSummary } from "./profile";
import type { ProfileReport } from "./profile-run";
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
  if (report.steps && report.steps.length > 0) {
    tables.push({
      title: "Where the overhead comes from: each step against the variant before it (orders, per cycle)",
      headers: ["adds", "variant", "against", "CPU/req", "p50", "p99"],
      align: ["l", "l", "l", "r", "r", "r"],
      rows: report.steps.map((s) => [
        s.what,
        s.variant,
        s.against,
        formatPctSpread(s.cpuPerRequestPct),
        formatPctSpread(s.p50Pct),
        formatPctSpread(s.p99Pct),
      ]),
    });
  }
  if (report.profile) tables.push(...profileTables(report.profile));
  if (report.spanCost) {
    const c = report.spanCost;
    tables.push({
      title: `The SDK alone: CPU per span in one process (${c.spans.toLocaleString("en-US")} spans, half SERVER, half CLIENT)`,
      headers: [
        "recorded, no export",
        "recorded and exported (batch, OTLP/protobuf)",
        "export share",
        "OTLP bytes/span",
      ],
      align: ["r", "r", "r", "r"],
      rows: [
        [
          `${c.recordUs.toFixed(1)} µs`,
          `${c.recordAndExportUs.toFixed(1)} µs`,
          `${Math.round((100 * (c.recordAndExportUs - c.recordUs)) / c.recordAndExportUs)}%`,
          String(c.exportBytesPerSpan),
        ],
      ],
    });
  }
  tables.push(goalsTable(report));
  return tables;
}

/** Where the order service's CPU goes in each profiled variant, and its busiest functions with everything on. */
export function profileTables(profile: ProfileReport): Table[] {
  const names = profile.variants.map((v) => v.variant);
  const first = profile.variants[0];
  const last = profile.variants[profile.variants.length - 1];
  const byGroup = (v: ProfileSummary, group: string) => v.groups.find((g) => g.group === group)?.usPerRequest ?? 0;
  const cell = (v: ProfileSummary, group: string) => {
    const g = v.groups.find((x) => x.group === group);
    return g ? `${g.usPerRequest.toFixed(1)} (${g.share.toFixed(1)}%)` : "–";
  };
  const rows = (first?.groups ?? []).map((g) => [
    g.group,
    ...profile.variants.map((v) => cell(v, g.group)),
    first && last ? formatSigned(byGroup(last, g.group) - byGroup(first, g.group)) : "–",
  ]);
  rows.push([
    "total busy",
    ...profile.variants.map((v) => v.busyUsPerRequest.toFixed(1)),
    first && last ? formatSigned(last.busyUsPerRequest - first.busyUsPerRequest) : "–",
  ]);
  const tables: Table[] = [
    {
      title: `CPU profile of order: µs per POST /orders by where the time goes (${profile.rate} req/s, ${profile.secondsPerVariant} s per variant)`,
      headers: ["group", ...names, `${last?.variant ?? ""} − ${first?.variant ?? ""}`],
      align: ["l", ...names.map((): "r" => "r"), "r"],
      rows,
    },
  ];
  if (last) {
    tables.push({
      title: `CPU profile of order: busiest functions in ${last.variant} (self time)`,
      headers: ["function", "where", "group", "µs/req", "share"],
      align: ["l", "l", "l", "r", "r"],
      rows: last.top.map((f) => [f.function, f.location, f.group, f.usPerRequest.toFixed(1), `${f.share.toFixed(1)}%`]),
    });
  }
  return tables;
}

const formatSigned = (x: number) => `${x >= 0 ? "+" : "−"}${Math.abs(x).toFixed(1)}`;
