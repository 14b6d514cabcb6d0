import { COST_ALERTS, COST_LABELS, COST_RECORDS, LABELS } from "../../contract";
import { costRuleGroups } from "../../infra/alerting/cost-rules";
import { ruleGroupsFor } from "../../infra/alerting/rule-set";
import {
  buildCostDashboard,
  costDashboardOptions,
  currencyUnit,
  SIZING_RATIO_COLUMNS,
} from "../../infra/dashboards/cost";
import { COST_DASHBOARD_KEY, type GeneratedDashboard } from "../../infra/dashboards/dashboards";
import { Dashboards } from "../../infra/dashboards/dashboards-component";
import { promqlMetricNames, promqlProblems, substituteGrafanaVariables } from "../../infra/dashboards/query-check";
import { namespaces } from "../../infra/platform/naming";
import { collectResources } from "../../infra/preflight/collect";
import {
  configs,
  expectDescribedPrometheusPanels,
  panelsOf,
  STACKS,
  type Stack,
  selectorsOf,
  variablesOf,
  withCapacity,
} from "./built";

const costOf = (stack: Stack) =>
  withCapacity[stack].find((d) => d.uid === `${stack}-${COST_DASHBOARD_KEY}`) as GeneratedDashboard;
const panel = (d: GeneratedDashboard, title: string) => {
  const found = panelsOf(d).find((p) => p.title === title);
  if (!found) throw new Error(`no panel "${title}" on ${d.uid}`);
  return found;
};
const stepsOf = (p: any) => p.fieldConfig.defaults.thresholds.steps;
/** The panels' queries, without the annotations every dashboard shares (checked in dashboards.test.ts). */
const panelQueries = (d: GeneratedDashboard) => d.queries.filter((q) => !q.panel.startsWith("annotation:"));
/** Records the stack's rules write (ruleGroupsFor: what the Pulumi program deploys). */
const recordedBy = (stack: Stack) =>
  new Set(
    ruleGroupsFor(configs[stack], namespaces(configs[stack])).flatMap((g) =>
      g.rules.flatMap((r) => (r.record ? [r.record] : [])),
    ),
  );

describe("cost dashboard", () => {
  test.each(STACKS)(
    "%s: <stack>-cost, titled and tagged with its environment; environment, namespace and service variables, no route or status",
    (stack) => {
      const d = costOf(stack);
      expect(d.uid).toBe(`${stack}-cost`);
      expect(d.title).toBe(`Cost (${stack})`);
      expect(d.json.tags).toEqual(expect.arrayContaining(["observability-platform", stack, "cost"]));
      const vars = Object.fromEntries(variablesOf(d).map((v) => [v.name, v]));
      expect(vars.environment).toMatchObject({ type: "constant", query: stack });
      expect(vars.namespace).toMatchObject({ type: "constant", query: `obs-${stack}-apps` });
      expect(vars.platform_namespace).toMatchObject({ type: "constant", query: `obs-${stack}-platform` });
      expect(vars.service).toMatchObject({ type: "query" });
      expect([vars.route, vars.status]).toEqual([undefined, undefined]);
    },
  );

  test("every panel has a title, description, unit and Prometheus targets; panel ids are unique", () => {
    expectDescribedPrometheusPanels(costOf("prod"), 20);
  });

  test.each(STACKS)("%s: every query parses as PromQL after variable substitution", (stack) => {
    const problems = costOf(stack).queries.flatMap((q) =>
      promqlProblems(substituteGrafanaVariables(q.expr)).map((p) => `${q.panel}: ${p}`),
    );
    expect(problems).toEqual([]);
  });

  test.each(STACKS)(
    "%s: the panels read only cost records of contract/cost.ts that the stack's rules record, and most of them",
    (stack) => {
      const contract = new Set<string>(Object.values(COST_RECORDS));
      const recorded = recordedBy(stack);
      const read = new Set(
        panelQueries(costOf(stack)).flatMap((q) => promqlMetricNames(substituteGrafanaVariables(q.expr))),
      );
      expect([...read].filter((name) => !contract.has(name) || !recorded.has(name))).toEqual([]);
      // every record a reader of the dashboard asks about: cost, budget, right-sizing, telemetry (not prices,
      // attribution or the rules' intermediate series)
      const R = COST_RECORDS;
      const shown = [
        ...[R.environmentHourly, R.teamHourly, R.namespaceHourly, R.workloadHourly, R.storageHourly, R.scopeHourly],
        ...[R.idleHourly, R.monthToDate, R.monthForecast, R.monthlyBudget],
        ...[R.cpuRequestCores, R.cpuRecommendedCores, R.cpuRequestToRecommendation],
        ...[R.memoryRequestBytes, R.memoryRecommendedBytes, R.memoryRequestToRecommendation],
        ...[R.activeSeries, R.samplesPerSecond, R.logBytesPerSecond, R.spansReceivedPerSecond, R.spansKeptPerSecond],
      ];
      expect(shown.filter((name) => !read.has(name))).toEqual([]);
      expect(recorded.has(`${COST_RECORDS.workloadHourly}_misspelt`)).toBe(false); // the check can fail
    },
  );

  test.each(STACKS)(
    "%s: every selector stays in the environment: its own namespaces, or its environment label on environment-wide records",
    (stack) => {
      const allowed = [
        { label: "namespace", op: "=", value: "$namespace" },
        { label: "namespace", op: "=~", value: "$namespace|$platform_namespace" },
        { label: COST_LABELS.environment, op: "=", value: "$environment" },
      ];
      const keep = { namespace: "$namespace", platform_namespace: "$platform_namespace", environment: "$environment" };
      const outside: string[] = [];
      for (const q of panelQueries(costOf(stack))) {
        for (const s of selectorsOf(q, substituteGrafanaVariables(q.expr, keep))) {
          const ok = s.matchers.some((m) =>
            allowed.some((a) => a.label === m.label && a.op === m.op && a.value === m.value),
          );
          if (!ok) outside.push(`${q.panel}: ${s.text}`);
        }
      }
      expect(outside).toEqual([]);
    },
  );

  test("queries and links use only the dashboard's variables and Grafana's built-in ones", () => {
    const d = costOf("staging");
    const declared = new Set(variablesOf(d).map((v) => v.name));
    const text = JSON.stringify(panelsOf(d).map((p) => [p.targets, p.fieldConfig]));
    const used = [...text.matchAll(/\$\{?(\w+)/g)].map((m) => m[1] as string);
    expect(used.length).toBeGreaterThan(20);
    expect([...new Set(used)].filter((name) => !declared.has(name) && !name.startsWith("__"))).toEqual([]);
  });

  test.each([
    ["dev", 150],
    ["staging", 600],
    ["prod", 3000],
  ] as const)(
    "%s: the budget line is cost.monthlyBudget (%d): the recorded budget's rule, the dashed thresholds at 80 %% and 100 %%, the stats",
    (stack, budget) => {
      const d = costOf(stack);
      const chart = panel(d, "Month to date and forecast vs budget");
      expect(stepsOf(chart)).toEqual([
        { value: null, color: "green" },
        { value: budget * 0.8, color: "orange" },
        { value: budget, color: "red" },
      ]);
      expect(chart.fieldConfig.defaults.custom.thresholdsStyle).toEqual({ mode: "dashed" });
      const line = chart.targets.find((t: any) => t.legendFormat === "budget");
      expect(promqlMetricNames(substituteGrafanaVariables(line.expr))).toEqual([COST_RECORDS.monthlyBudget]);
      const rule = costRuleGroups(configs[stack], namespaces(configs[stack]))
        .flatMap((g) => g.rules)
        .find((r) => r.record === COST_RECORDS.monthlyBudget);
      expect([rule?.expr, rule?.labels]).toEqual([`vector(${budget})`, { environment: stack }]);
      for (const title of ["Monthly at the current rate", "Month to date", "Forecast for the month"])
        expect(stepsOf(panel(d, title)).map((s: any) => s.value)).toEqual([null, budget * 0.8, budget]);
      // the hourly rate at which a 730-hour month reaches 80 % and 100 % of the budget, to 6 decimals
      expect(stepsOf(panel(d, "Hourly cost")).map((s: any) => s.value)).toEqual([
        null,
        Math.round(((budget * 0.8) / 730) * 1e6) / 1e6,
        Math.round((budget / 730) * 1e6) / 1e6,
      ]);
      expect(stepsOf(panel(d, "Forecast ÷ budget")).map((s: any) => s.value)).toEqual([null, 0.8, 1]);
    },
  );

  test("the budget alerts fire at the lines the dashboard draws: the ticket at 0.8 of the budget, the page at the budget", () => {
    const rules = costRuleGroups(configs.dev, namespaces(configs.dev)).flatMap((g) => g.rules);
    const alert = (name: string) => rules.find((r) => r.alert === name)?.expr ?? "";
    expect(alert(COST_ALERTS.budgetForecast)).toContain(`(0.8 * ${COST_RECORDS.monthlyBudget})`);
    expect(alert(COST_ALERTS.budgetExceeded)).toMatch(
      new RegExp(`>= on \\(environment\\) ${COST_RECORDS.monthlyBudget}$`),
    );
  });

  test("money is in the configured currency: Grafana's currency unit where it has one, else the code after the value", () => {
    expect([currencyUnit("USD"), currencyUnit("EUR"), currencyUnit("CAD")]).toEqual([
      "currencyUSD",
      "currencyEUR",
      "suffix: CAD",
    ]);
    const units = (d: GeneratedDashboard) => panelsOf(d).map((p) => p.fieldConfig.defaults.unit as string);
    const usd = units(costOf("dev")).filter((u) => u === "currencyUSD").length;
    expect(usd).toBeGreaterThanOrEqual(10);
    const options = costDashboardOptions({ ...configs.dev, cost: { ...configs.dev.cost, currency: "CAD" } });
    const cad = units(buildCostDashboard("dev", options));
    expect([cad.filter((u) => u === "suffix: CAD").length, cad.filter((u) => u.startsWith("currency")).length]).toEqual(
      [usd, 0],
    );
    expect(panel(costOf("dev"), "Monthly by team").fieldConfig.defaults.unit).toBe("currencyUSD");
  });

  test("monthly figures are hourly records × 730 hours", () => {
    const d = costOf("prod");
    for (const title of ["Monthly at the current rate", "Monthly by team", "Monthly by namespace"]) {
      for (const t of panel(d, title).targets) expect(t.expr).toMatch(/ \* 730$/);
    }
  });

  test("the right-sizing table: one row per namespace/workload/container, request next to recommendation, ratios coloured at the alerts' 1× and 2×", () => {
    const table = panel(costOf("prod"), "Right-sizing: requests vs recommendations per container");
    expect(table.type).toBe("table");
    const read = table.targets.map((t: any) => [
      t.instant,
      t.format,
      promqlMetricNames(substituteGrafanaVariables(t.expr))[0],
    ]);
    expect(read).toEqual(
      [
        COST_RECORDS.cpuRequestCores,
        COST_RECORDS.cpuRecommendedCores,
        COST_RECORDS.cpuRequestToRecommendation,
        COST_RECORDS.memoryRequestBytes,
        COST_RECORDS.memoryRecommendedBytes,
        COST_RECORDS.memoryRequestToRecommendation,
      ].map((name) => [true, "table", name]),
    );
    for (const t of table.targets) expect(t.expr).toMatch(/^sum by \(namespace, workload, container\) \(/);
    expect(table.transformations.map((t: any) => t.id)).toEqual(["merge", "organize", "organize", "sortBy"]);
    expect(SIZING_RATIO_COLUMNS).toEqual(["CPU request ÷ recommended", "memory request ÷ recommended"]);
    for (const column of SIZING_RATIO_COLUMNS) {
      const override = table.fieldConfig.overrides.find((o: any) => o.matcher.options === column);
      const thresholds = override.properties.find((p: any) => p.id === "thresholds").value;
      expect(thresholds.steps).toEqual([
        { value: null, color: "red" },
        { value: 1, color: "green" },
        { value: 2, color: "orange" },
      ]);
      expect(override.properties).toContainEqual({ id: "custom.cellOptions", value: { type: "color-background" } });
      expect(override.properties).toContainEqual({ id: "unit", value: "suffix:×" });
    }
    // the alerts compare the same ratios with the same numbers
    const rules = costRuleGroups(configs.prod, namespaces(configs.prod)).flatMap((g) => g.rules);
    expect(rules.find((r) => r.alert === COST_ALERTS.overProvisioned)?.expr).toContain(" > 2");
    expect(rules.find((r) => r.alert === COST_ALERTS.underProvisioned)?.expr).toContain(" < 1");
  });

  test("telemetry volume is per service of the selected services, and each service series links to its dashboards, logs and traces", () => {
    const d = costOf("prod");
    const titles = [
      "Active series per service",
      "Samples scraped per second per service",
      "Log bytes per second per service",
      "Spans per second per service: received and kept",
    ];
    for (const title of titles) {
      const p = panel(d, title);
      for (const t of p.targets) {
        expect(t.expr).toMatch(new RegExp(`^sum by \\(${LABELS.service}\\) \\(service:`));
        expect(t.expr).toContain(`namespace="$namespace",${LABELS.service}=~"$service"`);
        expect(t.legendFormat).toContain(`{{${LABELS.service}}}`);
      }
      expect(p.fieldConfig.defaults.links.map((l: any) => l.title)).toHaveLength(4);
    }
  });
});

describe("Dashboards component with cost settings", () => {
  test("adds the cost dashboard's ConfigMap, with the JSON the stack builds", async () => {
    const config = configs.staging;
    const { resources } = await collectResources("staging", {}, () => {
      new Dashboards("dashboards", {
        settings: costDashboardOptions(config).settings,
        namespace: "obs-staging-platform",
        labels: {},
        cost: costDashboardOptions(config),
      });
      return {};
    });
    const configMaps = resources.filter((r) => r.type === "kubernetes:core/v1:ConfigMap");
    expect(configMaps.map((c) => c.name)).toContain("dashboards-staging-cost");
    const cost = configMaps.find((c) => c.name === "dashboards-staging-cost");
    expect(JSON.parse(cost?.inputs.data["staging-cost.json"])).toEqual(costOf("staging").json);
  });
});
