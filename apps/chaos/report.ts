import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { SERVICE_NAMES } from "../../contract";
import type { AlertExpectation } from "../../infra/chaos/experiments";
import { CHART_CONFIG, type ChartSpec, renderPng, VEGA_LITE_SCHEMA } from "../bench/plots";
import { alertLabel, describeFault, faultMechanism, formatDuration, formatSeconds, formatShare } from "./describe";
import type { ExperimentReport, HypothesisLine } from "./types";

/**
 * The three files of a game day: `<experiment>-<timestamp>.json` (the whole report, every sample),
 * `.md` (the verdict per hypothesis line and the measurements) and `.png` (the timeline).
 */

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
type TimeField = "startedAt" | "faultStartedAt" | "faultEndedAt" | "endedAt";

/** Unix seconds of one of the report's ISO times; a bad one is an error naming the field. */
function secondsOf(report: ExperimentReport, field: TimeField): number {
  const ms = Date.parse(report[field]);
  if (typeof report[field] !== "string" || !Number.isFinite(ms)) {
    throw new Error(
      `report.${field}: must be an ISO time such as 2025-01-31T10:00:00Z, got ${JSON.stringify(report[field])}`,
    );
  }
  return ms / 1000;
}

/** `product-errors-2025-01-31T10-00-00Z`: the experiment and its start, safe in any file system. */
export function reportBaseName(report: ExperimentReport): string {
  if (typeof report.experiment !== "string" || !DNS_LABEL.test(report.experiment)) {
    throw new Error(
      `report.experiment: must be a DNS label (lower-case letters, digits and '-', at most 63), got ${JSON.stringify(report.experiment)}`,
    );
  }
  const stamp = new Date(secondsOf(report, "startedAt") * 1000).toISOString().replace(/\.\d{3}Z$/, "Z");
  return `${report.experiment}-${stamp.replaceAll(":", "-")}`;
}

const utc = (seconds: number) =>
  `${new Date(seconds * 1000)
    .toISOString()
    .replace("T", " ")
    .replace(/\.\d{3}Z$/, "")} UTC`;
const cell = (text: string) => text.replaceAll("|", "\\|").replaceAll("\n", " ");

function formatValue(value: number | null, unit: HypothesisLine["unit"], missing: string): string {
  if (value === null) return missing;
  if (unit === "seconds") return formatSeconds(value);
  if (unit === "ratio") return formatShare(value);
  return String(Number(value.toPrecision(4)));
}

/** The report in Markdown: the verdict per hypothesis line with measured value and limit, then the measurements. */
export function reportMarkdown(report: ExperimentReport): string {
  const base = reportBaseName(report);
  const [faultStart, faultEnd] = [secondsOf(report, "faultStartedAt"), secondsOf(report, "faultEndedAt")];
  const { hypothesis } = report.definition;
  const slis = hypothesis.sliServices.join(", ");
  const detection = () => {
    if (hypothesis.mustFire.length === 0) return "nothing to detect (no alert must fire)";
    if (report.detectionSeconds === null) return "not detected: an expected alert never fired";
    return `${formatSeconds(report.detectionSeconds)} (fault start → the last expected alert firing)`;
  };
  const lines = [
    `# Game day: ${report.experiment} — ${report.passed ? "PASSED" : "FAILED"}`,
    "",
    report.description,
    "",
    "| | |",
    "|---|---|",
    `| target | ${report.target}, run against \`${cell(report.runTarget)}\` |`,
    `| fault | ${cell(describeFault(report.fault))} (${faultMechanism(report.fault)}) |`,
    `| fault window | ${utc(faultStart)} → ${utc(faultEnd)} (${formatDuration(Math.round(faultEnd - faultStart))}) |`,
    `| run | ${utc(secondsOf(report, "startedAt"))} → ${utc(secondsOf(report, "endedAt"))} |`,
    `| SLIs of | ${slis} |`,
    "",
    ...(report.definition.plan
      ? [
          "## How the limits were planned",
          "",
          `From the stack's objective and burn-rate pairs and what Prometheus held when the fault started (docs/chaos.md):`,
          "",
          ...report.definition.plan.lines.map((l) => `- ${l}`),
          "",
        ]
      : []),
    "## Verdict per hypothesis line",
    "",
    "| hypothesis | limit | measured | verdict |",
    "|---|---|---|---|",
    ...report.lines.map(
      (l) =>
        `| ${cell(l.statement)} | ${formatValue(l.limit, l.unit, "—")} | ${formatValue(l.measured, l.unit, "never")} | ${l.passed ? "pass" : "**FAIL**"} |`,
    ),
    "",
    "## Measurements",
    "",
    `- Time to detect: ${detection()}.`,
    ...report.detectionByAlert.map(
      (d) => `  - \`${alertLabel(d.alert)}\`: ${d.seconds === null ? "never fired" : formatSeconds(d.seconds)}`,
    ),
    `- Time to recover: ${
      report.recoverySeconds === null
        ? "not recovered within the watch"
        : `${formatSeconds(report.recoverySeconds)} (fault end → SLIs within objective and the expected alerts resolved)`
    }.`,
    `- Error budget consumed: ${formatShare(report.budgetConsumed)} of the SLO period's ${report.definition.hypothesis.budgetSlo ?? "availability"} budget (the most of ${slis}).`,
    `- Peak error ratio: ${formatShare(report.peakErrorRatio)}; peak p99: ${
      report.peakP99Seconds === null ? "no traffic measured" : `${Math.round(report.peakP99Seconds * 1000)} ms`
    }.`,
    `- Samples: ${report.samples.length} SLI and ${report.alerts.length} alert observations.`,
    "",
    "## Timeline",
    "",
    `![Error ratio, p99 and alert states of ${report.experiment}, the fault window shaded](${base}.png)`,
    "",
    "Seconds from the fault's start; the shaded band is the fault window, solid lines the measured detection and recovery, dashed lines their limits.",
    "",
    "## Cleanup",
    "",
    `Fault removed: ${report.cleanup.faultRemoved ? "yes" : "**NO — remove it by hand**"} (${report.cleanup.detail}).`,
    "",
    `Every sample and the experiment as run are in \`${base}.json\`.`,
    "",
  ];
  return lines.join("\n");
}

/**
 * The bands of one alert: each observation lasts until the next one (the last one, one sampling interval past
 * the end of the run at least), and consecutive observations in the same state make one band.
 */
function alertBands(report: ExperimentReport, key: string, row: string, t0: number, end: number) {
  const seen = report.alerts.filter((a) => alertLabel(a.alert) === key).sort((a, b) => a.t - b.t);
  const bands: { row: string; state: string; from: number; to: number }[] = [];
  seen.forEach((a, i) => {
    const interval = i > 0 ? a.t - (seen[i - 1]?.t ?? a.t) : 1;
    const to = (seen[i + 1]?.t ?? Math.max(a.t + interval, t0 + end)) - t0;
    const last = bands.at(-1);
    if (last && last.state === a.state) last.to = to;
    else bands.push({ row, state: a.state, from: a.t - t0, to });
  });
  return bands;
}

/** A row of the alert chart, short enough for the axis: `must fire: SLOFastBurn (order, availability)`. */
const rowLabel = (role: string, alert: AlertExpectation) => {
  const values = Object.values(alert.labels);
  return `${role}: ${alert.alertname}${values.length ? ` (${values.join(", ")})` : ""}`;
};

/** The same colour for a service in every report, whichever services it shows. */
const SERVICE_COLOURS = ["#4c78a8", "#f58518", "#e45756"];
const serviceColour = (service: string) =>
  SERVICE_COLOURS[SERVICE_NAMES.indexOf(service as (typeof SERVICE_NAMES)[number])] ?? "#888888";

const STATE_COLOURS = { active: "#d62728", suppressed: "#ff9f40", absent: "#e6e6e6" } as const;
const WIDTH = 640;

/**
 * The timeline as Vega-Lite: error ratio and p99 of every SLI service, each watched alert's state as bands,
 * the fault window shaded in every chart; x is seconds from the fault's start (no time zones in the picture).
 */
export function timelineSpec(report: ExperimentReport): ChartSpec {
  const t0 = secondsOf(report, "faultStartedAt");
  const duration = secondsOf(report, "faultEndedAt") - t0;
  const end = secondsOf(report, "endedAt") - t0;
  const { hypothesis } = report.definition;
  const services = [...new Set([...hypothesis.sliServices, ...report.samples.map((s) => s.service)])];
  const points = report.samples.map((s) => ({
    service: s.service,
    t: s.t - t0,
    error: s.errorRatio,
    p99: s.p99Seconds === undefined ? undefined : s.p99Seconds * 1000,
  }));

  // one row per alert: what must fire, what must not, then anything else observed
  const rows = new Map<string, string>();
  for (const a of hypothesis.mustFire) rows.set(alertLabel(a), rowLabel("must fire", a));
  for (const a of hypothesis.mustNotFire) rows.set(alertLabel(a), rowLabel("must not fire", a));
  for (const a of hypothesis.mustBeInhibited ?? []) rows.set(alertLabel(a), rowLabel("quiet under the page", a));
  for (const a of report.alerts)
    if (!rows.has(alertLabel(a.alert))) rows.set(alertLabel(a.alert), rowLabel("seen", a.alert));
  const bands = [...rows].flatMap(([key, row]) => alertBands(report, key, row, t0, end));

  const marks = [
    ...(report.detectionSeconds === null ? [] : [{ x: report.detectionSeconds, what: "detected", kind: "measured" }]),
    ...(hypothesis.mustFire.length ? [{ x: hypothesis.maxDetectSeconds, what: "detect limit", kind: "limit" }] : []),
    ...(report.recoverySeconds === null
      ? []
      : [{ x: duration + report.recoverySeconds, what: "recovered", kind: "measured" }]),
    { x: duration + hypothesis.maxRecoverSeconds, what: "recover limit", kind: "limit" },
  ];
  const xs = [
    0,
    duration,
    end,
    ...points.map((p) => p.t),
    ...bands.flatMap((b) => [b.from, b.to]),
    ...marks.map((m) => m.x),
  ];
  const x = {
    field: "t",
    type: "quantitative",
    title: "seconds from the fault's start",
    scale: { domain: [Math.min(...xs), Math.max(...xs)], nice: false },
  };

  const window = {
    name: "fault-window",
    data: { values: [{ from: 0, to: duration, start: report.faultStartedAt, end: report.faultEndedAt }] },
    mark: { type: "rect", color: "#f4a582", opacity: 0.3 },
    encoding: { x: { ...x, field: "from" }, x2: { field: "to" } },
  };
  const rules = (labels: boolean) => [
    {
      data: { values: marks },
      mark: { type: "rule", color: "#333", strokeWidth: 1.2 },
      encoding: {
        x: { ...x, field: "x" },
        strokeDash: {
          field: "kind",
          type: "nominal",
          scale: {
            domain: ["measured", "limit"],
            range: [
              [1, 0],
              [5, 4],
            ],
          },
          legend: null,
        },
      },
    },
    ...(labels
      ? [
          {
            data: { values: marks },
            mark: { type: "text", angle: 270, align: "right", baseline: "bottom", dx: -4, dy: -3, fontSize: 10, y: 0 },
            encoding: { x: { ...x, field: "x" }, text: { field: "what" } },
          },
        ]
      : []),
  ];
  const colour = {
    field: "service",
    type: "nominal",
    title: "service",
    scale: { domain: services, range: services.map(serviceColour) },
  };
  const line = (field: "error" | "p99", title: string, format: string, labels: boolean) => ({
    width: WIDTH,
    height: 160,
    layer: [
      window,
      {
        data: { values: points.filter((p) => p[field] !== undefined && p[field] !== null) },
        mark: { type: "line", point: { size: 18 } },
        encoding: { x, y: { field, type: "quantitative", title, axis: { format } }, color: colour },
      },
      ...rules(labels),
    ],
  });
  const alertChart = {
    width: WIDTH,
    height: { step: 22 },
    layer: [
      {
        data: { values: bands },
        mark: { type: "rect" },
        encoding: {
          x: { ...x, field: "from" },
          x2: { field: "to" },
          y: { field: "row", type: "nominal", title: null, sort: [...rows.values()], axis: { labelLimit: 480 } },
          color: {
            field: "state",
            type: "nominal",
            title: "Alertmanager",
            scale: { domain: Object.keys(STATE_COLOURS), range: Object.values(STATE_COLOURS) },
          },
        },
      },
      // over the bands, so the window shows through them
      window,
      ...rules(false),
    ],
  };
  return {
    $schema: VEGA_LITE_SCHEMA,
    title: {
      text: `${report.experiment}: ${report.target}, ${describeFault(report.fault)} — ${report.passed ? "passed" : "FAILED"}`,
      subtitle: `fault ${utc(t0)} → ${utc(t0 + duration)} (shaded); solid: measured detection and recovery; dashed: their limits`,
    },
    vconcat: [
      line("error", "error ratio (5xx share)", "%", true),
      line("p99", "p99 (ms)", "~r", false),
      ...(rows.size ? [alertChart] : []),
    ],
    resolve: { scale: { color: "independent", x: "shared" }, legend: { color: "independent" } },
    config: CHART_CONFIG,
  };
}

/** Writes `<outDir>/<experiment>-<timestamp>.json|.md|.png` (the folder is created) and returns their paths. */
export async function writeReport(
  report: ExperimentReport,
  outDir: string,
): Promise<{ json: string; markdown: string; png: string }> {
  const base = path.join(outDir, reportBaseName(report));
  const markdown = reportMarkdown(report);
  const png = await renderPng(timelineSpec(report));
  await mkdir(outDir, { recursive: true });
  const files = { json: `${base}.json`, markdown: `${base}.md`, png: `${base}.png` };
  await writeFile(files.json, `${JSON.stringify(report, null, 2)}\n`);
  await writeFile(files.markdown, markdown);
  await writeFile(files.png, png);
  return files;
}
