import { COST_ALERTS, COST_LABELS, COST_RECORDS, type CostScope, LABELS, METRICS } from "../../contract";
import type { StackConfig } from "../config/schema";
import { ALLOY_SHIPPED_LOG_BYTES_METRIC } from "../logging/alloy-config";
import { type Namespaces, PLATFORM_SERVICES } from "../platform/naming";
import type { Rule, RuleGroup } from "./rules";
import { runbook } from "./rules";

/*
 * The cost model (docs/cost.md) as recording rules and alerts. Inputs: kube-state-metrics (requests, phases,
 * pod and namespace labels, claims), cAdvisor (usage) and kube-prometheus-stack's own pod-owner record, all of
 * which the chart runs; prices and the budget come from the stack config `cost`.
 */

/** kube-prometheus-stack's record (group k8s.rules.pod_owner, on by default): each pod's owning workload. */
export const KPS_POD_OWNER_RECORD = "namespace_workload_pod:kube_pod_owner:relabel";
/** Hours a month is billed as (365 × 24 / 12): a GiB-month price ÷ this is its GiB-hour price. */
export const HOURS_PER_MONTH = 730;
/** Right-sizing alerts: request above this multiple of the recommendation, or below the recommendation, for a day. */
export const OVER_PROVISIONED_RATIO = 2;
export const UNDER_PROVISIONED_RATIO = 1;
export const RIGHT_SIZING_FOR = "1d";
/** Floors of a recommendation, near KRR's defaults (10 millicores, 100 MB): below them it is noise. */
export const MIN_CPU_CORES = 0.01;
export const MIN_MEMORY_BYTES = 100 * 2 ** 20;
/** The budget ticket fires when the month's forecast reaches this share of `cost.monthlyBudget`. */
export const BUDGET_FORECAST_SHARE = 0.8;
export const BUDGET_FORECAST_FOR = "1h";
export const BUDGET_EXCEEDED_FOR = "15m";
/** The forecast extends the average hourly cost of this window to the month's end (a day smooths the daily cycle). */
export const RUN_RATE_WINDOW = "1d";

const L = COST_LABELS;
const R = COST_RECORDS;
const GIB = 2 ** 30;
const who = `${L.team}, ${L.environment}, ${L.costCenter}`;
const podKey = "namespace, pod";
const containerKey = "namespace, pod, container";

/** `label_*` of kube-state-metrics (its allowlist sanitises `cost-center` to `label_cost_center`) → our label names. */
const fromKsmLabels = (expr: string) =>
  [
    [L.team, "label_team"],
    [L.environment, "label_environment"],
    [L.costCenter, "label_cost_center"],
  ].reduce((e, [to, from]) => `label_replace(${e}, "${to}", "$1", "${from}", "(.+)")`, expr);

/** Sets the stack's own team/environment/cost_center where a series has none. */
const withDefaults = (expr: string, config: StackConfig) =>
  [
    [L.team, config.team],
    [L.environment, config.environment],
    [L.costCenter, config.costCenter],
  ].reduce((e, [label, value]) => `label_replace(${e}, "${label}", "${value}", "${label}", "")`, expr);

/** The larger of two vectors with the same labels (PromQL has no element-wise max): tag each side, then max. */
const maxOf = (by: string, a: string, b: string) =>
  `max by (${by}) (label_replace(${a}, "source", "a", "", "") or label_replace(${b}, "source", "b", "", ""))`;

/** Scope of a cost series from its namespace: the environment's platform namespace, else workload. */
const withScope = (expr: string, ns: Namespaces) => {
  const platform: CostScope = "platform";
  const workload: CostScope = "workload";
  return `label_replace(label_replace(${expr}, "${L.scope}", "${workload}", "", ""), "${L.scope}", "${platform}", "namespace", "${ns.platform}")`;
};

type Resource = "cpu" | "memory";
const IDLE: CostScope = "idle";

/** Requests of running pods per container (kube-state-metrics: cores, bytes); finished and pending pods cost nothing. */
const requests = (resource: Resource) =>
  `(max by (${containerKey}) (kube_pod_container_resource_requests{resource="${resource}",container!=""}) * on (${podKey}) group_left () (max by (${podKey}) (kube_pod_status_phase{phase="Running"}) == 1))`;

/** Usage per container from cAdvisor; container="" is the pod's cgroup and "POD" the pause container. */
const usage = (resource: Resource) =>
  resource === "cpu"
    ? `sum by (${containerKey}) (rate(container_cpu_usage_seconds_total{container!="",container!="POD"}[5m]))`
    : `max by (${containerKey}) (container_memory_working_set_bytes{container!="",container!="POD"})`;

/** Per-pod-container series attributed to its workload and payer. */
const attributed = (expr: string) =>
  `${expr} * on (${podKey}) group_left (${L.workload}) max by (namespace, ${L.workload}, pod) (${KPS_POD_OWNER_RECORD}) * on (${podKey}) group_left (${who}) ${R.podAttribution}`;

const perWorkloadContainer = `namespace, ${L.workload}, ${L.container}, ${who}`;
const perWorkload = `namespace, ${L.workload}, ${who}`;

/** Price per unit-hour of a resource, and the divisor from the recorded unit (bytes) to the priced one (GiB). */
const priceOf = (resource: Resource) =>
  resource === "cpu" ? { price: R.cpuPrice, unit: "" } : { price: R.memoryPrice, unit: ` / ${GIB}` };

/** Prices, attribution, billed resources and the hourly cost per workload, claim, namespace, scope, team, environment. */
function costGroup(config: StackConfig, ns: Namespaces): RuleGroup {
  const c = config.cost;
  const storagePrices: Rule[] = Object.entries(c.storageGiBMonth).map(([storageclass, perMonth]) => ({
    record: R.storagePrice,
    expr: `vector(${perMonth} / ${HOURS_PER_MONTH})`,
    labels: { storageclass },
  }));
  const billed = (resource: Resource): Rule => ({
    record: resource === "cpu" ? R.cpuBilledCores : R.memoryBilledBytes,
    expr: `sum by (${perWorkloadContainer}) (${attributed(maxOf(containerKey, requests(resource), usage(resource)))})`,
  });
  const hourly = (resource: Resource): Rule => {
    const { price, unit } = priceOf(resource);
    const billedRecord = resource === "cpu" ? R.cpuBilledCores : R.memoryBilledBytes;
    return {
      record: R.workloadHourly,
      expr: withScope(`sum by (${perWorkload}) (${billedRecord})${unit} * on () group_left () ${price}`, ns),
      labels: { [L.resource]: resource },
    };
  };
  // requested but unused: request − usage where positive (no usage series counts as none used)
  const idle = (resource: Resource): Rule => {
    const { price, unit } = priceOf(resource);
    const unused = `clamp_min(${requests(resource)} - (${usage(resource)} or ${requests(resource)} * 0), 0)`;
    return {
      record: R.idleHourly,
      expr: `sum by (${perWorkload}) (${attributed(unused)})${unit} * on () group_left () ${price}`,
      labels: { [L.resource]: resource },
    };
  };
  const usagePerPod = (resource: Resource): Rule => ({
    record: resource === "cpu" ? R.cpuUsagePerPodCores : R.memoryUsagePerPodBytes,
    expr: `max by (namespace, ${L.workload}, ${L.container}) (${usage(resource)} * on (${podKey}) group_left (${L.workload}) max by (namespace, ${L.workload}, pod) (${KPS_POD_OWNER_RECORD}))`,
  });
  // A claim's class price; classes the config does not list take its `default`.
  const claims = `max by (namespace, persistentvolumeclaim, storageclass) (kube_persistentvolumeclaim_resource_requests_storage_bytes * on (namespace, persistentvolumeclaim) group_left (storageclass) max by (namespace, persistentvolumeclaim, storageclass) (kube_persistentvolumeclaim_info)) / ${GIB}`;
  const claimCost = `(${claims} * on (storageclass) group_left () ${R.storagePrice} or ${claims} * on () group_left () ${R.storagePrice}{storageclass="default"})`;
  const billedSeries = `${R.workloadHourly} or ${R.storageHourly}`;

  return {
    name: "cost",
    rules: [
      { record: R.cpuPrice, expr: `vector(${c.cpuCoreHour})` },
      { record: R.memoryPrice, expr: `vector(${c.memoryGiBHour})` },
      ...storagePrices,
      {
        record: R.namespaceAttribution,
        expr: withDefaults(`max by (namespace, ${who}) (${fromKsmLabels("kube_namespace_labels")})`, config),
      },
      {
        // a pod with any of the labels of its own is attributed by them, else by its namespace's
        record: R.podAttribution,
        expr: withDefaults(
          `max by (${podKey}, ${who}) (${fromKsmLabels('kube_pod_labels{label_team!=""} or kube_pod_labels{label_environment!=""} or kube_pod_labels{label_cost_center!=""}')}) or on (${podKey}) (group by (${podKey}) (kube_pod_labels) * on (namespace) group_left (${who}) ${R.namespaceAttribution})`,
          config,
        ),
      },
      billed("cpu"),
      billed("memory"),
      usagePerPod("cpu"),
      usagePerPod("memory"),
      hourly("cpu"),
      hourly("memory"),
      {
        record: R.storageHourly,
        expr: withScope(`${claimCost} * on (namespace) group_left (${who}) ${R.namespaceAttribution}`, ns),
        labels: { [L.resource]: "storage" },
      },
      idle("cpu"),
      idle("memory"),
      { record: R.namespaceHourly, expr: `sum by (namespace, ${L.environment}, ${L.scope}) (${billedSeries})` },
      {
        // workload + platform is the billed cost; idle is the unused part of it (the scopes overlap: never add all three)
        record: R.scopeHourly,
        expr: `sum by (${L.scope}, ${L.environment}) (${billedSeries}) or label_replace(sum by (${L.environment}) (${R.idleHourly}), "${L.scope}", "${IDLE}", "", "")`,
      },
      { record: R.teamHourly, expr: `sum by (${L.environment}, ${L.team}) (${billedSeries})` },
      { record: R.environmentHourly, expr: `sum by (${L.environment}) (${billedSeries})` },
    ],
  };
}

/** Hours since the first of this month, 00:00 UTC (PromQL's calendar functions are UTC). */
const HOURS_ELAPSED = "((day_of_month() - 1) * 24 + hour() + minute() / 60)";
/** How long an outage the month to date bridges (at the hourly cost after it); longer ones restart from an estimate. */
export const MONTH_TO_DATE_BRIDGE = "1d";

/**
 * Month to date, forecast and the budget alerts. PromQL has no range that starts at a calendar date, so the
 * month to date accumulates: each evaluation adds the current hourly cost × the time since the previous one
 * (recorded next to it), and the month's first evaluation starts again. With no previous value this month (a
 * new month, a fresh Prometheus, or one down longer than MONTH_TO_DATE_BRIDGE) it starts from an estimate: the
 * current hourly cost × the hours elapsed. The forecast adds the last day's average hourly cost × the hours left.
 */
function budgetGroup(config: StackConfig): RuleGroup {
  const env = `on (${L.environment})`;
  const mtd = R.monthToDate;
  const previousAt = `last_over_time(${R.monthToDateEvaluatedAt}[${MONTH_TO_DATE_BRIDGE}])`;
  const previous = `(last_over_time(${mtd}[${MONTH_TO_DATE_BRIDGE}]) and on () (month(${previousAt}) == month()))`;
  const since = `(${R.environmentHourly} * on () group_left () (time() - ${previousAt})) / 3600`;
  const budget = `${config.cost.monthlyBudget} ${config.cost.currency}`;
  const percent = BUDGET_FORECAST_SHARE * 100;
  return {
    name: "cost-budget",
    rules: [
      {
        record: R.monthlyBudget,
        expr: `vector(${config.cost.monthlyBudget})`,
        labels: { [L.environment]: config.environment },
      },
      {
        record: mtd,
        expr: `${previous} + ${env} (${since} or ${previous} * 0) or ${R.environmentHourly} * on () group_left () ${HOURS_ELAPSED}`,
      },
      // after the month to date, which reads the previous evaluation's time
      { record: R.monthToDateEvaluatedAt, expr: "vector(time())" },
      {
        record: R.monthForecast,
        expr: `${mtd} + ${env} (avg_over_time(${R.environmentHourly}[${RUN_RATE_WINDOW}]) * on () group_left () (days_in_month() * 24 - ${HOURS_ELAPSED}))`,
      },
      {
        alert: COST_ALERTS.budgetForecast,
        expr: `${R.monthForecast} >= ${env} (${BUDGET_FORECAST_SHARE} * ${R.monthlyBudget})`,
        for: BUDGET_FORECAST_FOR,
        labels: { severity: "ticket" },
        annotations: {
          summary: `{{ $labels.environment }} is forecast to spend over ${percent}% of its monthly budget`,
          description: `The month to date plus the last ${RUN_RATE_WINDOW}'s average hourly cost until the month's end reaches ${percent}% of cost.monthlyBudget (${budget}) and has for ${BUDGET_FORECAST_FOR}. See the cost dashboard for what grew.`,
          runbook_url: runbook(COST_ALERTS.budgetForecast),
        },
      },
      {
        alert: COST_ALERTS.budgetExceeded,
        expr: `${mtd} >= ${env} ${R.monthlyBudget}`,
        for: BUDGET_EXCEEDED_FOR,
        labels: { severity: "page" },
        annotations: {
          summary: "{{ $labels.environment }} has spent its monthly budget",
          description: `The cost accrued since the first of the month (UTC) has reached cost.monthlyBudget (${budget}).`,
          runbook_url: runbook(COST_ALERTS.budgetExceeded),
        },
      },
    ],
  };
}

/**
 * Right-sizing in the manner of KRR: CPU at a high percentile of the busiest pod's usage over the window,
 * memory at its peak plus a margin, against the current request per pod (the largest among the workload's
 * running pods). It reads the recorded per-pod usage, not raw cAdvisor series, every 5 minutes.
 */
function rightSizingGroup(config: StackConfig, ns: Namespaces): RuleGroup {
  const { window, cpuQuantile, memoryMarginPercent } = config.cost.rightSizing;
  const key = `namespace, ${L.workload}, ${L.container}`;
  const request = (resource: Resource) =>
    `max by (${key}) (${requests(resource)} * on (${podKey}) group_left (${L.workload}) max by (namespace, ${L.workload}, pod) (${KPS_POD_OWNER_RECORD}))`;
  // a fresh object per rule: shared ones become YAML anchors in the rule files
  const cpu = () => ({ [L.resource]: "cpu" });
  const memory = () => ({ [L.resource]: "memory" });
  const own = `{namespace=~"${ns.apps}|${ns.platform}"}`;
  const ratios = `${R.cpuRequestToRecommendation}${own}`;
  const memRatios = `${R.memoryRequestToRecommendation}${own}`;
  const alert = (name: string, op: string, threshold: number, what: string): Rule => ({
    alert: name,
    expr: `${ratios} ${op} ${threshold} or ${memRatios} ${op} ${threshold}`,
    for: RIGHT_SIZING_FOR,
    labels: { severity: "ticket" },
    annotations: {
      summary: `{{ $labels.workload }}/{{ $labels.container }} requests ${what} the {{ $labels.resource }} it needs`,
      description: `For ${RIGHT_SIZING_FOR} the {{ $labels.resource }} request of container {{ $labels.container }} of {{ $labels.workload }} in {{ $labels.namespace }} has been ${what} its recommendation (CPU: the ${Math.round(cpuQuantile * 1000) / 10}th percentile of the busiest pod's usage over ${window}; memory: its peak + ${memoryMarginPercent}%). The cost dashboard's right-sizing table shows both.`,
      runbook_url: runbook(name),
    },
  });
  return {
    name: "cost-right-sizing",
    interval: "5m",
    rules: [
      { record: R.cpuRequestCores, expr: request("cpu"), labels: cpu() },
      { record: R.memoryRequestBytes, expr: request("memory"), labels: memory() },
      {
        record: R.cpuRecommendedCores,
        expr: `clamp_min(quantile_over_time(${cpuQuantile}, ${R.cpuUsagePerPodCores}[${window}]), ${MIN_CPU_CORES})`,
        labels: cpu(),
      },
      {
        record: R.memoryRecommendedBytes,
        expr: `clamp_min(max_over_time(${R.memoryUsagePerPodBytes}[${window}]) * ${1 + memoryMarginPercent / 100}, ${MIN_MEMORY_BYTES})`,
        labels: memory(),
      },
      { record: R.cpuRequestToRecommendation, expr: `${R.cpuRequestCores} / ${R.cpuRecommendedCores}`, labels: cpu() },
      {
        record: R.memoryRequestToRecommendation,
        expr: `${R.memoryRequestBytes} / ${R.memoryRecommendedBytes}`,
        labels: memory(),
      },
      alert(COST_ALERTS.overProvisioned, ">", OVER_PROVISIONED_RATIO, `more than ${OVER_PROVISIONED_RATIO}×`),
      alert(COST_ALERTS.underProvisioned, "<", UNDER_PROVISIONED_RATIO, "less than"),
    ],
  };
}

/**
 * Telemetry volume per service, the drivers of observability cost. Scrape targets are named by their job (a
 * service's ServiceMonitor makes it the Service's name); spans per service come from the collector's span
 * metrics (every span, before sampling). Tail sampling keeps whole traces and reports no per-service counts,
 * so spans kept per service are the received ones × the environment's kept ratio (errors and slow traces
 * are kept more often than that share: it is an estimate).
 */
function telemetryGroup(ns: Namespaces): RuleGroup {
  const svc = LABELS.service;
  const by = `sum by (namespace, ${svc})`;
  const asService = (expr: string) => `label_replace(${expr}, "${svc}", "$1", "job", "(.+)")`;
  const collector = `namespace="${ns.platform}",job="${PLATFORM_SERVICES.collector.name}"`;
  const sent = `sum(rate(otelcol_exporter_sent_spans_total{${collector},exporter=~".*jaeger.*"}[5m]))`;
  const accepted = `sum(rate(otelcol_receiver_accepted_spans_total{${collector},receiver="otlp"}[5m]))`;
  return {
    name: "cost-telemetry",
    rules: [
      // samples per scrape = series the target exposes after relabelling
      { record: R.activeSeries, expr: `${by} (${asService("scrape_samples_post_metric_relabeling")})` },
      {
        record: R.samplesPerSecond,
        expr: `${by} (${asService("sum_over_time(scrape_samples_post_metric_relabeling[5m])")}) / 300`,
      },
      {
        // what Loki ingests: Alloy's count of the bytes it ships per service (after the noise is dropped; the
        // scrape renames the lines' namespace label exported_namespace), else the services' own count of what they
        // write (a stack without Alloy: the local demo)
        record: R.logBytesPerSecond,
        expr: `${by} (label_replace(rate(${ALLOY_SHIPPED_LOG_BYTES_METRIC}{${svc}!=""}[5m]), "namespace", "$1", "exported_namespace", "(.+)")) or ${by} (rate(${METRICS.logBytes}[5m]))`,
      },
      {
        // the spans' own namespace where their resource says it, else the collector's
        record: R.spansReceivedPerSecond,
        expr: `${by} (label_replace(rate(traces_span_metrics_calls_total{${collector}}[5m]), "namespace", "$1", "k8s_namespace_name", "(.+)"))`,
      },
      { record: R.spansKeptRatio, expr: `${sent} / (${accepted} > 0)` },
      {
        record: R.spansKeptPerSecond,
        expr: `${R.spansReceivedPerSecond} * on () group_left () ${R.spansKeptRatio}`,
      },
    ],
  };
}

/** Every cost rule group of a stack: cost, budget, right-sizing, telemetry volume. */
export function costRuleGroups(config: StackConfig, ns: Namespaces): RuleGroup[] {
  return [costGroup(config, ns), budgetGroup(config), rightSizingGroup(config, ns), telemetryGroup(ns)];
}
