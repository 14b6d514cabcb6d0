import type * as cog from "@grafana/grafana-foundation-sdk/cog";
import type * as dashboard from "@grafana/grafana-foundation-sdk/dashboard";
import * as prometheus from "@grafana/grafana-foundation-sdk/prometheus";
import { COST_LABELS, COST_RECORDS, LABELS, METRICS } from "../../contract";
import { HOURS_PER_MONTH } from "../alerting/cost-rules";
import { AGGREGATE_RECORDS, SLO_LABEL, SLO_RECORDS } from "../alerting/names";
import { ENVIRONMENTS, type StackConfig } from "../config/schema";
import { environmentDatasourceUids } from "../monitoring/datasources";
import { type Namespaces, namespaces } from "../platform/naming";
import { currencyUnit } from "./cost";
import { serviceLinks } from "./links";
import {
  DATASOURCES,
  type GeneratedDashboard,
  generated,
  MULTI_ENVIRONMENT_DASHBOARD_KEY,
  DASHBOARD_VARIABLES as V,
} from "./model";
import {
  barGaugePanel,
  hideColumns,
  promTarget,
  renameColumns,
  row,
  statPanel,
  type Target,
  tablePanel,
  timeseriesPanel,
} from "./panels";
import { legend, NS_MATCH, SERVICE_MATCH, sel } from "./queries";
import { BUDGET_STEPS, type DashboardSettings, dashboardSettings, NEUTRAL, ZERO_IS_GOOD } from "./settings";
import { ENVIRONMENT_MATCH, shell } from "./shell";

/** One environment of the dashboard: where its series are (datasource) and which namespaces are its own. */
export interface EnvironmentColumn {
  environment: string;
  /** This Grafana's own environment: its panels follow the dashboard's datasource variable. */
  local: boolean;
  /** The Prometheus datasource uid the column reads (the provisioned one, or the peer's). */
  prometheusUid: string;
  namespaces: Namespaces;
}

export interface MultiEnvironmentDashboardOptions {
  settings: DashboardSettings;
  /** Side by side in the order dev, staging, prod: this environment and its peers. */
  columns: EnvironmentColumn[];
  /** ISO 4217 code of `cost.currency` (peers are assumed to price in the same currency). */
  currency: string;
}

/**
 * The environments this Grafana shows: its own and each of `peers`, each on its own namespaces (a peer's
 * `namespacePrefix`, else this stack's).
 */
export function multiEnvironmentDashboardOptions(
  config: Pick<
    StackConfig,
    "environment" | "namespacePrefix" | "scale" | "slo" | "metrics" | "probes" | "peers" | "cost"
  >,
): MultiEnvironmentDashboardOptions {
  const shown = new Set([config.environment, ...config.peers.map((p) => p.environment)]);
  const columns = ENVIRONMENTS.filter((e) => shown.has(e)).map((environment) => ({
    environment,
    local: environment === config.environment,
    prometheusUid: environmentDatasourceUids(environment, config.environment).prometheus,
    namespaces: namespaces({
      namespacePrefix:
        config.peers.find((p) => p.environment === environment)?.namespacePrefix ?? config.namespacePrefix,
      environment,
    }),
  }));
  return { settings: dashboardSettings(config), columns, currency: config.cost.currency };
}

/** Drill-downs open this environment's dashboards, logs and traces; a peer's are in its own Grafana. */
const drillDowns = (c: EnvironmentColumn) =>
  c.local
    ? " Click a series for its latency and errors dashboards, logs and traces."
    : ` ${c.environment}'s drill-downs are on its own Grafana.`;

interface PanelOnDatasource<P> {
  datasource(ref: dashboard.DataSourceRef): P;
  targets(targets: cog.Builder<cog.Dataquery>[]): P;
}

/** Points a panel and its targets at one environment's Prometheus (the helpers default to the variable). */
function onColumn<P extends PanelOnDatasource<P>>(panel: P, column: EnvironmentColumn, targets: Target[]): P {
  const ref = column.local ? DATASOURCES.prometheus : { type: "prometheus", uid: column.prometheusUid };
  return panel
    .datasource(ref)
    .targets(targets.map((t, i) => promTarget(t, String.fromCharCode(65 + i)).datasource(ref)));
}

/**
 * The environment's own matchers: its apps namespace (services), or both of its namespaces. The local column
 * uses the dashboard's namespace variables, as every other dashboard does; a peer's, its namespaces by name.
 */
const appsOf = (c: EnvironmentColumn) => (c.local ? NS_MATCH : `namespace="${c.namespaces.apps}"`);
const bothOf = (c: EnvironmentColumn) =>
  c.local
    ? `namespace=~"$${V.namespace}|$${V.platformNamespace}"`
    : `namespace=~"${c.namespaces.apps}|${c.namespaces.platform}"`;

/** Series labelled with their environment (the cost records): the variable locally, the peer's name otherwise. */
const envOf = (c: EnvironmentColumn) => (c.local ? ENVIRONMENT_MATCH : `${COST_LABELS.environment}="${c.environment}"`);

/** The queries of one column, each filtered to that environment's namespaces or its `environment` label. */
export function columnQueries(c: EnvironmentColumn) {
  return {
    version: `max by (${LABELS.service}, ${LABELS.version}) (${sel(METRICS.buildInfo, bothOf(c))})`,
    traffic: sel(AGGREGATE_RECORDS.requestRate, appsOf(c), SERVICE_MATCH),
    errorRatio: sel(AGGREGATE_RECORDS.errorRatio, appsOf(c), SERVICE_MATCH),
    budget: sel(SLO_RECORDS.budgetRemaining, appsOf(c), SERVICE_MATCH),
    monthlyCost: `sum(${sel(COST_RECORDS.environmentHourly, envOf(c))}) * ${HOURS_PER_MONTH}`,
    alerts: `count by (severity) (${sel("ALERTS", `alertstate="firing"`, bothOf(c))})`,
  };
}

/**
 * Every environment side by side, one column each: the version each service runs, traffic, error ratio and
 * SLO budget remaining per service, cost per month and firing alerts. Each column reads its environment's
 * own Prometheus (a peer's datasource) and filters on that environment's namespaces. Without peers it is the
 * local column alone.
 */
export function buildMultiEnvironmentDashboard(options: MultiEnvironmentDashboardOptions): GeneratedDashboard {
  const { settings, columns } = options;
  // 24, 12 or 8 grid columns per environment (three at most): even, so cost and alerts halve it
  if (24 % (2 * columns.length) !== 0) throw new Error(`cannot lay out ${columns.length} environments side by side`);
  const width = 24 / columns.length;
  const names = columns.map((c) => c.environment).join(", ");
  const builder = shell(
    settings,
    MULTI_ENVIRONMENT_DASHBOARD_KEY,
    "Environments",
    `${names} side by side: deployed versions, traffic, error ratio and SLO budget per service, cost per month and firing alerts, each read from that environment's own Prometheus.`,
    { routeFilters: false },
  );
  const perColumn = (title: string, build: (c: EnvironmentColumn) => cog.Builder<dashboard.Panel>) => {
    builder.withRow(row(title));
    for (const c of columns) builder.withPanel(build(c));
  };
  const titled = (what: string, c: EnvironmentColumn) => `${what} (${c.environment})`;

  perColumn("Deployed versions", (c) =>
    onColumn(
      tablePanel({
        title: titled("Versions", c),
        description: `The version each process runs (${METRICS.buildInfo}, the image tag its Deployment sets from images.tag).`,
        unit: "none",
        width,
        height: 6,
        targets: [],
        transformations: [
          hideColumns(["Time", "Value"]),
          renameColumns({ [LABELS.service]: "Service", [LABELS.version]: "Version" }),
        ],
      }),
      c,
      [{ expr: columnQueries(c).version, instant: true, format: prometheus.PromQueryFormat.Table }],
    ),
  );
  perColumn("Traffic", (c) =>
    onColumn(
      timeseriesPanel({
        title: titled("Requests/s", c),
        description: `API requests per second by service (${AGGREGATE_RECORDS.requestRate}).${drillDowns(c)}`,
        unit: "reqps",
        width,
        min: 0,
        targets: [],
        links: c.local ? serviceLinks(c.environment) : undefined,
      }),
      c,
      [{ expr: columnQueries(c).traffic, legend: legend(LABELS.service) }],
    ),
  );
  perColumn("Errors", (c) =>
    onColumn(
      timeseriesPanel({
        title: titled("Error ratio", c),
        description: `Share of API requests answered with a 5xx (${AGGREGATE_RECORDS.errorRatio}); each environment has its own objective, see its SLO dashboard.${drillDowns(c)}`,
        unit: "percentunit",
        width,
        min: 0,
        targets: [],
        links: c.local ? serviceLinks(c.environment, { errors: true }) : undefined,
      }),
      c,
      [{ expr: columnQueries(c).errorRatio, legend: legend(LABELS.service) }],
    ),
  );
  perColumn("SLO budget", (c) =>
    onColumn(
      barGaugePanel({
        title: titled("Error budget remaining", c),
        description: `Share of each SLO's error budget left over its period (${SLO_RECORDS.budgetRemaining}): red once spent, orange under a quarter, yellow under half.`,
        unit: "percentunit",
        width,
        targets: [],
        steps: BUDGET_STEPS,
      }),
      c,
      [{ expr: columnQueries(c).budget, legend: `${legend(LABELS.service)} ${legend(SLO_LABEL)}` }],
    ),
  );
  // cost and alerts share their environment's column, half of it each
  builder.withRow(row("Cost and alerts"));
  for (const c of columns) {
    builder.withPanel(
      onColumn(
        statPanel({
          title: titled("Cost/month", c),
          description: `The environment's hourly cost (${COST_RECORDS.environmentHourly}, workloads and platform) × ${HOURS_PER_MONTH} h: what a month at the current rate costs.`,
          unit: currencyUnit(options.currency),
          width: width / 2,
          height: 5,
          targets: [],
          steps: NEUTRAL,
          noValue: "no cost data",
        }),
        c,
        [{ expr: columnQueries(c).monthlyCost, legend: "per month" }],
      ),
    );
    builder.withPanel(
      onColumn(
        statPanel({
          title: titled("Firing alerts", c),
          description:
            "Alerts firing in the environment's namespaces, by severity (ALERTS). Red from one: open the environment's own dashboards.",
          unit: "short",
          width: width / 2,
          height: 5,
          targets: [],
          steps: ZERO_IS_GOOD,
          noValue: "0",
        }),
        c,
        [{ expr: columnQueries(c).alerts, legend: "{{severity}}" }],
      ),
    );
  }
  return generated(builder);
}
