import { readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { METRICS } from "../../contract";
import { AGGREGATE_RECORDS, CAPACITY_RECORDS } from "../../infra/alerting/names";
import { GIB } from "../../infra/capacity/sizing";
import { CHARTS } from "../../infra/charts/pins";
import { chartDefaultsDir } from "../../infra/charts/values-check";
import { parseStackConfig } from "../../infra/config/schema";
import { loadStackConfig } from "../../infra/config/stack-file";
import { buildCapacityDashboard, CAPACITY_METRICS, capacityDashboardOptions } from "../../infra/dashboards/capacity";
import {
  DASHBOARD_VARIABLES,
  dashboardPanels,
  dashboardSettings,
  type GeneratedDashboard,
} from "../../infra/dashboards/dashboards";
import { Dashboards } from "../../infra/dashboards/dashboards-component";
import { promqlMetricNames, promqlProblems, substituteGrafanaVariables } from "../../infra/dashboards/query-check";
import { collectResources, stackConfigFile } from "../../infra/preflight/collect";
import { expectDescribedPrometheusPanels } from "./built";

const STACKS = ["dev", "staging", "prod"] as const;
const configOf = (stack: string) =>
  parseStackConfig(JSON.parse(stackConfigFile(stack)["observability-platform:platform"] as string));
const built = Object.fromEntries(
  STACKS.map((s) => [s, buildCapacityDashboard(s, capacityDashboardOptions(configOf(s)))]),
) as Record<(typeof STACKS)[number], GeneratedDashboard>;
const panelsOf = (d: GeneratedDashboard) => dashboardPanels(d.json).filter((p) => p.type !== "row") as any[];
const panel = (d: GeneratedDashboard, title: string) => panelsOf(d).find((p) => p.title === title);

describe("capacity dashboard", () => {
  test("is <environment>-capacity, tagged and titled with its environment, with the environment and service variables", () => {
    for (const stack of STACKS) {
      const d = built[stack];
      expect(d.uid).toBe(`${stack}-capacity`);
      expect(d.title).toBe(`Capacity (${stack})`);
      expect(d.json.tags).toEqual(expect.arrayContaining(["observability-platform", stack, "capacity"]));
      const names = ((d.json.templating as any).list as any[]).map((v) => v.name);
      expect(names).toEqual(expect.arrayContaining([DASHBOARD_VARIABLES.environment, DASHBOARD_VARIABLES.service]));
    }
  });

  test("every panel has a title, description, unit and Prometheus targets; panel ids are unique", () => {
    expectDescribedPrometheusPanels(built.prod, 12);
  });

  test("every stat panel has explicit thresholds with more than one step", () => {
    const stats = panelsOf(built.prod).filter((p) => p.type === "stat");
    expect(stats.length).toBeGreaterThanOrEqual(4);
    for (const p of stats) {
      expect([p.title, p.fieldConfig.defaults.thresholds?.mode]).toEqual([p.title, "absolute"]);
      expect(p.fieldConfig.defaults.thresholds.steps.length).toBeGreaterThan(1);
    }
  });

  test("the headroom stat turns yellow where CapacityHeadroomLow fires: 1 - 1/1.3 of capacity left", () => {
    const steps = panel(built.prod, "Headroom by service").fieldConfig.defaults.thresholds.steps;
    expect(steps).toEqual([
      { value: null, color: "red" },
      { value: 0.1, color: "yellow" },
      { value: 0.2308, color: "green" },
    ]);
  });

  test.each(STACKS)("%s: every query parses as PromQL after variable substitution", (stack) => {
    const problems = built[stack].queries.flatMap((q) =>
      promqlProblems(substituteGrafanaVariables(q.expr)).map((p) => `${q.panel}: ${p}`),
    );
    expect(problems).toEqual([]);
  });

  test("every metric is a recording rule, a contract metric or an allow-listed metric, and the allow-list is all used", () => {
    const records = new Set<string>([...Object.values(CAPACITY_RECORDS), AGGREGATE_RECORDS.requestRate]);
    const contract = new Set<string>(Object.values(METRICS));
    const allowed = new Set<string>(CAPACITY_METRICS);
    const used = new Set<string>();
    const unknown: string[] = [];
    // the shared annotations (alerts, pod starts) are checked with the other dashboards
    const queries = STACKS.flatMap((s) => built[s].queries).filter((q) => !q.panel.startsWith("annotation:"));
    for (const q of queries) {
      const names = promqlMetricNames(substituteGrafanaVariables(q.expr));
      for (const name of names) {
        used.add(name);
        if (!records.has(name) && !contract.has(name) && !allowed.has(name)) unknown.push(`${q.panel}: ${name}`);
      }
    }
    expect(unknown).toEqual([]);
    expect(CAPACITY_METRICS.filter((name) => !used.has(name))).toEqual([]);
    expect(promqlMetricNames("sum(rate(not_a_metric[5m]))")).toEqual(["not_a_metric"]); // the check can fail
  });

  test("rate queries use $__rate_interval", () => {
    const rates = built.prod.queries.filter((q) => /\brate\(/.test(q.expr));
    expect(rates.length).toBeGreaterThan(0);
    for (const q of rates) expect(q.expr).toContain("[$__rate_interval]");
  });

  test("storage panels follow the stack: Prometheus and Loki in dev, Jaeger too where it stores on disk, at the configured limits", () => {
    const limits = (stack: (typeof STACKS)[number]) =>
      panel(built[stack], "Store usage vs limit")
        .targets.filter((t: { legendFormat: string }) => t.legendFormat.endsWith("limit"))
        .map((t: { legendFormat: string; expr: string }) => [t.legendFormat, t.expr]);
    expect(limits("dev")).toEqual([
      ["prometheus limit", `vector(${4 * GIB})`],
      ["loki limit", `vector(${5 * GIB})`],
    ]);
    // distributed prod: Loki's chunks are in object storage and Jaeger's spans in OpenSearch, no local store limit
    expect(limits("prod")).toEqual([["prometheus limit", `vector(${160 * GIB})`]]);
    const days = panel(built.staging, "Days until full");
    expect(days.targets.map((t: { expr: string }) => t.expr)).toEqual(
      expect.arrayContaining([
        expect.stringContaining(
          `deriv((sum(increase(loki_ingester_chunk_stored_bytes_total{namespace="obs-staging-platform"}[${loadStackConfig("staging").logs.retentionDays}d]))`,
        ),
      ]),
    );
  });

  test("saturation panels select the stack's apps namespace", () => {
    const cpu = panel(built.staging, "CPU used vs requested and limit by service");
    for (const t of cpu.targets) expect(t.expr).toContain('namespace="obs-staging-apps",container=~"$service"');
  });
});

// The kube-state-metrics, cAdvisor and kubelet names must be real: kube-prometheus-stack's own rules and
// dashboards query each of them. The stores' size metrics are not in the chart; their sources are named in
// docs/capacity.md (Prometheus 3 tsdb, Loki's ingester, the collector's exporter metrics).
const chartDir = chartDefaultsDir();
const kps =
  chartDir && path.join(chartDir, `${CHARTS.kubePrometheusStack.chart}-${CHARTS.kubePrometheusStack.version}`);
const withChart = kps || process.env.REQUIRE_CHART_DEFAULTS === "1" ? test : test.skip;

function chartText(dir: string): string {
  return readdirSync(dir)
    .map((name) => path.join(dir, name))
    .map((file) => (statSync(file).isDirectory() ? chartText(file) : readFileSync(file, "utf8")))
    .join("\n");
}

withChart(
  "the Kubernetes metrics on the dashboard are ones kube-prometheus-stack's own rules or dashboards query",
  () => {
    const text = chartText(path.join(kps as string, "templates"));
    const kubernetes = CAPACITY_METRICS.filter((name) => /^(kube_|container_|kubelet_)/.test(name));
    expect(kubernetes.length).toBe(9);
    expect(kubernetes.filter((name) => !new RegExp(`\\b${name}\\b`).test(text))).toEqual([]);
    expect(/\bkube_horizontalpodautoscaler_status_nonsense\b/.test(text)).toBe(false);
  },
);

describe("Dashboards component with capacity settings", () => {
  test("adds the capacity dashboard as a seventh ConfigMap", async () => {
    const config = configOf("staging");
    const { resources } = await collectResources("staging", {}, () => {
      new Dashboards("dashboards", {
        settings: dashboardSettings(config),
        namespace: "obs-staging-platform",
        labels: {},
        capacity: capacityDashboardOptions(config),
      });
      return {};
    });
    const configMaps = resources.filter((r) => r.type === "kubernetes:core/v1:ConfigMap");
    expect(configMaps).toHaveLength(7);
    const capacity = configMaps.find((c) => c.name === "dashboards-staging-capacity");
    expect(JSON.parse(capacity?.inputs.data["staging-capacity.json"])).toEqual(built.staging.json);
  });
});
