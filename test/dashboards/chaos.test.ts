import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { stringify } from "yaml";
import { type PushedReport, pushBody } from "../../apps/chaos/push";
import { CHAOS_LABELS, CHAOS_METRICS, CHAOS_PUSH_JOB } from "../../contract";
import { AGGREGATE_RECORDS, SLO_RECORDS } from "../../infra/alerting/names";
import type { Experiment } from "../../infra/chaos/experiments";
import { stackPlan } from "../../infra/chaos/plan";
import { CHAOS_MESH_METRICS, WITHIN_LIMIT } from "../../infra/dashboards/chaos";
import type { DashboardQuery, GeneratedDashboard } from "../../infra/dashboards/dashboards";
import { promqlMetricNames, substituteGrafanaVariables } from "../../infra/dashboards/query-check";
import { namespaces } from "../../infra/platform/naming";
import { run, toolAvailable } from "../support/tools";
import { byUid, configs, openingValues, panel, panelsOf, STACKS, selectorsOf } from "./built";

const chaosOf = (stack: (typeof STACKS)[number]) => byUid(stack, "chaos");
const annotationsOf = (d: GeneratedDashboard) => (d.json.annotations as { list: any[] }).list;
const TABLE = "Last run of each experiment against its hypothesis";
const metricsOf = (q: DashboardQuery) => promqlMetricNames(substituteGrafanaVariables(q.expr));

/** The catalogue as the dev stack plans it: the limits a run there is judged by. */
const planned = stackPlan(configs.dev);
const plannedOf = (name: string) => {
  const found = planned.find((e) => e.name === name);
  if (!found) throw new Error(`no experiment ${name} in the catalogue`);
  return found;
};
const iso = (unixSeconds: number) => new Date(unixSeconds * 1000).toISOString();

/** A run as the runner reports it to push.ts: measured values, the fault window (Unix seconds), its plan. */
function runOf(
  definition: Experiment,
  m: { passed: boolean; detection: number | null; recovery: number; budget: number; fault: [number, number] },
): PushedReport {
  return {
    experiment: definition.name,
    target: definition.target,
    runTarget: "local",
    faultStartedAt: iso(m.fault[0]),
    faultEndedAt: iso(m.fault[1]),
    detectionSeconds: m.detection,
    recoverySeconds: m.recovery,
    budgetConsumed: m.budget,
    passed: m.passed,
    definition,
  };
}

/** Metric names in a push body (what the Pushgateway then exposes). */
const pushedNames = (body: string) =>
  body
    .split("\n")
    .filter((l) => l && !l.startsWith("#"))
    .map((l) => l.split("{")[0] as string);

describe("chaos dashboard", () => {
  test.each(STACKS)(
    "%s: <stack>-chaos, titled and tagged with its environment, opening on the last 24 hours",
    (stack) => {
      const d = chaosOf(stack);
      expect([d.uid, d.title, (d.json.time as { from: string }).from]).toEqual([
        `${stack}-chaos`,
        `Chaos game days (${stack})`,
        "now-24h",
      ]);
      expect(d.json.tags).toEqual(expect.arrayContaining(["observability-platform", stack, "chaos"]));
    },
  );

  test("rows: the last game day, history, Chaos Mesh, the services during experiments", () => {
    const rows = (chaosOf("prod").json.panels as any[]).filter((p) => p.type === "row").map((p) => p.title);
    expect(rows).toEqual([
      "Last game day of each experiment",
      "History",
      "Chaos Mesh",
      "The services during experiments",
    ]);
  });

  test("pushed results are read in the platform namespace by target, Chaos Mesh's counts of the apps namespace's objects, the SLIs in the apps namespace", () => {
    const d = chaosOf("staging");
    const pushed = new Set<string>(Object.values(CHAOS_METRICS));
    const mesh = new Set<string>(CHAOS_MESH_METRICS);
    const seen = { pushed: 0, mesh: 0, services: 0 };
    for (const q of d.queries.filter(
      (x) =>
        !["Firing alerts", "Fault injection", "Pod starts (deploys, restarts)"].some(
          (a) => x.panel === `annotation: ${a}`,
        ),
    )) {
      // the variables stay visible; only the ranges get values the parser accepts
      const expr = substituteGrafanaVariables(q.expr, {
        namespace: "$namespace",
        platform_namespace: "$platform_namespace",
        service: "$service",
      });
      for (const s of selectorsOf(q, expr)) {
        const name = promqlMetricNames(substituteGrafanaVariables(s.text))[0] as string;
        const matchers = Object.fromEntries(s.matchers.map((m) => [m.label, `${m.op}${m.value}`]));
        if (pushed.has(name)) {
          seen.pushed += 1;
          expect([q.panel, matchers]).toEqual([
            q.panel,
            { namespace: "=$platform_namespace", [CHAOS_LABELS.target]: "=~$service" },
          ]);
        } else if (mesh.has(name)) {
          seen.mesh += 1;
          expect([q.panel, matchers]).toEqual([
            q.panel,
            { namespace: "=$platform_namespace", exported_namespace: "=$namespace" },
          ]);
        } else {
          seen.services += 1;
          expect([q.panel, matchers.namespace]).toEqual([q.panel, "=$namespace"]);
        }
      }
    }
    expect(seen.pushed).toBeGreaterThan(15);
    expect(seen.mesh).toBe(3);
    expect(seen.services).toBeGreaterThanOrEqual(6);
  });

  test("it reads every result the runner pushes, every Chaos Mesh metric it lists, the SLO records and the aggregates", () => {
    const names = new Set(
      chaosOf("prod").queries.flatMap((q) => promqlMetricNames(substituteGrafanaVariables(q.expr))),
    );
    const expected = [
      ...Object.values(CHAOS_METRICS),
      ...CHAOS_MESH_METRICS,
      SLO_RECORDS.errorRatio("5m"),
      SLO_RECORDS.currentBurnRate,
      SLO_RECORDS.burnRate1h,
      AGGREGATE_RECORDS.errorRatio,
      AGGREGATE_RECORDS.latencyQuantile("p99"),
    ];
    expect(expected.filter((n) => !names.has(n))).toEqual([]);
  });

  test("the bars are green within the limit, yellow from 80 % of it, red only beyond it", () => {
    const bars = panelsOf(chaosOf("prod")).filter((p) => p.type === "bargauge");
    expect(bars.map((p) => p.title)).toEqual([
      "Time to detect ÷ its limit, last run",
      "Time to recover ÷ its limit, last run",
      "Budget consumed ÷ its limit, last run",
    ]);
    for (const p of bars) expect(p.fieldConfig.defaults.thresholds.steps).toEqual(WITHIN_LIMIT);
  });

  test("the availability SLI is drawn against each stack's own objective", () => {
    const steps = (stack: (typeof STACKS)[number]) =>
      panel(chaosOf(stack), "Availability SLI (5m) by service").fieldConfig.defaults.thresholds.steps;
    expect(steps("prod")[1].value).toBe(configs.prod.slo.availability);
    expect(steps("dev")[1].value).toBe(configs.dev.slo.availability);
    expect(configs.prod.slo.availability).not.toBe(configs.dev.slo.availability);
  });

  test("annotations: the shared three, then the fault windows shaded (step values) and every run's start and end (value as time)", () => {
    const list = annotationsOf(chaosOf("prod"));
    expect(list.map((a) => [a.name, a.useValueForTime ?? false])).toEqual([
      ["Firing alerts", false],
      ["Fault injection", false],
      ["Pod starts (deploys, restarts)", true],
      ["Chaos fault windows (latest run per experiment)", false],
      ["Chaos fault starts and ends", true],
    ]);
    for (const a of list.slice(3)) {
      expect(a.expr).toContain(CHAOS_METRICS.faultStart);
      expect(a.expr).toContain(CHAOS_METRICS.faultEnd);
    }
  });
});

describe("the limits: pushed with each run, not taken from the catalogue", () => {
  const d = chaosOf("staging");
  const queriesOf = (title: string) => d.queries.filter((q) => q.panel === title);

  test("the table's limit columns and fault length read the pushed limit metrics, one each", () => {
    const columns = queriesOf(TABLE).map(metricsOf);
    expect([columns[2], columns[4], columns[6], columns[8]]).toEqual([
      [CHAOS_METRICS.detectionLimit],
      [CHAOS_METRICS.recoveryLimit],
      [CHAOS_METRICS.budgetLimit],
      [CHAOS_METRICS.faultDuration],
    ]);
  });

  test("each bar is the last run's measurement over the last run's pushed limit of the same experiment", () => {
    const bars = [
      ["Time to detect ÷ its limit, last run", CHAOS_METRICS.detection, CHAOS_METRICS.detectionLimit],
      ["Time to recover ÷ its limit, last run", CHAOS_METRICS.recovery, CHAOS_METRICS.recoveryLimit],
      ["Budget consumed ÷ its limit, last run", CHAOS_METRICS.budgetConsumed, CHAOS_METRICS.budgetLimit],
    ];
    const by = `max by \\(${CHAOS_LABELS.experiment}\\)`;
    for (const [title, measured, limit] of bars) {
      const [q] = queriesOf(title as string) as [DashboardQuery];
      const shape = new RegExp(
        `^${by} \\(${measured}\\{[^}]*\\}\\) / on \\(${CHAOS_LABELS.experiment}\\) ${by} \\(${limit}\\{[^}]*\\}\\)$`,
      );
      expect([title, q.expr]).toEqual([title, expect.stringMatching(shape)]);
    }
  });

  test("every result and limit the dashboard reads is one push.ts writes for a run where an alert must fire", () => {
    const run = runOf(plannedOf("product-errors"), {
      passed: true,
      detection: 90,
      recovery: 240,
      budget: 0.05,
      fault: [600, 780],
    });
    expect(run.definition.hypothesis.mustFire.length).toBeGreaterThan(0);
    const written = new Set(pushedNames(pushBody(run)));
    const contract = new Set<string>(Object.values(CHAOS_METRICS));
    const read = [...new Set(d.queries.flatMap(metricsOf))].filter((n) => contract.has(n));
    expect(read).toEqual(
      expect.arrayContaining([CHAOS_METRICS.detectionLimit, CHAOS_METRICS.recoveryLimit, CHAOS_METRICS.budgetLimit]),
    );
    expect(read.filter((n) => !written.has(n))).toEqual([]);
  });
});

// The queries evaluated by real PromQL (promtool's expression tests) on series shaped as the Pushgateway's scrape stores them.
const describePromtool = toolAvailable("promtool") ? describe : describe.skip;

describePromtool("chaos dashboard queries on pushed results (promtool)", () => {
  const d = chaosOf("dev");
  const ns = namespaces(configs.dev);
  const values = { ...openingValues(d), service: ".+" };
  const exprOf = (q: DashboardQuery | undefined) => substituteGrafanaVariables((q as DashboardQuery).expr, values);
  const query = (title: string, index = 0) => exprOf(d.queries.filter((q) => q.panel === title)[index]);
  let dir = "";
  beforeAll(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), "promtool-chaos-dashboard-"));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /** A push body as Prometheus stores it after scraping the Pushgateway: the group's and scrape's labels added. */
  const scraped = (run: PushedReport, namespace = ns.platform) =>
    pushBody(run)
      .split("\n")
      .filter((l) => l && !l.startsWith("#"))
      .map((line) => {
        const [, name, labels, value] = line.match(/^(\w+)\{(.*)\} (\S+)$/) as RegExpMatchArray;
        return {
          series: `${name}{namespace="${namespace}",job="${CHAOS_PUSH_JOB}",instance="",${CHAOS_LABELS.experiment}="${run.experiment}",${labels}}`,
          values: `${value}x30`,
        };
      });
  // the limits are the dev stack's plan; each run is judged by its own
  const withRecoverLimit = (e: Experiment, maxRecoverSeconds: number): Experiment => ({
    ...e,
    hypothesis: { ...e.hypothesis, maxRecoverSeconds },
  });
  const runs = {
    errors: runOf(plannedOf("product-errors"), {
      passed: true,
      detection: 90,
      recovery: 240,
      budget: 0.05,
      fault: [600, 780],
    }),
    killed: runOf(withRecoverLimit(plannedOf("product-killed"), 200), {
      passed: false,
      detection: 300,
      recovery: 150,
      budget: 0.01,
      fault: [1200, 1260],
    }),
    // no alert must fire: nothing to detect, neither detection nor its limit pushed; a recovery limit of its
    // own (the dev plan gives all three 300 s), so a limit matched to the wrong experiment shows
    stress: runOf(withRecoverLimit(plannedOf("user-cpu-stress"), 120), {
      passed: true,
      detection: null,
      recovery: 60,
      budget: 0.001,
      fault: [1500, 1560],
    }),
  };
  const limits = (run: PushedReport) => run.definition.hypothesis;
  const distinct = (pick: (run: PushedReport) => number, of = Object.values(runs)) => new Set(of.map(pick)).size;
  // another environment's Pushgateway in the same Prometheus: the same experiment, larger limits
  const elsewhere = runOf(
    {
      ...runs.errors.definition,
      hypothesis: {
        ...limits(runs.errors),
        maxDetectSeconds: limits(runs.errors).maxDetectSeconds * 10,
        maxBudgetConsumed: limits(runs.errors).maxBudgetConsumed * 10,
      },
    },
    { passed: true, detection: 1, recovery: 1, budget: 0.0001, fault: [60, 120] },
  );
  const input = [
    ...scraped(runs.errors),
    ...scraped(runs.killed),
    ...scraped(runs.stress),
    ...scraped(elsewhere, "obs-prod-platform"),
    {
      series: `chaos_controller_manager_chaos_experiments{namespace="${ns.platform}",exported_namespace="${ns.apps}",kind="PodChaos",phase="running"}`,
      values: "1x30",
    },
    {
      series: `chaos_controller_manager_chaos_experiments{namespace="${ns.platform}",exported_namespace="elsewhere",kind="PodChaos",phase="running"}`,
      values: "5x30",
    },
  ];
  const at = (evalTime: string, expr: string, samples: { labels: string; value: number }[]) => ({
    expr,
    eval_time: evalTime,
    exp_samples: samples,
  });
  const promtool = (cases: ReturnType<typeof at>[]) => {
    const file = path.join(dir, `test-${Math.random().toString(36).slice(2)}.yaml`);
    writeFileSync(
      file,
      stringify({
        rule_files: [],
        evaluation_interval: "1m",
        tests: [{ interval: "1m", input_series: input, promql_expr_test: cases }],
      }),
    );
    return run("promtool", ["test", "rules", file]);
  };
  test("the bars: each experiment's last measured value over the limit pushed with that run; none where nothing must be detected", () => {
    const { errors, killed, stress } = runs;
    // each experiment's limit differs from the others', so dividing by another experiment's would show
    expect([
      distinct((r) => limits(r).maxDetectSeconds, [errors, killed]),
      distinct((r) => limits(r).maxRecoverSeconds),
      distinct((r) => limits(r).maxBudgetConsumed),
      distinct((r) => r.definition.durationSeconds),
    ]).toEqual([2, 3, 3, 3]);
    const result = promtool([
      at("10m", query("Time to detect ÷ its limit, last run"), [
        { labels: '{experiment="product-errors"}', value: 90 / limits(errors).maxDetectSeconds },
        { labels: '{experiment="product-killed"}', value: 300 / limits(killed).maxDetectSeconds },
      ]),
      at("10m", query("Time to recover ÷ its limit, last run"), [
        { labels: '{experiment="product-errors"}', value: 240 / limits(errors).maxRecoverSeconds },
        { labels: '{experiment="product-killed"}', value: 150 / limits(killed).maxRecoverSeconds },
        { labels: '{experiment="user-cpu-stress"}', value: 60 / limits(stress).maxRecoverSeconds },
      ]),
      at("10m", query("Budget consumed ÷ its limit, last run"), [
        { labels: '{experiment="product-errors"}', value: 0.05 / limits(errors).maxBudgetConsumed },
        { labels: '{experiment="product-killed"}', value: 0.01 / limits(killed).maxBudgetConsumed },
        { labels: '{experiment="user-cpu-stress"}', value: 0.001 / limits(stress).maxBudgetConsumed },
      ]),
      at("10m", query("Hypothesis held, last run"), [
        { labels: '{experiment="product-errors"}', value: 1 },
        { labels: '{experiment="product-killed"}', value: 0 },
        { labels: '{experiment="user-cpu-stress"}', value: 1 },
      ]),
    ]);
    expect(result.output).toContain("SUCCESS");
    expect(result.status).toBe(0);
  });

  test("the table's limit columns: the limits pushed with each experiment's run, on its row; no detect limit where none must fire", () => {
    const row = (run: PushedReport) =>
      `{experiment="${run.experiment}",${CHAOS_LABELS.runTarget}="local",target="${run.target}"}`;
    const column = (index: number, value: (run: PushedReport) => number, of = Object.values(runs)) =>
      at(
        "10m",
        query(TABLE, index),
        of.map((run) => ({ labels: row(run), value: value(run) })),
      );
    const result = promtool([
      column(2, (r) => limits(r).maxDetectSeconds, [runs.errors, runs.killed]),
      column(4, (r) => limits(r).maxRecoverSeconds),
      column(6, (r) => limits(r).maxBudgetConsumed),
      column(8, (r) => r.definition.durationSeconds),
    ]);
    expect(result.output).toContain("SUCCESS");
    expect(result.status).toBe(0);
  });

  test("the fault-window annotation is on inside the window (10:00–13:00 of the test) and off outside it; Chaos Mesh counts only the apps namespace", () => {
    const window = exprOf(
      d.queries.find((q) => q.panel === "annotation: Chaos fault windows (latest run per experiment)"),
    );
    const inside = [{ labels: '{experiment="product-errors",target="product"}', value: 600 }];
    const result = promtool([
      at("9m", window, []),
      at("11m", window, inside),
      at("13m", window, inside),
      at("14m", window, []),
      at("10m", query("Chaos Mesh experiments by kind and phase"), [
        { labels: '{kind="PodChaos",phase="running"}', value: 1 },
      ]),
    ]);
    expect(result.output).toContain("SUCCESS");
    // the check can fail: a wrong expectation is reported
    expect(promtool([at("11m", window, [])]).status).not.toBe(0);
  });
});
