/**
 * The contract of cost analysis (docs/cost.md): the recorded cost, right-sizing and telemetry-volume series
 * that the rules write and the dashboard, the alerts and `npm run cost-report` read, and their labels.
 * Every cost series is in the stack's currency per hour unless its name says otherwise.
 */

/** Labels of the cost series: kube-state-metrics' own plus the pod labels exported through its allowlist. */
export const COST_LABELS = {
  namespace: "namespace",
  /** The owning Deployment/StatefulSet/DaemonSet (or the pod when it has no owner). */
  workload: "workload",
  container: "container",
  /** `workload` (the services), `platform` (Prometheus, Loki, Jaeger, collector, Grafana …) or `idle`. */
  scope: "cost_scope",
  /** Resource a cost line is for: cpu, memory or storage. */
  resource: "resource",
  team: "team",
  environment: "environment",
  costCenter: "cost_center",
  /** The Kubernetes pod labels whose values reach the cost series (kube-state-metrics metricLabelsAllowlist). */
  podLabels: ["team", "environment", "cost-center"],
} as const;

/** Values of COST_LABELS.scope. */
export const COST_SCOPES = ["workload", "platform", "idle"] as const;
export type CostScope = (typeof COST_SCOPES)[number];

export const COST_RECORDS = {
  /** Price of one vCPU-hour, one GiB-hour of memory, one GiB-hour of each storage class (from stack config `cost`). */
  cpuPrice: "cost:cpu_core_hour:price",
  memoryPrice: "cost:memory_gib_hour:price",
  /** Per `storageclass` label; the config's price per GiB-month ÷ 730 hours. */
  storagePrice: "cost:storage_gib_hour:price",
  /** The stack's monthly budget (`cost.monthlyBudget`), by environment. */
  monthlyBudget: "cost:monthly_budget:value",

  /** Billed cores per container: max(request, usage). */
  cpuBilledCores: "workload_container:cpu_billed_cores:max",
  /** Billed bytes per container: max(request, working set). */
  memoryBilledBytes: "workload_container:memory_billed_bytes:max",

  /** Hourly cost per workload and resource (cpu, memory), with team/environment/cost_center and scope. */
  workloadHourly: "workload:cost_hourly:sum",
  /** Hourly cost of persistent volume claims per namespace and claim (resource="storage"). */
  storageHourly: "namespace_pvc:cost_hourly:sum",
  /** Hourly cost per namespace: workloads plus claims. */
  namespaceHourly: "namespace:cost_hourly:sum",
  /** Hourly cost requested but unused (request − usage where positive) per workload and resource. */
  idleHourly: "workload:cost_idle_hourly:sum",
  /** Hourly cost per scope (workload, platform, idle) and environment. */
  scopeHourly: "cost_scope:cost_hourly:sum",
  /** Hourly cost per team / per environment (all scopes). */
  teamHourly: "team:cost_hourly:sum",
  environmentHourly: "environment:cost_hourly:sum",

  /** Cost accrued since the first of the current month (UTC), per environment. */
  monthToDate: "environment:cost_month_to_date:sum",
  /** Forecast of the whole month's cost, per environment. */
  monthForecast: "environment:cost_month_forecast:sum",

  /** Right-sizing (KRR-style) per workload and container: the request per pod (largest among running pods) and recommendations. */
  cpuRequestCores: "workload_container:cpu_request_cores:max",
  memoryRequestBytes: "workload_container:memory_request_bytes:max",
  cpuRecommendedCores: "workload_container:cpu_request_recommended_cores:quantile",
  memoryRecommendedBytes: "workload_container:memory_request_recommended_bytes:max",
  /** request ÷ recommendation: above 2 over-provisioned, below 1 under-provisioned. */
  cpuRequestToRecommendation: "workload_container:cpu_request_to_recommendation:ratio",
  memoryRequestToRecommendation: "workload_container:memory_request_to_recommendation:ratio",

  /** Telemetry volume per service: the drivers of observability cost. */
  activeSeries: "service:active_series:sum",
  samplesPerSecond: "service:scraped_samples:rate",
  logBytesPerSecond: "service:log_bytes:rate5m",
  spansReceivedPerSecond: "service:spans_received:rate5m",
  spansKeptPerSecond: "service:spans_kept:rate5m",

  /** Who pays for a namespace / a pod (value 1): team, environment, cost_center from their labels, else defaults. */
  namespaceAttribution: "namespace:cost_attribution:info",
  podAttribution: "namespace_pod:cost_attribution:info",
  /** Usage of the busiest pod of a workload's container: what right-sizing reads (a request is per pod). */
  cpuUsagePerPodCores: "workload_container:cpu_usage_cores:max_rate5m",
  memoryUsagePerPodBytes: "workload_container:memory_working_set_bytes:max",
  /** When the month to date was last accumulated (a Unix time): the next evaluation adds the cost since. */
  monthToDateEvaluatedAt: "cost:month_to_date_evaluation:timestamp",
  /** Share of received spans the collector's tail sampling sends on to Jaeger (one value per environment). */
  spansKeptRatio: "cost:spans_kept:ratio_rate5m",
} as const;

/** Alert names of the cost rules (runbooks in docs/operations.md). */
export const COST_ALERTS = {
  budgetForecast: "CostBudgetForecastExceeded",
  budgetExceeded: "CostBudgetExceeded",
  overProvisioned: "WorkloadOverProvisioned",
  underProvisioned: "WorkloadUnderProvisioned",
} as const;
