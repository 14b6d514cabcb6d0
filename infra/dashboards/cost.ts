import type * as dashboard from "@grafana/grafana-foundation-sdk/dashboard";
import * as prometheus from "@grafana/grafana-foundation-sdk/prometheus";
import { COST_ALERTS, COST_LABELS, COST_RECORDS, LABELS } from "../../contract";
import {
  BUDGET_FORECAST_SHARE,
  HOURS_PER_MONTH,
  OVER_PROVISIONED_RATIO,
  UNDER_PROVISIONED_RATIO,
} from "../alerting/cost-rules";
import type { StackConfig } from "../config/schema";
import { serviceLinks } from "./links";
import { COST_DASHBOARD_KEY, type GeneratedDashboard, generated, DASHBOARD_VARIABLES as V } from "./model";
import {
  barGaugePanel,
  hideColumns,
  MERGE_TABLES,
  renameColumns,
  row,
  statPanel,
  type Target,
  tablePanel,
  timeseriesPanel,
} from "./panels";
import { legend, NS_MATCH, SERVICE_MATCH, sel } from "./queries";
import { type DashboardSettings, dashboardSettings, NEUTRAL } from "./settings";
import { ENVIRONMENT_MATCH, shell } from "./shell";

/*
 * The Cost dashboard (docs/cost.md): what the environment costs per hour and per month, by team, namespace,
 * workload and scope, how much of it is used, what right-sizing would change, what telemetry each service
 * produces, and the month's forecast against the budget. It reads only the cost rules' records
 * (infra/alerting/cost-rules.ts); thresholds are the alerts' and the stack config's.
 */

const L = COST_LABELS;
const R = COST_RECORDS;
const A = COST_ALERTS;
type Steps = dashboard.Threshold[];

/** What the cost dashboard needs from the stack config. */
export interface CostDashboardOptions {
  settings: DashboardSettings;
  /** ISO 4217 code of the prices and the budget (`cost.currency`). */
  currency: string;
  /** `cost.monthlyBudget`, in `currency`. */
  monthlyBudget: number;
}

export function costDashboardOptions(config: StackConfig): CostDashboardOptions {
  return {
    settings: dashboardSettings(config),
    currency: config.cost.currency,
    monthlyBudget: config.cost.monthlyBudget,
  };
}

/** Currencies with a unit of their own in Grafana (`currencyEUR`, its symbol); any other code follows the value. */
const GRAFANA_CURRENCIES = new Set("BRL CHF CZK DKK EUR GBP INR ISK JPY KRW NOK PLN RUB SEK UAH USD ZAR".split(" "));

/** The Grafana unit of an amount in `currency`: `currencyUSD`, or a `suffix: CAD` custom unit. */
export function currencyUnit(currency: string): string {
  return GRAFANA_CURRENCIES.has(currency) ? `currency${currency}` : `suffix: ${currency}`;
}

const round = (x: number) => Math.round(x * 1e6) / 1e6;
const percent = (share: number) => `${round(share * 100)}%`;

/** Against a budget: orange from the share where CostBudgetForecastExceeded files a ticket, red from the budget. */
export function budgetSteps(budget: number): Steps {
  return [
    { value: null, color: "green" },
    { value: round(BUDGET_FORECAST_SHARE * budget), color: "orange" },
    { value: round(budget), color: "red" },
  ];
}

/** Request ÷ recommendation: red below 1 (WorkloadUnderProvisioned), orange from 2 (WorkloadOverProvisioned). */
export const RIGHT_SIZING_STEPS: Steps = [
  { value: null, color: "red" },
  { value: UNDER_PROVISIONED_RATIO, color: "green" },
  { value: OVER_PROVISIONED_RATIO, color: "orange" },
];

/** Used ÷ billed: a request more than OVER_PROVISIONED_RATIO × usage leaves less than 1/ratio of it used. */
export const USED_SHARE_STEPS: Steps = [
  { value: null, color: "red" },
  { value: round(1 / OVER_PROVISIONED_RATIO), color: "green" },
];

/** The idle share of the billed cost, red where a request averages more than OVER_PROVISIONED_RATIO × usage. */
export const IDLE_SHARE_STEPS: Steps = [
  { value: null, color: "green" },
  { value: round(1 - 1 / OVER_PROVISIONED_RATIO), color: "red" },
];

/** Records per namespace: the environment's own two. Records of a whole environment carry ENVIRONMENT_MATCH's label. */
const OWN_NAMESPACES_MATCH = `namespace=~"$${V.namespace}|$${V.platformNamespace}"`;
const env = (record: string, ...matchers: string[]) => sel(record, ENVIRONMENT_MATCH, ...matchers);
const own = (record: string, ...matchers: string[]) => sel(record, OWN_NAMESPACES_MATCH, ...matchers);
const monthly = (expr: string) => `${expr} * ${HOURS_PER_MONTH}`;
const instant = (t: Target): Target => ({ ...t, instant: true });

const SCOPE_COLOURS = [
  { pattern: "^workload$", color: "blue" },
  { pattern: "^platform$", color: "purple" },
  { pattern: "^idle$", color: "orange" },
];

const RATIO_UNIT = "suffix:×";
/** The right-sizing table's columns: per container, the request and the recommendation of each resource. */
const SIZING_COLUMNS = [
  { record: R.cpuRequestCores, name: "CPU request", unit: "suffix: cores" },
  { record: R.cpuRecommendedCores, name: "CPU recommended", unit: "suffix: cores" },
  { record: R.cpuRequestToRecommendation, name: "CPU request ÷ recommended", unit: RATIO_UNIT },
  { record: R.memoryRequestBytes, name: "memory request", unit: "bytes" },
  { record: R.memoryRecommendedBytes, name: "memory recommended", unit: "bytes" },
  { record: R.memoryRequestToRecommendation, name: "memory request ÷ recommended", unit: RATIO_UNIT },
] as const;
export const SIZING_RATIO_COLUMNS: string[] = SIZING_COLUMNS.filter((c) => c.unit === RATIO_UNIT).map((c) => c.name);
const SIZING_KEY = `namespace, ${L.workload}, ${L.container}`;

function rightSizingTable() {
  const table = tablePanel({
    title: "Right-sizing: requests vs recommendations per container",
    description: `One row per container of the environment's workloads: the request per pod (${R.cpuRequestCores}, ${R.memoryRequestBytes}) next to the recommendation (CPU: a high percentile of the busiest pod's usage over the window; memory: its peak plus the margin; cost.rightSizing). The ratio is red below ${UNDER_PROVISIONED_RATIO}× (${A.underProvisioned} after a day) and orange from ${OVER_PROVISIONED_RATIO}× (${A.overProvisioned} after a day).`,
    unit: "none",
    height: 9,
    targets: SIZING_COLUMNS.map((c) => ({
      expr: `sum by (${SIZING_KEY}) (${own(c.record)})`,
      instant: true,
      format: prometheus.PromQueryFormat.Table,
    })),
    transformations: [
      MERGE_TABLES,
      hideColumns(["Time"]),
      renameColumns(
        Object.fromEntries(SIZING_COLUMNS.map((c, i) => [`Value #${String.fromCharCode(65 + i)}`, c.name])),
      ),
      { id: "sortBy", options: { sort: [{ field: SIZING_RATIO_COLUMNS[0], desc: true }] } },
    ],
    columnUnits: Object.fromEntries(
      SIZING_COLUMNS.filter((c) => !SIZING_RATIO_COLUMNS.includes(c.name)).map((c) => [c.name, c.unit]),
    ),
  });
  for (const name of SIZING_RATIO_COLUMNS) {
    table.overrideByName(name, [
      { id: "unit", value: RATIO_UNIT },
      { id: "custom.cellOptions", value: { type: "color-background" } },
      { id: "thresholds", value: { mode: "absolute", steps: RIGHT_SIZING_STEPS } },
    ]);
  }
  return table;
}

function ratioPanel(resource: "CPU" | "memory", record: string) {
  return timeseriesPanel({
    title: `${resource} request ÷ recommendation by container`,
    description: `${record}: the dashed lines are the alerts' thresholds, held for a day: below ${UNDER_PROVISIONED_RATIO} the container requests less than it needs (throttling, OOM kills), above ${OVER_PROVISIONED_RATIO} it pays for more than ${OVER_PROVISIONED_RATIO}× what it uses.`,
    unit: "none",
    min: 0,
    targets: [{ expr: `sum by (${SIZING_KEY}) (${own(record)})`, legend: legend(L.workload, L.container) }],
    steps: RIGHT_SIZING_STEPS,
  });
}

/** A telemetry-volume record of the selected services in the environment's apps namespace. */
const perService = (record: string) => `sum by (${LABELS.service}) (${sel(record, NS_MATCH, SERVICE_MATCH)})`;
const perNamespace = (record: string) => `sum by (namespace) (${own(record)})`;

/** Cost per environment, team, namespace, workload and scope; efficiency; right-sizing; telemetry; budget. */
export function buildCostDashboard(environment: string, options: CostDashboardOptions): GeneratedDashboard {
  const money = currencyUnit(options.currency);
  const budget = options.monthlyBudget;
  const hourly = `sum(${env(R.environmentHourly)})`;
  const billed = `sum(${own(R.workloadHourly)})`;
  const idle = `sum(${own(R.idleHourly)})`;
  const byWorkload = (record: string) => `sum by (namespace, ${L.workload}, ${L.resource}) (${own(record)})`;
  const links = serviceLinks(environment);

  const builder = shell(
    { ...options.settings, environment },
    COST_DASHBOARD_KEY,
    "Cost",
    `What the environment costs (${options.currency}, at the stack's cost.* prices): per hour and per month by team, namespace and workload, split into workload, platform and idle, how much of what is billed is used, right-sizing advice, telemetry volume per service, and the month's forecast against the budget (${budget} ${options.currency}).`,
    { routeFilters: false },
  )
    .withRow(row("Cost of the environment"))
    .withPanel(
      statPanel({
        title: "Hourly cost",
        description: `Billed cost per hour of every workload and volume attributed to the environment (${R.environmentHourly}). Orange from the hourly rate at which the month reaches ${percent(BUDGET_FORECAST_SHARE)} of the budget, red from the budget's.`,
        unit: money,
        targets: [{ expr: hourly, legend: "per hour" }],
        steps: budgetSteps(budget / HOURS_PER_MONTH),
      }),
    )
    .withPanel(
      statPanel({
        title: "Monthly at the current rate",
        description: `The hourly cost × ${HOURS_PER_MONTH} hours. Orange from ${percent(BUDGET_FORECAST_SHARE)} of the budget, red from the budget.`,
        unit: money,
        targets: [{ expr: monthly(hourly), legend: "per month" }],
        steps: budgetSteps(budget),
      }),
    )
    .withPanel(
      statPanel({
        title: "Month to date",
        description: `Cost accrued since the first of the month, 00:00 UTC (${R.monthToDate}). Red from the budget: ${A.budgetExceeded} pages.`,
        unit: money,
        targets: [{ expr: `sum(${env(R.monthToDate)})`, legend: "month to date" }],
        steps: budgetSteps(budget),
      }),
    )
    .withPanel(
      statPanel({
        title: "Forecast for the month",
        description: `Month to date + the last day's average hourly cost until the month's end (${R.monthForecast}). Orange from ${percent(BUDGET_FORECAST_SHARE)} of the budget: ${A.budgetForecast} files a ticket.`,
        unit: money,
        targets: [{ expr: `sum(${env(R.monthForecast)})`, legend: "forecast" }],
        steps: budgetSteps(budget),
      }),
    )
    .withRow(row("Budget"))
    .withPanel(
      statPanel({
        title: "Forecast ÷ budget",
        description: `The month's forecast over cost.monthlyBudget (${R.monthlyBudget}). Orange from ${percent(BUDGET_FORECAST_SHARE)} (a ticket), red from 100%.`,
        unit: "percentunit",
        height: 9,
        targets: [{ expr: `sum(${env(R.monthForecast)}) / sum(${env(R.monthlyBudget)})`, legend: "of the budget" }],
        steps: budgetSteps(1),
      }),
    )
    .withPanel(
      timeseriesPanel({
        title: "Month to date and forecast vs budget",
        description: `The month to date climbs to the forecast; the budget is the recorded ${R.monthlyBudget} (cost.monthlyBudget), drawn dashed with the ticket's ${percent(BUDGET_FORECAST_SHARE)} line below it. The month to date starts again on the first.`,
        unit: money,
        width: 18,
        min: 0,
        targets: [
          { expr: `sum(${env(R.monthToDate)})`, legend: "month to date" },
          { expr: `sum(${env(R.monthForecast)})`, legend: "forecast" },
          { expr: `sum(${env(R.monthlyBudget)})`, legend: "budget" },
        ],
        steps: budgetSteps(budget),
        colours: [{ pattern: "^budget$", color: "red" }],
      }).overrideByName("budget", [
        { id: "custom.lineStyle", value: { fill: "dash", dash: [10, 10] } },
        { id: "custom.fillOpacity", value: 0 },
      ]),
    )
    .withRow(row("By team, namespace and workload"))
    .withPanel(
      timeseriesPanel({
        title: "Hourly cost by team",
        description: `${R.teamHourly}: the team label of each pod (kube-state-metrics' label_team), else of its namespace, else the stack's team; and the environment's total.`,
        unit: money,
        min: 0,
        targets: [
          { expr: `sum by (${L.team}) (${env(R.teamHourly)})`, legend: legend(L.team) },
          { expr: `sum by (${L.environment}) (${env(R.environmentHourly)})`, legend: `${legend(L.environment)} total` },
        ],
      }),
    )
    .withPanel(
      barGaugePanel({
        title: "Monthly by team",
        description: `At the current hourly rate × ${HOURS_PER_MONTH} hours.`,
        unit: money,
        width: 6,
        height: 9,
        targets: [instant({ expr: monthly(`sum by (${L.team}) (${env(R.teamHourly)})`), legend: legend(L.team) })],
        steps: NEUTRAL,
      }),
    )
    .withPanel(
      barGaugePanel({
        title: "Monthly by namespace",
        description: `${R.namespaceHourly} × ${HOURS_PER_MONTH} hours: the services' namespace against the platform's.`,
        unit: money,
        width: 6,
        height: 9,
        targets: [
          instant({ expr: monthly(`sum by (namespace) (${own(R.namespaceHourly)})`), legend: legend("namespace") }),
        ],
        steps: NEUTRAL,
      }),
    )
    .withPanel(
      timeseriesPanel({
        title: "Hourly cost by workload and volume",
        description: `${R.workloadHourly} (CPU and memory, billed at max(request, usage)) per Deployment, StatefulSet or DaemonSet, and ${R.storageHourly} per PersistentVolumeClaim.`,
        unit: money,
        min: 0,
        targets: [
          { expr: `sum by (namespace, ${L.workload}) (${own(R.workloadHourly)})`, legend: legend(L.workload) },
          {
            expr: `sum by (namespace, persistentvolumeclaim) (${own(R.storageHourly)})`,
            legend: `${legend("persistentvolumeclaim")} (volume)`,
          },
        ],
      }),
    )
    .withPanel(
      barGaugePanel({
        title: "Most expensive workloads a month",
        description: `The 10 workloads costing most at the current rate × ${HOURS_PER_MONTH} hours (CPU and memory together).`,
        unit: money,
        height: 9,
        targets: [
          instant({
            expr: `topk(10, ${monthly(`sum by (namespace, ${L.workload}) (${own(R.workloadHourly)})`)})`,
            legend: legend("namespace", L.workload),
          }),
        ],
        steps: NEUTRAL,
      }),
    )
    .withRow(row("Workload, platform and idle"))
    .withPanel(
      timeseriesPanel({
        title: "Hourly cost: workload vs platform vs idle",
        description: `${R.scopeHourly}: workload (the services' namespaces) and platform (Prometheus, Loki, Jaeger, the collector, Grafana) add up to the billed cost; idle is the part of it requested but unused, so it overlaps the other two.`,
        unit: money,
        width: 16,
        min: 0,
        targets: [{ expr: `sum by (${L.scope}) (${env(R.scopeHourly)})`, legend: legend(L.scope) }],
        colours: SCOPE_COLOURS,
      }),
    )
    .withPanel(
      statPanel({
        title: "Idle share of the billed cost",
        description: `Idle ÷ (workload + platform). Red from ${percent(1 - 1 / OVER_PROVISIONED_RATIO)}: requests average more than ${OVER_PROVISIONED_RATIO}× usage.`,
        unit: "percentunit",
        width: 8,
        height: 9,
        targets: [
          {
            expr: `sum(${env(R.scopeHourly, `${L.scope}="idle"`)}) / sum(${env(R.scopeHourly, `${L.scope}=~"workload|platform"`)})`,
            legend: "idle",
          },
        ],
        steps: IDLE_SHARE_STEPS,
      }),
    )
    .withRow(row("Efficiency: billed vs used"))
    .withPanel(
      timeseriesPanel({
        title: "Billed, used and idle cost per hour",
        description: `Billed = ${R.workloadHourly} (max of request and usage); idle = ${R.idleHourly} (request − usage where positive); used = billed − idle, the cost of what the containers really use.`,
        unit: money,
        min: 0,
        targets: [
          { expr: billed, legend: "billed" },
          { expr: `${billed} - ${idle}`, legend: "used" },
          { expr: idle, legend: "idle" },
        ],
      }),
    )
    .withPanel(
      timeseriesPanel({
        title: "Used share of the billed cost by workload",
        description: `1 − idle ÷ billed per workload and resource. Red below ${percent(1 / OVER_PROVISIONED_RATIO)}: the request is more than ${OVER_PROVISIONED_RATIO}× the usage.`,
        unit: "percentunit",
        min: 0,
        max: 1,
        targets: [
          {
            expr: `1 - ${byWorkload(R.idleHourly)} / ${byWorkload(R.workloadHourly)}`,
            legend: legend(L.workload, L.resource),
          },
        ],
        steps: USED_SHARE_STEPS,
      }),
    )
    .withRow(row("Right-sizing"))
    .withPanel(rightSizingTable())
    .withPanel(ratioPanel("CPU", R.cpuRequestToRecommendation))
    .withPanel(ratioPanel("memory", R.memoryRequestToRecommendation))
    .withRow(row("Telemetry volume per service"))
    .withPanel(
      timeseriesPanel({
        title: "Active series per service",
        description: `${R.activeSeries}: series each service's targets expose after relabelling, what Prometheus' memory and disk grow with.`,
        unit: "short",
        min: 0,
        targets: [{ expr: perService(R.activeSeries), legend: legend(LABELS.service) }],
        links,
      }),
    )
    .withPanel(
      timeseriesPanel({
        title: "Samples scraped per second per service",
        description: `${R.samplesPerSecond}: samples Prometheus ingests from each service.`,
        unit: "ops",
        min: 0,
        targets: [{ expr: perService(R.samplesPerSecond), legend: legend(LABELS.service) }],
        links,
      }),
    )
    .withPanel(
      timeseriesPanel({
        title: "Log bytes per second per service",
        description: `${R.logBytesPerSecond}: bytes of log lines each service writes, what Loki ingests and stores.`,
        unit: "Bps",
        min: 0,
        targets: [{ expr: perService(R.logBytesPerSecond), legend: legend(LABELS.service) }],
        links,
      }),
    )
    .withPanel(
      timeseriesPanel({
        title: "Spans per second per service: received and kept",
        description: `${R.spansReceivedPerSecond} (every span, before sampling) and ${R.spansKeptPerSecond} (the share tail sampling sends on to Jaeger: an estimate, errors and slow traces are kept more often).`,
        unit: "ops",
        min: 0,
        targets: [
          { expr: perService(R.spansReceivedPerSecond), legend: `${legend(LABELS.service)} received` },
          { expr: perService(R.spansKeptPerSecond), legend: `${legend(LABELS.service)} kept` },
        ],
        links,
      }),
    )
    .withPanel(
      timeseriesPanel({
        title: "Active series: services vs platform",
        description: `${R.activeSeries} summed per namespace: the services' targets against the platform's own (Prometheus, Alertmanager, Loki, the collector …).`,
        unit: "short",
        min: 0,
        targets: [{ expr: perNamespace(R.activeSeries), legend: legend("namespace") }],
      }),
    )
    .withPanel(
      timeseriesPanel({
        title: "Samples per second: services vs platform",
        description: `${R.samplesPerSecond} summed per namespace.`,
        unit: "ops",
        min: 0,
        targets: [{ expr: perNamespace(R.samplesPerSecond), legend: legend("namespace") }],
      }),
    );
  return generated(builder);
}
