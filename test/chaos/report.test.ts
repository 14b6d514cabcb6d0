import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { alertLabel } from "../../apps/chaos/describe";
import { reportBaseName, reportMarkdown, timelineSpec, writeReport } from "../../apps/chaos/report";
import type { AlertSample, ExperimentReport, SliSample } from "../../apps/chaos/types";
import type { AlertExpectation, Experiment } from "../../infra/chaos/experiments";
import { stackPlan } from "../../infra/chaos/plan";
import { loadStackConfig } from "../../infra/config/stack-file";
import { tableRows } from "../docs/markdown";

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
/** product-errors as a warm dev stack plans it (its plan's lines go into the report). */
const definition = stackPlan(loadStackConfig("dev")).find((e) => e.name === "product-errors") as Experiment;
const [fastBurn, slowBurn] = [definition.hypothesis.mustFire[0], definition.hypothesis.mustNotFire[0]] as [
  AlertExpectation,
  AlertExpectation,
];

const START = Date.parse("2025-03-04T10:00:00Z") / 1000;
const FAULT_START = START + 30;
const FAULT_END = FAULT_START + 180;
const END = FAULT_END + 240;
const iso = (t: number) => new Date(t * 1000).toISOString();

/** A hand-built run of product-errors: order's 5xx share jumps while the fault is on, the page fires after 95 s. */
function fixture(): ExperimentReport {
  const samples: SliSample[] = [];
  const alerts: AlertSample[] = [];
  for (let t = START; t <= END; t += 15) {
    const faulty = t >= FAULT_START && t < FAULT_END;
    samples.push({ t, service: "order", errorRatio: faulty ? 0.34 : 0.002, p99Seconds: faulty ? 0.12 : 0.04 });
    samples.push({ t, service: "product", errorRatio: faulty ? 0.5 : 0, p99Seconds: 0.01 });
    const paging = t >= FAULT_START + 95 && t < FAULT_END + 150;
    alerts.push({ t, alert: fastBurn, state: paging ? "active" : "absent" });
    alerts.push({ t, alert: slowBurn, state: paging ? "suppressed" : "absent" });
  }
  return {
    experiment: definition.name,
    description: definition.description,
    target: definition.target,
    fault: definition.fault,
    runTarget: "local",
    startedAt: iso(START),
    faultStartedAt: iso(FAULT_START),
    faultEndedAt: iso(FAULT_END),
    endedAt: iso(END),
    detectionSeconds: 95,
    detectionByAlert: [{ alert: fastBurn, seconds: 95 }],
    recoverySeconds: 165,
    budgetConsumed: 0.0412,
    peakErrorRatio: 0.34,
    peakP99Seconds: 0.12,
    lines: [
      {
        statement: `${alertLabel(fastBurn)} fires within 180 s`,
        passed: true,
        measured: 95,
        limit: 180,
        unit: "seconds",
      },
      { statement: `${alertLabel(slowBurn)} never reaches anyone`, passed: true, measured: null, limit: null },
      {
        statement: "order recovers within 480 s of the fault's end",
        passed: true,
        measured: 165,
        limit: 480,
        unit: "seconds",
      },
      { statement: "at most 10 % of order's error budget", passed: true, measured: 0.0412, limit: 0.1, unit: "ratio" },
    ],
    passed: true,
    samples,
    alerts,
    cleanup: { faultRemoved: true, detail: "PUT /admin/faults on product: all off" },
    definition,
  };
}

/** Rows of the Markdown table under a heading: cells trimmed, header and separator dropped. */
function tableUnder(markdown: string, heading: string): string[][] {
  const section = markdown.split(`## ${heading}\n`)[1] ?? "";
  return tableRows(section.split("\n## ")[0] ?? "");
}

describe("reportMarkdown", () => {
  test("one verdict row per hypothesis line: the statement, its limit and measured value in their units, pass", () => {
    const rows = tableUnder(reportMarkdown(fixture()), "Verdict per hypothesis line");
    expect(rows).toEqual([
      [`${alertLabel(fastBurn)} fires within 180 s`, "180 s", "95 s", "pass"],
      [`${alertLabel(slowBurn)} never reaches anyone`, "—", "never", "pass"],
      ["order recovers within 480 s of the fault's end", "480 s", "165 s", "pass"],
      ["at most 10 % of order's error budget", "10 %", "4.12 %", "pass"],
    ]);
  });

  test("a failed line is marked FAIL and the headline says FAILED; a line without a unit shows plain numbers", () => {
    const report = fixture();
    report.passed = false;
    report.lines[0] = { ...(report.lines[0] as ExperimentReport["lines"][number]), passed: false, measured: 200.25 };
    report.lines[2] = { statement: "x", passed: true, measured: 0.123456, limit: 2 };
    const markdown = reportMarkdown(report);
    expect(markdown.split("\n")[0]).toBe("# Game day: product-errors — FAILED");
    const rows = tableUnder(markdown, "Verdict per hypothesis line");
    expect(rows[0]?.slice(1)).toEqual(["180 s", "200.3 s", "**FAIL**"]);
    expect(rows[2]).toEqual(["x", "2", "0.1235", "pass"]);
  });

  test("the measurements: detection per alert, recovery, budget, peaks, and what the run could not measure", () => {
    const markdown = reportMarkdown(fixture());
    expect(markdown).toContain("# Game day: product-errors — PASSED");
    expect(markdown).toContain(
      "| fault | 50 % of API requests answered 500 (fault API) |\n| fault window | 2025-03-04 10:00:30 UTC → 2025-03-04 10:03:30 UTC (3 min) |",
    );
    expect(markdown).toContain(
      `- Time to detect: 95 s (fault start → the last expected alert firing).\n  - \`${alertLabel(fastBurn)}\`: 95 s`,
    );
    expect(markdown).toContain("- Time to recover: 165 s (");
    expect(markdown).toContain(
      "- Error budget consumed: 4.12 % of the SLO period's availability budget (the most of order).",
    );
    expect(markdown).toContain("- Peak error ratio: 34 %; peak p99: 120 ms.");
    const never = { ...fixture(), detectionSeconds: null, recoverySeconds: null, peakP99Seconds: null };
    never.detectionByAlert = [{ alert: fastBurn, seconds: null }];
    const text = reportMarkdown(never);
    expect(text).toContain("- Time to detect: not detected: an expected alert never fired.");
    expect(text).toContain(`\`${alertLabel(fastBurn)}\`: never fired`);
    expect(text).toContain("- Time to recover: not recovered within the watch.");
    expect(text).toContain("peak p99: no traffic measured.");
  });

  test("a planned experiment lists how its limits were planned (the plan's lines); one with written limits has no such section", () => {
    const planned = reportMarkdown(fixture());
    const lines = definition.plan?.lines ?? [];
    expect(lines.length).toBeGreaterThan(3);
    for (const line of lines) expect(planned).toContain(`- ${line}`);
    expect(planned.indexOf("## How the limits were planned")).toBeLessThan(
      planned.indexOf("## Verdict per hypothesis line"),
    );
    const written = reportMarkdown({ ...fixture(), definition: { ...definition, plan: undefined } });
    expect(written).not.toContain("## How the limits were planned");
  });

  test("a fault left behind is said loudly in the cleanup section", () => {
    const report = { ...fixture(), cleanup: { faultRemoved: false, detail: "product did not answer" } };
    expect(reportMarkdown(report)).toContain("Fault removed: **NO — remove it by hand** (product did not answer).");
  });

  test("a pipe in a statement does not break the table", () => {
    const report = fixture();
    report.lines = [{ statement: 'rate{code=~"5..|429"}', passed: true, measured: 1, limit: 2 }];
    expect(tableUnder(reportMarkdown(report), "Verdict per hypothesis line")[0]?.[0]).toBe('rate{code=~"5..\\|429"}');
  });
});

describe("reportBaseName", () => {
  test("the experiment and its start in UTC without colons or milliseconds", () => {
    const report = { ...fixture(), startedAt: "2025-03-04T11:00:00.789+01:00" };
    expect(reportBaseName(report)).toBe("product-errors-2025-03-04T10-00-00Z");
  });

  test("a bad experiment name or start time is an error naming the field and what is allowed", () => {
    expect(() => reportBaseName({ ...fixture(), experiment: "../Product errors" })).toThrow(
      "report.experiment: must be a DNS label (lower-case letters, digits and '-', at most 63), got \"../Product errors\"",
    );
    expect(() => reportBaseName({ ...fixture(), startedAt: "yesterday" })).toThrow(
      'report.startedAt: must be an ISO time such as 2025-01-31T10:00:00Z, got "yesterday"',
    );
    expect(() => reportMarkdown({ ...fixture(), faultEndedAt: "" })).toThrow(
      "report.faultEndedAt: must be an ISO time",
    );
  });
});

type Layer = {
  name?: string;
  data: { values: Record<string, unknown>[] };
  mark: { type: string } | string;
  encoding?: any;
};
const chartsOf = (spec: Record<string, unknown>) => spec.vconcat as { layer: Layer[] }[];
const markType = (l: Layer) => (typeof l.mark === "string" ? l.mark : l.mark.type);

describe("timelineSpec", () => {
  const report = fixture();
  const spec = timelineSpec(report);

  test("every chart shades the fault window: 0 to its 180 s on the x axis of seconds from the fault's start, with the report's times", () => {
    const charts = chartsOf(spec);
    expect(charts).toHaveLength(3);
    for (const chart of charts) {
      const window = chart.layer.find((l) => l.name === "fault-window") as Layer;
      expect([markType(window), window.data.values]).toEqual([
        "rect",
        [{ from: 0, to: 180, start: report.faultStartedAt, end: report.faultEndedAt }],
      ]);
      expect(window.encoding.x.field).toBe("from");
      expect(window.encoding.x2.field).toBe("to");
    }
    // the x domain covers the run from its start (30 s before the fault) and reaches both limits
    const line = charts[0]?.layer.find((l) => markType(l) === "line") as Layer;
    const h = definition.hypothesis;
    expect(line.encoding.x.scale.domain).toEqual([-30, Math.max(180 + h.maxRecoverSeconds, h.maxDetectSeconds)]);
  });

  test("error ratio and p99 have a series for every SLI service, at the samples' times", () => {
    const [errors, p99] = chartsOf(spec).map((c) => c.layer.find((l) => markType(l) === "line") as Layer);
    for (const service of report.definition.hypothesis.sliServices) {
      const own = report.samples.filter((s) => s.service === service);
      expect(errors?.data.values.filter((v) => v.service === service).map((v) => [v.t, v.error])).toEqual(
        own.map((s) => [s.t - FAULT_START, s.errorRatio]),
      );
      expect(p99?.data.values.filter((v) => v.service === service).map((v) => v.p99)).toEqual(
        own.map((s) => (s.p99Seconds as number) * 1000),
      );
      expect(errors?.encoding.color.scale.domain).toContain(service);
    }
    // product is sampled too (the target), and keeps its colour beside order's
    expect(errors?.encoding.color.scale).toEqual({ domain: ["order", "product"], range: ["#4c78a8", "#f58518"] });
  });

  test("an SLI service without a single sample still has its colour (an empty series, not a missing one)", () => {
    const quiet = { ...fixture(), samples: [] };
    quiet.definition = { ...quiet.definition, hypothesis: { ...quiet.definition.hypothesis, sliServices: ["user"] } };
    const line = chartsOf(timelineSpec(quiet))[0]?.layer.find((l) => markType(l) === "line") as Layer;
    expect(line.data.values).toEqual([]);
    expect(line.encoding.color.scale.domain).toContain("user");
  });

  test("each watched alert is a row of state bands, one per change, from its first observation past its last", () => {
    const alertChart = chartsOf(spec)[2] as { layer: Layer[] };
    const bands = alertChart.layer.find((l) => markType(l) === "rect" && l.name !== "fault-window") as Layer;
    // rows are short enough for the chart: the alert name and its label values
    expect(bands.encoding.y.sort).toEqual([
      `must fire: ${fastBurn.alertname} (${Object.values(fastBurn.labels).join(", ")})`,
      `must not fire: ${slowBurn.alertname} (${Object.values(slowBurn.labels).join(", ")})`,
    ]);
    const page = bands.data.values.filter(
      (b) => b.row === `must fire: ${fastBurn.alertname} (${Object.values(fastBurn.labels).join(", ")})`,
    );
    // the last observation, taken at the end of the run (420 s), lasts one sampling interval: to 435 s
    // one band per state change, contiguous, active exactly while the fixture's page fired
    expect(page.map((b) => [b.state, b.from, b.to])).toEqual([
      ["absent", -30, 105],
      ["active", 105, 330],
      ["absent", 330, 435],
    ]);
    expect(bands.data.values.some((b) => b.state === "suppressed")).toBe(true);
  });

  test("measured detection and recovery are solid rules, their limits dashed, at fault start + detect and fault end + recover", () => {
    const rules = chartsOf(spec)[0]?.layer.find((l) => markType(l) === "rule") as Layer;
    expect(rules.data.values).toEqual([
      { x: 95, what: "detected", kind: "measured" },
      { x: definition.hypothesis.maxDetectSeconds, what: "detect limit", kind: "limit" },
      { x: 180 + 165, what: "recovered", kind: "measured" },
      { x: 180 + definition.hypothesis.maxRecoverSeconds, what: "recover limit", kind: "limit" },
    ]);
  });
});

describe("writeReport", () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), "chaos-report-"));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test("writes <experiment>-<timestamp>.json, .md and .png into a new folder; the JSON reads back as the report", async () => {
    const report = fixture();
    const out = path.join(dir, "nested", "out");
    const files = await writeReport(report, out);
    const base = path.join(out, "product-errors-2025-03-04T10-00-00Z");
    expect(files).toEqual({ json: `${base}.json`, markdown: `${base}.md`, png: `${base}.png` });
    expect(JSON.parse(readFileSync(files.json, "utf8"))).toEqual(report);
    const markdown = readFileSync(files.markdown, "utf8");
    expect(markdown).toBe(reportMarkdown(report));
    expect(markdown).toContain(`](${path.basename(files.png)})`);

    const png = readFileSync(files.png);
    expect(png.subarray(0, 8)).toEqual(PNG_SIGNATURE);
    // rendered at twice the chart size: three 640-wide charts stacked, with axes, legends and titles
    const [width, height] = [png.readUInt32BE(16), png.readUInt32BE(20)];
    expect(width).toBeGreaterThan(2 * 640);
    expect(width).toBeLessThan(2 * 1400);
    expect(height).toBeGreaterThan(2 * (160 + 160 + 2 * 22));
    expect(height).toBeLessThan(2 * 1200);
    expect(png.length).toBeLessThan(1024 * 1024);
  });
});
