import { COST_ALERTS, COST_RECORDS } from "../../contract";
import { costRuleGroups, KPS_POD_OWNER_RECORD } from "../../infra/alerting/cost-rules";
import { ruleGroupsFor } from "../../infra/alerting/rule-set";
import type { Rule } from "../../infra/alerting/rules";
import { parseStackConfig, type StackConfig } from "../../infra/config/schema";
import { promqlProblems } from "../../infra/dashboards/query-check";
import { namespaces } from "../../infra/platform/naming";
import { stackConfigFile } from "../../infra/preflight/collect";

const STACKS = ["dev", "staging", "prod"] as const;
const configOf = (stack: string, edit: (c: Record<string, any>) => void = () => {}): StackConfig => {
  const c = JSON.parse(stackConfigFile(stack)["observability-platform:platform"] as string);
  edit(c);
  return parseStackConfig(c);
};
const rulesOf = (config: StackConfig) => costRuleGroups(config, namespaces(config)).flatMap((g) => g.rules);
const recordsNamed = (rules: Rule[], name: string) => rules.filter((r) => r.record === name);
const alertNamed = (rules: Rule[], name: string) => rules.find((r) => r.alert === name);

describe("cost rules", () => {
  test("every record and alert name is one of the contract's, and every contract name is written", () => {
    const rules = rulesOf(configOf("prod"));
    const records = new Set(rules.flatMap((r) => (r.record ? [r.record] : [])));
    const alerts = new Set(rules.flatMap((r) => (r.alert ? [r.alert] : [])));
    expect([...records].sort()).toEqual(Object.values(COST_RECORDS).sort());
    expect([...alerts].sort()).toEqual(Object.values(COST_ALERTS).sort());
  });

  test.each(STACKS)("%s: every expression parses as PromQL with the lezer grammar", (stack) => {
    const problems = rulesOf(configOf(stack)).flatMap((r) =>
      promqlProblems(r.expr).map((p) => `${r.record ?? r.alert}: ${p}`),
    );
    expect(problems).toEqual([]);
  });

  test("the cost groups are part of the stack's rule set", () => {
    const config = configOf("staging");
    const names = ruleGroupsFor(config, namespaces(config)).map((g) => g.name);
    expect(names).toEqual(expect.arrayContaining(costRuleGroups(config, namespaces(config)).map((g) => g.name)));
  });

  test("a record name appears once per label set (promtool's duplicate-rule lint)", () => {
    const keys = rulesOf(configOf("prod"))
      .filter((r) => r.record)
      .map((r) => `${r.record}${JSON.stringify(r.labels ?? {})}`);
    expect(new Set(keys).size).toBe(keys.length);
  });

  test("prices come from the stack config: CPU, memory, and each storage class per GiB-month ÷ 730 hours", () => {
    const rules = rulesOf(
      configOf("prod", (c) => {
        c.cost = { ...c.cost, cpuCoreHour: 0.05, memoryGiBHour: 0.006, storageGiBMonth: { default: 0.1, io2: 0.125 } };
      }),
    );
    expect(recordsNamed(rules, COST_RECORDS.cpuPrice).map((r) => r.expr)).toEqual(["vector(0.05)"]);
    expect(recordsNamed(rules, COST_RECORDS.memoryPrice).map((r) => r.expr)).toEqual(["vector(0.006)"]);
    expect(recordsNamed(rules, COST_RECORDS.storagePrice).map((r) => [r.labels?.storageclass, r.expr])).toEqual([
      ["default", "vector(0.1 / 730)"],
      ["io2", "vector(0.125 / 730)"],
    ]);
  });

  test("the budget record is the stack's monthlyBudget, labelled with its environment", () => {
    const [budget] = recordsNamed(rulesOf(configOf("staging")), COST_RECORDS.monthlyBudget);
    expect(budget).toEqual({
      record: COST_RECORDS.monthlyBudget,
      expr: "vector(600)",
      labels: { environment: "staging" },
    });
  });

  test("unlabelled pods and namespaces are charged to the stack's own team, environment and cost center", () => {
    const config = configOf("dev", (c) => {
      c.team = "payments";
      c.costCenter = "cc-42";
    });
    const expr = recordsNamed(rulesOf(config), COST_RECORDS.namespaceAttribution)[0]?.expr;
    expect(expr).toContain('"team", "payments", "team", "")');
    expect(expr).toContain('"environment", "dev", "environment", "")');
    expect(expr).toContain('"cost_center", "cc-42", "cost_center", "")');
  });

  test("workloads are attributed through kube-prometheus-stack's pod-owner record; the platform namespace is scope platform", () => {
    const rules = rulesOf(configOf("staging"));
    expect(recordsNamed(rules, COST_RECORDS.cpuBilledCores)[0]?.expr).toContain(KPS_POD_OWNER_RECORD);
    for (const r of recordsNamed(rules, COST_RECORDS.workloadHourly)) {
      expect(r.expr).toContain('"cost_scope", "platform", "namespace", "obs-staging-platform")');
    }
  });

  test("right-sizing follows cost.rightSizing: the CPU percentile and the memory margin over the window", () => {
    const rules = rulesOf(
      configOf("prod", (c) => {
        c.cost = { ...c.cost, rightSizing: { window: "3d", cpuQuantile: 0.9, memoryMarginPercent: 30 } };
      }),
    );
    expect(recordsNamed(rules, COST_RECORDS.cpuRecommendedCores)[0]?.expr).toContain(
      `quantile_over_time(0.9, ${COST_RECORDS.cpuUsagePerPodCores}[3d])`,
    );
    expect(recordsNamed(rules, COST_RECORDS.memoryRecommendedBytes)[0]?.expr).toContain(
      `max_over_time(${COST_RECORDS.memoryUsagePerPodBytes}[3d]) * 1.3`,
    );
  });

  test("right-sizing tickets after a day above 2× or below 1× the recommendation, only in the stack's own namespaces", () => {
    const rules = rulesOf(configOf("prod"));
    const over = alertNamed(rules, COST_ALERTS.overProvisioned);
    const under = alertNamed(rules, COST_ALERTS.underProvisioned);
    const own = '{namespace=~"obs-prod-apps|obs-prod-platform"}';
    expect(over?.expr).toBe(
      `${COST_RECORDS.cpuRequestToRecommendation}${own} > 2 or ${COST_RECORDS.memoryRequestToRecommendation}${own} > 2`,
    );
    expect(under?.expr).toBe(
      `${COST_RECORDS.cpuRequestToRecommendation}${own} < 1 or ${COST_RECORDS.memoryRequestToRecommendation}${own} < 1`,
    );
    for (const a of [over, under]) expect([a?.for, a?.labels?.severity]).toEqual(["1d", "ticket"]);
  });

  test("the budget ticket compares the forecast with 80 % of the budget; the page the month to date with all of it", () => {
    const rules = rulesOf(configOf("prod"));
    const forecast = alertNamed(rules, COST_ALERTS.budgetForecast);
    const exceeded = alertNamed(rules, COST_ALERTS.budgetExceeded);
    expect(forecast?.expr).toBe(
      `${COST_RECORDS.monthForecast} >= on (environment) (0.8 * ${COST_RECORDS.monthlyBudget})`,
    );
    expect(exceeded?.expr).toBe(`${COST_RECORDS.monthToDate} >= on (environment) ${COST_RECORDS.monthlyBudget}`);
    expect([forecast?.labels?.severity, exceeded?.labels?.severity]).toEqual(["ticket", "page"]);
    expect(forecast?.annotations?.description).toContain("(3000 USD)");
  });

  test("span volumes read the environment's own collector, not Jaeger (which exports the same metric names)", () => {
    const rules = rulesOf(configOf("dev"));
    const ratio = recordsNamed(rules, COST_RECORDS.spansKeptRatio)[0]?.expr;
    expect(ratio).toContain('otelcol_receiver_accepted_spans_total{namespace="obs-dev-platform",job="otel-collector"');
    expect(recordsNamed(rules, COST_RECORDS.spansReceivedPerSecond)[0]?.expr).toContain(
      'traces_span_metrics_calls_total{namespace="obs-dev-platform",job="otel-collector"}',
    );
  });
});
