import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { stringify } from "yaml";
import { CHAOS_LABELS, CHAOS_METRICS, CHAOS_PUSH_JOB } from "../../contract";
import { AGGREGATE_RECORDS, SLO_RECORDS } from "../../infra/alerting/names";
import { CATALOGUE } from "../../infra/chaos/catalogue";
import type { Experiment } from "../../infra/chaos/experiments";
import { CHAOS_MESH_METRICS, catalogueLimits, WITHIN_LIMIT } from "../../infra/dashboards/chaos";
import type { DashboardQuery, GeneratedDashboard } from "../../infra/dashboards/dashboards";
import { promqlMetricNames, substituteGrafanaVariables } from "../../infra/dashboards/query-check";
import { namespaces } from "../../infra/platform/naming";
import { run, toolAvailable } from "../support/tools";
import { byUid, configs, openingValues, panel, panelsOf, STACKS, selectorsOf } from "./built";

const chaosOf = (stack: (typeof STACKS)[number]) => byUid(stack, "chaos");
const annotationsOf = (d: GeneratedDashboard) => (d.json.annotations as { list: any[] }).list;

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

describe("catalogueLimits", () => {
  test("one constant series per experiment that has the limit, labelled with its name; none for the others", () => {
    const detect = catalogueLimits(CATALOGUE, (e) =>
      e.hypothesis.mustFire.length ? e.hypothesis.maxDetectSeconds : undefined,
    );
    const pairs = [...detect.matchAll(/label_replace\(vector\(([\d.]+)\), "experiment", "([a-z0-9-]+)", "", ""\)/g)];
    const expected = CATALOGUE.filter((e) => e.hypothesis.mustFire.length > 0).map((e) => [
      e.hypothesis.maxDetectSeconds,
      e.name,
    ]);
    expect(pairs.map((m) => [Number(m[1]), m[2]])).toEqual(expected);
    expect(expected.length).toBeLessThan(CATALOGUE.length); // some experiments expect no alert
    expect(detect.split(" or ")).toHaveLength(expected.length);
  });

  test("a limit no experiment has is an error, not an empty query", () => {
    expect(() => catalogueLimits(CATALOGUE as Experiment[], () => undefined)).toThrow(
      "catalogueLimits: no experiment in the catalogue has this limit",
    );
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

  const pushedSeries = (
    metric: string,
    experiment: string,
    target: string,
    value: number,
    namespace = ns.platform,
  ) => ({
    series: `${metric}{namespace="${namespace}",job="${CHAOS_PUSH_JOB}",instance="",${CHAOS_LABELS.experiment}="${experiment}",${CHAOS_LABELS.target}="${target}",${CHAOS_LABELS.runTarget}="local"}`,
    values: `${value}x30`,
  });
  const run1 = (experiment: string, target: string, r: Record<string, number>) =>
    Object.entries(r).map(([metric, value]) => pushedSeries(metric, experiment, target, value));
  const input = [
    ...run1("product-errors", "product", {
      [CHAOS_METRICS.hypothesisPassed]: 1,
      [CHAOS_METRICS.detection]: 90,
      [CHAOS_METRICS.recovery]: 240,
      [CHAOS_METRICS.budgetConsumed]: 0.05,
      [CHAOS_METRICS.faultStart]: 600,
      [CHAOS_METRICS.faultEnd]: 780,
    }),
    ...run1("product-killed", "product", {
      [CHAOS_METRICS.hypothesisPassed]: 0,
      [CHAOS_METRICS.detection]: 300,
      [CHAOS_METRICS.recovery]: 150,
      [CHAOS_METRICS.budgetConsumed]: 0.01,
      [CHAOS_METRICS.faultStart]: 1200,
      [CHAOS_METRICS.faultEnd]: 1260,
    }),
    // no alert must fire: nothing to detect, no detection pushed
    ...run1("user-cpu-stress", "user", { [CHAOS_METRICS.hypothesisPassed]: 1, [CHAOS_METRICS.recovery]: 60 }),
    // another environment's Pushgateway in the same Prometheus
    pushedSeries(CHAOS_METRICS.detection, "product-errors", "product", 1, "obs-prod-platform"),
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
  const limitOf = (name: string, pick: (e: Experiment) => number) =>
    pick(CATALOGUE.find((e) => e.name === name) as Experiment);

  test("the bars: each experiment's last measured value over its catalogue limit; none where nothing must be detected", () => {
    const detectOf = (name: string) => limitOf(name, (e) => e.hypothesis.maxDetectSeconds);
    const recoverOf = (name: string) => limitOf(name, (e) => e.hypothesis.maxRecoverSeconds);
    const result = promtool([
      at("10m", query("Time to detect ÷ its limit, last run"), [
        { labels: '{experiment="product-errors"}', value: 90 / detectOf("product-errors") },
        { labels: '{experiment="product-killed"}', value: 300 / detectOf("product-killed") },
      ]),
      at("10m", query("Time to recover ÷ its limit, last run"), [
        { labels: '{experiment="product-errors"}', value: 240 / recoverOf("product-errors") },
        { labels: '{experiment="product-killed"}', value: 150 / recoverOf("product-killed") },
        { labels: '{experiment="user-cpu-stress"}', value: 60 / recoverOf("user-cpu-stress") },
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

  test("the table's limit columns: the catalogue limit on each pushed experiment's row", () => {
    const row = (experiment: string, target: string) =>
      `{experiment="${experiment}",${CHAOS_LABELS.runTarget}="local",target="${target}"}`;
    const result = promtool([
      at("10m", query("Last run of each experiment against its hypothesis", 2), [
        {
          labels: row("product-errors", "product"),
          value: limitOf("product-errors", (e) => e.hypothesis.maxDetectSeconds),
        },
        {
          labels: row("product-killed", "product"),
          value: limitOf("product-killed", (e) => e.hypothesis.maxDetectSeconds),
        },
      ]),
      at("10m", query("Last run of each experiment against its hypothesis", 6), [
        {
          labels: row("product-errors", "product"),
          value: limitOf("product-errors", (e) => e.hypothesis.maxBudgetConsumed),
        },
        {
          labels: row("product-killed", "product"),
          value: limitOf("product-killed", (e) => e.hypothesis.maxBudgetConsumed),
        },
        {
          labels: row("user-cpu-stress", "user"),
          value: limitOf("user-cpu-stress", (e) => e.hypothesis.maxBudgetConsumed),
        },
      ]),
    ]);
    expect(result.output).toContain("SUCCESS");
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
