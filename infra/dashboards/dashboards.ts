import * as bargauge from "@grafana/grafana-foundation-sdk/bargauge";
import type * as cog from "@grafana/grafana-foundation-sdk/cog";
import * as common from "@grafana/grafana-foundation-sdk/common";
import * as dashboard from "@grafana/grafana-foundation-sdk/dashboard";
import * as heatmap from "@grafana/grafana-foundation-sdk/heatmap";
import * as logs from "@grafana/grafana-foundation-sdk/logs";
import * as loki from "@grafana/grafana-foundation-sdk/loki";
import * as prometheus from "@grafana/grafana-foundation-sdk/prometheus";
import * as stat from "@grafana/grafana-foundation-sdk/stat";
import * as table from "@grafana/grafana-foundation-sdk/table";
import * as timeseries from "@grafana/grafana-foundation-sdk/timeseries";
import { ACCESS_LOG_MESSAGE, INFRA_PATHS, LABELS, LOG_DECISIONS, LOG_FIELDS, LOG_KINDS, METRICS } from "../../contract";
import { AGGREGATE_RECORDS, SLI_WINDOWS, SLO_KINDS, SLO_LABEL, SLO_RECORDS } from "../alerting/names";
import { ALERT_SERVICE_LABEL } from "../alerting/rules";
import { windowHours } from "../alerting/slos";
import { DATASOURCE_UIDS } from "../platform/naming";

/** One query of a generated dashboard, for offline validation (tests, preflight). */
export interface DashboardQuery {
  datasource: "prometheus" | "loki";
  expr: string;
  /** Title of the panel the query belongs to. */
  panel: string;
}

export interface GeneratedDashboard {
  uid: string;
  title: string;
  /** The Grafana dashboard JSON model (plain JSON, ready for a ConfigMap). */
  json: Record<string, unknown>;
  queries: DashboardQuery[];
}

export interface DashboardOptions {
  /** SLO period of the stack (time-to-exhaustion panel); default 30d like the stack configs. */
  sloPeriod?: "28d" | "30d";
}

/** Stable keys of the five dashboards; the uid is `<environment>-<key>`. */
export const DASHBOARD_KEYS = ["service-overview", "latency", "errors", "slo", "platform-health"] as const;
export type DashboardKey = (typeof DASHBOARD_KEYS)[number];
/** Key of the capacity dashboard (infra/dashboards/capacity.ts), built apart: it needs the stack config. */
export const CAPACITY_DASHBOARD_KEY = "capacity";
type AnyDashboardKey = DashboardKey | typeof CAPACITY_DASHBOARD_KEY;

/** Names of the template variables every dashboard defines. */
export const DASHBOARD_VARIABLES = { service: "service", environment: "environment", slo: "slo" } as const;

/** Tag on every generated dashboard (besides the environment and the dashboard key). */
export const DASHBOARD_TAG = "observability-platform";

/**
 * Platform and runtime metric names the dashboards may query besides the recording rules
 * (infra/alerting/names.ts) and the services' own metrics (apps/lib/contract.ts). A test fails on any
 * other name, so a typo or a renamed metric shows up before Grafana shows an empty panel.
 */
export const PLATFORM_METRICS = [
  // prom-client default metrics of the services
  "nodejs_eventloop_lag_p99_seconds",
  "process_cpu_seconds_total",
  "process_resident_memory_bytes",
  // Prometheus itself and every scrape
  "up",
  "scrape_samples_scraped",
  "scrape_duration_seconds",
  "ALERTS",
  "prometheus_tsdb_head_series",
  "prometheus_rule_evaluation_failures_total",
  "prometheus_tsdb_storage_blocks_bytes",
  // Alertmanager
  "alertmanager_notifications_total",
  "alertmanager_notifications_failed_total",
  // Loki
  "loki_request_duration_seconds_count",
  "loki_distributor_bytes_received_total",
  // OpenTelemetry Collector and Jaeger v2 (built on the collector: same otelcol_ metrics, job jaeger)
  "otelcol_receiver_accepted_spans_total",
  "otelcol_receiver_refused_spans_total",
  "otelcol_exporter_sent_spans_total",
  "otelcol_exporter_send_failed_spans_total",
  "otelcol_processor_tail_sampling_global_count_traces_sampled_total",
  "otelcol_processor_tail_sampling_sampling_trace_dropped_too_early_total",
] as const;
export type PlatformMetric = (typeof PLATFORM_METRICS)[number];

const PROMETHEUS: common.DataSourceRef = { type: "prometheus", uid: DATASOURCE_UIDS.prometheus };
const LOKI: common.DataSourceRef = { type: "loki", uid: DATASOURCE_UIDS.loki };

/** `up`, `ALERTS`, ... spelled through the allow-list, so an unlisted name does not compile. */
const m = (name: PlatformMetric) => name;

// ---------------------------------------------------------------------------------------------
// Query helpers
// ---------------------------------------------------------------------------------------------

export const SERVICE_MATCH = `${LABELS.service}=~"$${DASHBOARD_VARIABLES.service}"`;
const SLO_MATCH = `${SLO_LABEL}=~"$${DASHBOARD_VARIABLES.slo}"`;
/** API traffic only, as the recording rules count it (no probes or scrapes). */
const API_MATCH = `${LABELS.route}!~"${INFRA_PATHS.join("|")}"`;
export const RATE = "$__rate_interval";

export const sel = (metric: string, ...matchers: string[]) =>
  matchers.length === 0 ? metric : `${metric}{${matchers.join(",")}}`;
export const legend = (...labels: string[]) => labels.map((l) => `{{${l}}}`).join(" ");

const requests = `${METRICS.serverDuration}_count`;
const buckets = `${METRICS.serverDuration}_bucket`;
const rawQuantile = (q: number, by: string[]) =>
  `histogram_quantile(${q}, sum by (${[...by, "le"].join(", ")}) (rate(${sel(buckets, SERVICE_MATCH, API_MATCH)}[${RATE}])))`;

interface Target {
  expr: string;
  legend?: string;
  instant?: boolean;
  format?: prometheus.PromQueryFormat;
  exemplar?: boolean;
}

function promTarget(t: Target, refId: string): prometheus.DataqueryBuilder {
  const q = new prometheus.DataqueryBuilder()
    .datasource(PROMETHEUS)
    .refId(refId)
    .expr(t.expr)
    .legendFormat(t.legend ?? "__auto")
    .exemplar(t.exemplar ?? false);
  if (t.instant) q.instant();
  else q.range();
  if (t.format) q.format(t.format);
  return q;
}

const refIds = (targets: Target[]) => targets.map((t, i) => promTarget(t, String.fromCharCode(65 + i)));

interface PanelSpec {
  title: string;
  description: string;
  unit: string;
  targets: Target[];
  width?: number;
  height?: number;
}

export function timeseriesPanel(p: PanelSpec & { min?: number; max?: number }): timeseries.PanelBuilder {
  const panel = new timeseries.PanelBuilder()
    .title(p.title)
    .description(p.description)
    .unit(p.unit)
    .datasource(PROMETHEUS)
    .targets(refIds(p.targets))
    .span(p.width ?? 12)
    .height(p.height ?? 8)
    .fillOpacity(10)
    .legend(
      new common.VizLegendOptionsBuilder()
        .showLegend(true)
        .displayMode(common.LegendDisplayMode.List)
        .placement(common.LegendPlacement.Bottom),
    );
  if (p.min !== undefined) panel.min(p.min);
  if (p.max !== undefined) panel.max(p.max);
  return panel;
}

const thresholds = (steps: dashboard.Threshold[]) =>
  new dashboard.ThresholdsConfigBuilder().mode(dashboard.ThresholdsMode.Absolute).steps(steps);

export function statPanel(p: PanelSpec & { steps?: dashboard.Threshold[]; noValue?: string }): stat.PanelBuilder {
  const panel = new stat.PanelBuilder()
    .title(p.title)
    .description(p.description)
    .unit(p.unit)
    .datasource(PROMETHEUS)
    .targets(refIds(p.targets))
    .span(p.width ?? 6)
    .height(p.height ?? 5)
    .graphMode(common.BigValueGraphMode.Area)
    .colorMode(common.BigValueColorMode.Value)
    .reduceOptions(new common.ReduceDataOptionsBuilder().calcs(["lastNotNull"]).values(false));
  if (p.steps) panel.thresholds(thresholds(p.steps));
  if (p.noValue) panel.noValue(p.noValue);
  return panel;
}

function barGaugePanel(p: PanelSpec): bargauge.PanelBuilder {
  return new bargauge.PanelBuilder()
    .title(p.title)
    .description(p.description)
    .unit(p.unit)
    .datasource(PROMETHEUS)
    .targets(refIds(p.targets))
    .span(p.width ?? 12)
    .height(p.height ?? 8)
    .orientation(common.VizOrientation.Horizontal)
    .displayMode(common.BarGaugeDisplayMode.Gradient)
    .reduceOptions(new common.ReduceDataOptionsBuilder().calcs(["lastNotNull"]).values(false));
}

function tablePanel(p: PanelSpec): table.PanelBuilder {
  return new table.PanelBuilder()
    .title(p.title)
    .description(p.description)
    .unit(p.unit)
    .datasource(PROMETHEUS)
    .targets(refIds(p.targets))
    .span(p.width ?? 24)
    .height(p.height ?? 8);
}

export const row = (title: string) => new dashboard.RowBuilder(title);

// ---------------------------------------------------------------------------------------------
// Variables and the dashboard shell
// ---------------------------------------------------------------------------------------------

/** Hidden constant: the stack's environment (Prometheus only adds it as an external label). */
function environmentVariable(environment: string): dashboard.ConstantVariableBuilder {
  return new dashboard.ConstantVariableBuilder(DASHBOARD_VARIABLES.environment)
    .label("Environment")
    .description("The Pulumi stack these dashboards were generated for.")
    .value(environment);
}

/** The services that report traffic, from the cheap per-service request-rate record. */
export const SERVICE_VARIABLE_QUERY = `label_values(${AGGREGATE_RECORDS.requestRate}, ${LABELS.service})`;

function serviceVariable(): dashboard.QueryVariableBuilder {
  return (
    new dashboard.QueryVariableBuilder(DASHBOARD_VARIABLES.service)
      .label("Service")
      .datasource(PROMETHEUS)
      .query(SERVICE_VARIABLE_QUERY)
      .definition(SERVICE_VARIABLE_QUERY)
      .refresh(dashboard.VariableRefresh.OnTimeRangeChanged)
      .sort(dashboard.VariableSort.AlphabeticalAsc)
      .multi(true)
      .includeAll(true)
      // `.+` instead of a long alternation: valid in PromQL and in a LogQL stream selector
      .allValue(".+")
      .current({ selected: true, text: ["All"], value: ["$__all"] })
  );
}

function sloVariable(): dashboard.CustomVariableBuilder {
  return new dashboard.CustomVariableBuilder(DASHBOARD_VARIABLES.slo)
    .label("SLO")
    .values(SLO_KINDS.join(","))
    .multi(true)
    .includeAll(true)
    .allValue(".+")
    .current({ selected: true, text: ["All"], value: ["$__all"] });
}

const capitalise = (s: string) => (s ? s[0]?.toUpperCase() + s.slice(1) : s);

export function shell(
  environment: string,
  key: AnyDashboardKey,
  title: string,
  description: string,
): dashboard.DashboardBuilder {
  return new dashboard.DashboardBuilder(`${title} (${environment})`)
    .uid(dashboardUid(environment, key))
    .description(description)
    .tags([DASHBOARD_TAG, environment, key])
    .timezone("utc")
    .time({ from: "now-6h", to: "now" })
    .refresh("1m")
    .tooltip(dashboard.DashboardCursorSync.Crosshair)
    .withVariable(environmentVariable(environment))
    .withVariable(serviceVariable())
    .link(
      new dashboard.DashboardLinkBuilder(`${capitalise(environment)} dashboards`)
        .type(dashboard.DashboardLinkType.Dashboards)
        .tags([DASHBOARD_TAG, environment])
        .asDropdown(true)
        .includeVars(true)
        .keepTime(true),
    );
}

/** `<environment>-<key>`: stable across deployments, unique per environment (≤ 40 characters for Grafana). */
export function dashboardUid(environment: string, key: AnyDashboardKey): string {
  return `${environment}-${key}`;
}

// ---------------------------------------------------------------------------------------------
// Log cost queries
// ---------------------------------------------------------------------------------------------

const perService = (metric: string, ...matchers: string[]) =>
  `sum by (${LABELS.service}) (rate(${sel(metric, SERVICE_MATCH, ...matchers)}[${RATE}]))`;
const ACCESS = `${LABELS.logKind}="${LOG_KINDS.access}"`;

/** Bytes/s the services write to stdout, after sampling. */
const LOG_BYTES_AFTER_SAMPLING = perService(METRICS.logBytes);
const sampledOutAccessLines = perService(
  METRICS.logLines,
  ACCESS,
  `${LABELS.logDecision}="${LOG_DECISIONS.sampledOut}"`,
);
const writtenAccessLines = perService(METRICS.logLines, ACCESS, `${LABELS.logDecision}="${LOG_DECISIONS.written}"`);
/**
 * Bytes/s they would write without sampling: add the sampled-out access lines at the average size of
 * the written ones. Where no access line was written (no average to use), `or … * 0` adds nothing
 * instead of losing the series to 0/0.
 */
const LOG_BYTES_BEFORE_SAMPLING = `${LOG_BYTES_AFTER_SAMPLING} + (${sampledOutAccessLines} * ${perService(METRICS.logBytes, ACCESS)} / (${writtenAccessLines} > 0) or ${LOG_BYTES_AFTER_SAMPLING} * 0)`;

// only the two fields read become labels: a plain `| json` would make a series per trace_id before the sum
const accessFields = [LOG_FIELDS.message, LOG_FIELDS.adjustedCount].map((f) => `${f}="${f}"`).join(", ");
const accessLines = `{${LOG_FIELDS.service}=~"$${DASHBOARD_VARIABLES.service}"} |= ${JSON.stringify(ACCESS_LOG_MESSAGE)} | json ${accessFields} | __error__="" | ${LOG_FIELDS.message}=${JSON.stringify(ACCESS_LOG_MESSAGE)}`;
const unsampledRequests = `sum by (${LOG_FIELDS.service}) (rate(${accessLines} | ${LOG_FIELDS.adjustedCount}="" [$__auto]))`;
const sampledRequests = `sum by (${LOG_FIELDS.service}) (rate(${accessLines} | ${LOG_FIELDS.adjustedCount}!="" | unwrap ${LOG_FIELDS.adjustedCount} | __error__="" [$__auto]))`;
/**
 * Requests/s per service counted from access lines: a line without adjusted_count is one request, a
 * sampled line stands for adjusted_count of them. `+` keeps only services with both kinds of line, so
 * the `or`s add services with one kind only (dev writes no sampled lines).
 */
const REQUESTS_FROM_ACCESS_LOGS = `(${unsampledRequests} + ${sampledRequests}) or ${unsampledRequests} or ${sampledRequests}`;

// ---------------------------------------------------------------------------------------------
// The dashboards
// ---------------------------------------------------------------------------------------------

function serviceOverview(environment: string): dashboard.DashboardBuilder {
  const rate = sel(AGGREGATE_RECORDS.requestRate, SERVICE_MATCH);
  const errorRatio = sel(AGGREGATE_RECORDS.errorRatio, SERVICE_MATCH);
  return shell(
    environment,
    "service-overview",
    "Service overview",
    "RED metrics (rate, errors, duration) per service from the aggregate recording rules, busiest routes and runtime saturation.",
  )
    .withRow(row("Traffic, errors, duration"))
    .withPanel(
      statPanel({
        title: "Requests per second",
        description: `Total API request rate of the selected services (${AGGREGATE_RECORDS.requestRate}).`,
        unit: "reqps",
        targets: [{ expr: `sum(${rate})`, legend: "requests/s" }],
        width: 8,
      }),
    )
    .withPanel(
      statPanel({
        title: "Error ratio",
        description: "Share of API requests answered with a 5xx, weighted by each service's request rate.",
        unit: "percentunit",
        targets: [{ expr: `sum(${errorRatio} * on(${LABELS.service}) ${rate}) / sum(${rate})`, legend: "5xx share" }],
        steps: [
          { value: null, color: "green" },
          { value: 0.001, color: "yellow" },
          { value: 0.01, color: "red" },
        ],
        width: 8,
      }),
    )
    .withPanel(
      statPanel({
        title: "Slowest p99 latency",
        description: "Highest p99 request duration among the selected services (5m window).",
        unit: "s",
        targets: [{ expr: `max(${sel(AGGREGATE_RECORDS.latencyQuantile("p99"), SERVICE_MATCH)})`, legend: "p99" }],
        steps: [
          { value: null, color: "green" },
          { value: 0.5, color: "yellow" },
          { value: 1, color: "red" },
        ],
        width: 8,
      }),
    )
    .withPanel(
      timeseriesPanel({
        title: "Request rate by service",
        description: `API requests per second (recording rule ${AGGREGATE_RECORDS.requestRate}).`,
        unit: "reqps",
        targets: [{ expr: rate, legend: legend(LABELS.service) }],
      }),
    )
    .withPanel(
      timeseriesPanel({
        title: "Error ratio by service",
        description: `Share of API requests answered with a 5xx (recording rule ${AGGREGATE_RECORDS.errorRatio}).`,
        unit: "percentunit",
        min: 0,
        targets: [{ expr: errorRatio, legend: legend(LABELS.service) }],
      }),
    )
    .withPanel(
      timeseriesPanel({
        title: "Latency p50 / p90 / p99 by service",
        description: "Request duration quantiles from the aggregate recording rules (5m window).",
        unit: "s",
        width: 24,
        targets: (["p50", "p90", "p99"] as const).map((q) => ({
          expr: sel(AGGREGATE_RECORDS.latencyQuantile(q), SERVICE_MATCH),
          legend: `${legend(LABELS.service)} ${q}`,
        })),
      }),
    )
    .withPanel(
      barGaugePanel({
        title: "Top routes by request rate",
        description: `The 10 busiest routes (recording rule ${AGGREGATE_RECORDS.routeRequestRate}).`,
        unit: "reqps",
        width: 24,
        targets: [
          {
            expr: `topk(10, ${sel(AGGREGATE_RECORDS.routeRequestRate, SERVICE_MATCH)})`,
            legend: `${legend(LABELS.service)} ${legend(LABELS.route)}`,
            instant: true,
          },
        ],
      }),
    )
    .withRow(row("Saturation"))
    .withPanel(
      timeseriesPanel({
        title: "Event-loop lag p99",
        description:
          "99th percentile event-loop delay per pod (prom-client). Rising lag means the process is CPU-bound or blocked, and every request waits.",
        unit: "s",
        width: 8,
        targets: [
          {
            expr: `max by (${LABELS.service}, pod) (${sel(m("nodejs_eventloop_lag_p99_seconds"), SERVICE_MATCH)})`,
            legend: `${legend(LABELS.service)} ${legend("pod")}`,
          },
        ],
      }),
    )
    .withPanel(
      timeseriesPanel({
        title: "CPU usage",
        description: "CPU time per second per pod (1 = one full core).",
        unit: "percentunit",
        width: 8,
        targets: [
          {
            expr: `sum by (${LABELS.service}, pod) (rate(${sel(m("process_cpu_seconds_total"), SERVICE_MATCH)}[${RATE}]))`,
            legend: `${legend(LABELS.service)} ${legend("pod")}`,
          },
        ],
      }),
    )
    .withPanel(
      timeseriesPanel({
        title: "Resident memory",
        description: "Resident set size per pod.",
        unit: "bytes",
        width: 8,
        targets: [
          {
            expr: `sum by (${LABELS.service}, pod) (${sel(m("process_resident_memory_bytes"), SERVICE_MATCH)})`,
            legend: `${legend(LABELS.service)} ${legend("pod")}`,
          },
        ],
      }),
    );
}

function latency(environment: string): dashboard.DashboardBuilder {
  return shell(
    environment,
    "latency",
    "Latency distribution",
    "Request duration distribution from the raw histogram buckets (the only series with exemplars), and quantiles from the recording rules.",
  )
    .withRow(row("Distribution"))
    .withPanel(
      new heatmap.PanelBuilder()
        .title("Request duration heatmap")
        .description(
          `Requests per duration bucket (raw ${buckets}, API routes only). Each cell is a request rate; hover shows the bucket's upper bound.`,
        )
        .unit("reqps")
        .datasource(PROMETHEUS)
        .withTarget(
          promTarget(
            {
              expr: `sum by (le) (rate(${sel(buckets, SERVICE_MATCH, API_MATCH)}[${RATE}]))`,
              legend: legend("le"),
              format: prometheus.PromQueryFormat.Heatmap,
            },
            "A",
          ),
        )
        .calculate(false)
        .yAxis(new heatmap.YAxisConfigBuilder().unit("s"))
        .color(
          new heatmap.HeatmapColorOptionsBuilder()
            .mode(heatmap.HeatmapColorMode.Scheme)
            .scheme("Spectral")
            .scale(heatmap.HeatmapColorScale.Exponential)
            .exponent(0.5),
        )
        .cellGap(1)
        .showLegend()
        .span(24)
        .height(10),
    )
    .withPanel(
      timeseriesPanel({
        title: "p50 / p90 / p99 by service",
        description: "Request duration quantiles from the aggregate recording rules (5m window, API routes).",
        unit: "s",
        targets: (["p50", "p90", "p99"] as const).map((q) => ({
          expr: sel(AGGREGATE_RECORDS.latencyQuantile(q), SERVICE_MATCH),
          legend: `${legend(LABELS.service)} ${q}`,
        })),
      }),
    )
    .withPanel(
      timeseriesPanel({
        title: "p99 with exemplars (click a dot for its trace)",
        description:
          "p99 from the raw buckets with exemplars on: each dot is a sampled request whose trace_id links to Jaeger (datasource exemplarTraceIdDestinations). Recording rules carry no exemplars, so this panel reads the raw histogram.",
        unit: "s",
        targets: [
          { expr: rawQuantile(0.99, [LABELS.service]), legend: `${legend(LABELS.service)} p99`, exemplar: true },
        ],
      }),
    )
    .withRow(row("By route and dependency"))
    .withPanel(
      timeseriesPanel({
        title: "p99 by route",
        description: "p99 request duration per route, from the raw buckets (exemplars on).",
        unit: "s",
        targets: [
          {
            expr: rawQuantile(0.99, [LABELS.service, LABELS.route]),
            legend: `${legend(LABELS.service)} ${legend(LABELS.route)}`,
            exemplar: true,
          },
        ],
      }),
    )
    .withPanel(
      timeseriesPanel({
        title: "Downstream call p99 by dependency",
        description: `p99 duration of order's calls to its dependencies (${METRICS.clientDuration}); a slow dependency shows here before it shows in order's own latency.`,
        unit: "s",
        targets: [
          {
            expr: `histogram_quantile(0.99, sum by (${LABELS.service}, ${LABELS.peerService}, le) (rate(${sel(`${METRICS.clientDuration}_bucket`, SERVICE_MATCH)}[${RATE}])))`,
            legend: `${legend(LABELS.service)} → ${legend(LABELS.peerService)}`,
          },
        ],
      }),
    );
}

function errors(environment: string): dashboard.DashboardBuilder {
  const logSelector = `{${LOG_FIELDS.service}=~"$${DASHBOARD_VARIABLES.service}"}`;
  return shell(
    environment,
    "errors",
    "Errors",
    "Where requests fail: by route and status, business failures of order, injected faults, and the error logs (each line links to its trace).",
  )
    .withRow(row("HTTP errors"))
    .withPanel(
      timeseriesPanel({
        title: "4xx and 5xx by route and status",
        description: `Failed requests per second by route and status code (raw ${requests}).`,
        unit: "reqps",
        targets: [
          {
            expr: `sum by (${LABELS.service}, ${LABELS.route}, ${LABELS.status}) (rate(${sel(requests, SERVICE_MATCH, `${LABELS.status}=~"5.."`)}[${RATE}]))`,
            legend: `5xx ${legend(LABELS.service)} ${legend(LABELS.route)} ${legend(LABELS.status)}`,
          },
          {
            expr: `sum by (${LABELS.service}, ${LABELS.route}, ${LABELS.status}) (rate(${sel(requests, SERVICE_MATCH, `${LABELS.status}=~"4.."`)}[${RATE}]))`,
            legend: `4xx ${legend(LABELS.service)} ${legend(LABELS.route)} ${legend(LABELS.status)}`,
          },
        ],
      }),
    )
    .withPanel(
      barGaugePanel({
        title: "Top failing routes (5xx)",
        description: `The 10 routes with the most 5xx per second (recording rule ${AGGREGATE_RECORDS.routeErrorRate}).`,
        unit: "reqps",
        targets: [
          {
            expr: `topk(10, ${sel(AGGREGATE_RECORDS.routeErrorRate, SERVICE_MATCH)} > 0)`,
            legend: `${legend(LABELS.service)} ${legend(LABELS.route)}`,
            instant: true,
          },
        ],
      }),
    )
    .withPanel(
      timeseriesPanel({
        title: "Error ratio by service",
        description: `Share of API requests answered with a 5xx (recording rule ${AGGREGATE_RECORDS.errorRatio}).`,
        unit: "percentunit",
        min: 0,
        width: 8,
        targets: [{ expr: sel(AGGREGATE_RECORDS.errorRatio, SERVICE_MATCH), legend: legend(LABELS.service) }],
      }),
    )
    .withPanel(
      timeseriesPanel({
        title: "Order failures by reason",
        description: `Orders rejected or failed per second by reason (${METRICS.orderFailures}; only the order service emits it, so it ignores the service filter).`,
        unit: "ops",
        width: 8,
        targets: [
          {
            expr: `sum by (${LABELS.reason}) (rate(${METRICS.orderFailures}[${RATE}]))`,
            legend: legend(LABELS.reason),
          },
        ],
      }),
    )
    .withPanel(
      timeseriesPanel({
        title: "Failed downstream calls and injected faults",
        description: `Calls to dependencies that failed, by dependency and error type (${METRICS.clientDuration}), and faults injected on purpose (${METRICS.faultsInjected}) — injected faults explain errors that are not bugs.`,
        unit: "ops",
        width: 8,
        targets: [
          {
            expr: `sum by (${LABELS.peerService}, ${LABELS.errorType}) (rate(${sel(`${METRICS.clientDuration}_count`, SERVICE_MATCH, `${LABELS.errorType}!=""`)}[${RATE}]))`,
            legend: `${legend(LABELS.peerService)} ${legend(LABELS.errorType)}`,
          },
          {
            expr: `sum by (${LABELS.service}, ${LABELS.fault}) (rate(${sel(METRICS.faultsInjected, SERVICE_MATCH)}[${RATE}]))`,
            legend: `fault ${legend(LABELS.service)} ${legend(LABELS.fault)}`,
          },
        ],
      }),
    )
    .withRow(row("Logs"))
    .withPanel(
      new timeseries.PanelBuilder()
        .title("Error and warning log lines")
        .description("Error and warning log lines per service (Loki).")
        .unit("short")
        .datasource(LOKI)
        .withTarget(
          new loki.DataqueryBuilder()
            .datasource(LOKI)
            .refId("A")
            .expr(
              `sum by (${LOG_FIELDS.service}, ${LOG_FIELDS.level}) (count_over_time(${logSelector} | json | ${LOG_FIELDS.level}=~"error|warn" [$__auto]))`,
            )
            .legendFormat(`${legend(LOG_FIELDS.service)} ${legend(LOG_FIELDS.level)}`),
        )
        .span(24)
        .height(6),
    )
    .withPanel(
      new logs.PanelBuilder()
        .title("Error and warning logs")
        .description(
          "Error and warning lines of the selected services; open a line and use the TraceID link (the Loki datasource's derived field) to jump to the trace in Jaeger.",
        )
        .unit("none")
        .datasource(LOKI)
        .withTarget(
          new loki.DataqueryBuilder()
            .datasource(LOKI)
            .refId("A")
            .expr(`${logSelector} | json | ${LOG_FIELDS.level}=~"error|warn"`)
            .maxLines(500),
        )
        .showTime(true)
        .wrapLogMessage(true)
        .prettifyLogMessage(false)
        .enableLogDetails(true)
        .sortOrder(common.LogsSortOrder.Descending)
        .span(24)
        .height(12),
    );
}

function slo(environment: string, options: DashboardOptions): dashboard.DashboardBuilder {
  const period = options.sloPeriod ?? "30d";
  const periodHours = windowHours(period);
  const s = (metric: string) => sel(metric, SERVICE_MATCH, SLO_MATCH);
  const id = legend(LABELS.service, SLO_LABEL);
  const on = `on(${LABELS.service}, ${SLO_LABEL})`;
  return shell(
    environment,
    "slo",
    "SLO & error budget",
    `Availability and latency SLOs of every service over the ${period} period: SLI, remaining error budget, burn rates and firing SLO alerts.`,
  )
    .withVariable(sloVariable())
    .withRow(row("Budget"))
    .withPanel(
      statPanel({
        title: "Error budget remaining",
        description: `Share of the ${period} error budget left (${SLO_RECORDS.budgetRemaining}); negative when the budget is spent.`,
        unit: "percentunit",
        targets: [{ expr: s(SLO_RECORDS.budgetRemaining), legend: id }],
        steps: [
          { value: null, color: "red" },
          { value: 0, color: "orange" },
          { value: 0.25, color: "yellow" },
          { value: 0.5, color: "green" },
        ],
        width: 12,
        height: 6,
      }),
    )
    .withPanel(
      statPanel({
        title: "Time to budget exhaustion",
        description: `Hours until the ${period} error budget is gone if the last hour's burn rate continues: max(${SLO_RECORDS.budgetRemaining}, 0) × ${periodHours} h / ${SLO_RECORDS.burnRate1h}. A burn rate of 1 spends the whole budget in exactly ${period}; no value means the SLO is not burning (burn rate 0), 0 means the budget is already spent.`,
        unit: "h",
        targets: [
          {
            expr: `clamp_min(${s(SLO_RECORDS.budgetRemaining)}, 0) * ${periodHours} / ${on} (${s(SLO_RECORDS.burnRate1h)} > 0)`,
            legend: id,
          },
        ],
        steps: [
          { value: null, color: "red" },
          { value: 24, color: "orange" },
          { value: 72, color: "yellow" },
          { value: periodHours, color: "green" },
        ],
        noValue: "not burning",
        width: 12,
        height: 6,
      }),
    )
    .withPanel(
      timeseriesPanel({
        title: "SLI (1h) and objective",
        description: `Share of good requests over the last hour (1 - ${SLO_RECORDS.errorRatio("1h")}) against the objective (${SLO_RECORDS.objective}).`,
        unit: "percentunit",
        max: 1,
        targets: [
          { expr: `1 - ${s(SLO_RECORDS.errorRatio("1h"))}`, legend: `SLI ${id}` },
          { expr: s(SLO_RECORDS.objective), legend: `objective ${id}` },
        ],
      }),
    )
    .withPanel(
      timeseriesPanel({
        title: "Error budget remaining over time",
        description: `${SLO_RECORDS.budgetRemaining} over time: the slope is the burn.`,
        unit: "percentunit",
        targets: [{ expr: s(SLO_RECORDS.budgetRemaining), legend: id }],
      }),
    )
    .withRow(row("Burn rates"))
    .withPanel(
      timeseriesPanel({
        title: "Burn rate per window",
        description: `Error ratio over each window divided by the error budget (1 - objective): ${SLO_RECORDS.errorRatio("5m").replace(/5m$/, "<window>")} / (1 - ${SLO_RECORDS.objective}). 1 spends exactly the budget over ${period}; the page alerts fire at 14.4 (1h & 5m) and 6 (6h & 30m), the ticket alerts at 3 (1d & 2h) and 1 (3d & 6h).`,
        unit: "suffix:x",
        width: 16,
        height: 10,
        targets: SLI_WINDOWS.map((w) => ({
          expr: `${s(SLO_RECORDS.errorRatio(w))} / ${on} (1 - ${s(SLO_RECORDS.objective)})`,
          legend: `${id} ${w}`,
        })),
      }),
    )
    .withPanel(
      statPanel({
        title: "Current burn rate (5m)",
        description: `${SLO_RECORDS.currentBurnRate}: error ratio over 5m divided by the budget.`,
        unit: "suffix:x",
        targets: [{ expr: s(SLO_RECORDS.currentBurnRate), legend: id }],
        steps: [
          { value: null, color: "green" },
          { value: 1, color: "yellow" },
          { value: 6, color: "orange" },
          { value: 14.4, color: "red" },
        ],
        width: 8,
        height: 10,
      }),
    )
    .withRow(row("Alerts"))
    .withPanel(
      tablePanel({
        title: "Firing SLO alerts",
        description: "SLO burn-rate alerts firing now (Prometheus ALERTS series), with their windows and severity.",
        unit: "none",
        targets: [
          {
            expr: `${sel(m("ALERTS"), `alertstate="firing"`, `${SLO_LABEL}!=""`, `${ALERT_SERVICE_LABEL}=~"$${DASHBOARD_VARIABLES.service}"`, SLO_MATCH)}`,
            instant: true,
            format: prometheus.PromQueryFormat.Table,
          },
        ],
      }),
    );
}

function platformHealth(environment: string): dashboard.DashboardBuilder {
  const jaegerJob = `job=~".*jaeger.*"`;
  const notJaeger = `job!~".*jaeger.*"`;
  return shell(
    environment,
    "platform-health",
    "Platform health",
    "Is the observability platform itself healthy: scrapes, Prometheus, Alertmanager, Loki, the OpenTelemetry Collector and Jaeger.",
  )
    .withRow(row("Scrapes"))
    .withPanel(
      statPanel({
        title: "Targets down",
        description: "Scrape targets whose last scrape failed (up == 0).",
        unit: "none",
        targets: [{ expr: `count(${m("up")} == 0) or vector(0)`, legend: "down" }],
        steps: [
          { value: null, color: "green" },
          { value: 1, color: "red" },
        ],
        height: 8,
      }),
    )
    .withPanel(
      timeseriesPanel({
        title: "Targets up by job",
        description: "Healthy scrape targets per job (sum of up).",
        unit: "none",
        width: 18,
        targets: [{ expr: `sum by (job) (${m("up")})`, legend: legend("job") }],
      }),
    )
    .withPanel(
      timeseriesPanel({
        title: "Samples per scrape by job",
        description: "Samples ingested per scrape; a jump is a cardinality change.",
        unit: "short",
        targets: [{ expr: `sum by (job) (${m("scrape_samples_scraped")})`, legend: legend("job") }],
      }),
    )
    .withPanel(
      timeseriesPanel({
        title: "Scrape duration by job",
        description: "Slowest scrape per job; close to the scrape timeout means samples are about to be lost.",
        unit: "s",
        targets: [{ expr: `max by (job) (${m("scrape_duration_seconds")})`, legend: legend("job") }],
      }),
    )
    .withRow(row("Prometheus and Alertmanager"))
    .withPanel(
      timeseriesPanel({
        title: "Head series",
        description: "Active series in Prometheus's head block (memory grows with it).",
        unit: "short",
        width: 6,
        targets: [{ expr: `sum by (pod) (${m("prometheus_tsdb_head_series")})`, legend: legend("pod") }],
      }),
    )
    .withPanel(
      timeseriesPanel({
        title: "Rule evaluation failures",
        description: "Failed rule evaluations per second by rule group: alerts and recorded series may be missing.",
        unit: "ops",
        width: 6,
        targets: [
          {
            expr: `sum by (rule_group) (rate(${m("prometheus_rule_evaluation_failures_total")}[${RATE}]))`,
            legend: legend("rule_group"),
          },
        ],
      }),
    )
    .withPanel(
      timeseriesPanel({
        title: "Storage used by blocks",
        description: "Bytes of persisted TSDB blocks (compare with the retention size).",
        unit: "bytes",
        width: 6,
        targets: [{ expr: `sum by (pod) (${m("prometheus_tsdb_storage_blocks_bytes")})`, legend: legend("pod") }],
      }),
    )
    .withPanel(
      timeseriesPanel({
        title: "Alertmanager notifications",
        description:
          "Notifications sent and failed per second by integration; failures mean alerts do not reach anyone.",
        unit: "ops",
        width: 6,
        targets: [
          {
            expr: `sum by (integration) (rate(${m("alertmanager_notifications_total")}[${RATE}]))`,
            legend: `sent ${legend("integration")}`,
          },
          {
            expr: `sum by (integration) (rate(${m("alertmanager_notifications_failed_total")}[${RATE}]))`,
            legend: `failed ${legend("integration")}`,
          },
        ],
      }),
    )
    .withRow(row("Loki"))
    .withPanel(
      timeseriesPanel({
        title: "Loki requests by status",
        description:
          "Loki HTTP/gRPC requests per second by status code; 5xx means logs are not stored or not queryable.",
        unit: "reqps",
        targets: [
          {
            expr: `sum by (status_code) (rate(${m("loki_request_duration_seconds_count")}[${RATE}]))`,
            legend: legend("status_code"),
          },
        ],
      }),
    )
    .withPanel(
      timeseriesPanel({
        title: "Log bytes received",
        description: "Bytes per second the Loki distributor receives (log ingestion volume, the cost driver).",
        unit: "Bps",
        targets: [
          { expr: `sum(rate(${m("loki_distributor_bytes_received_total")}[${RATE}]))`, legend: "bytes received" },
        ],
      }),
    )
    .withRow(row("Log cost"))
    .withPanel(
      timeseriesPanel({
        title: "Log bytes/s per service, before and after sampling",
        description: `Bytes per second the services write to stdout (${METRICS.logBytes}), and what they would write if no access line were sampled out: the sampled-out access lines (${METRICS.logLines}, ${LABELS.logDecision}="${LOG_DECISIONS.sampledOut}") at the average size of the written ones. The gap is what access-log sampling saves before Alloy and Loki.`,
        unit: "Bps",
        targets: [
          { expr: LOG_BYTES_BEFORE_SAMPLING, legend: `before ${legend(LABELS.service)}` },
          { expr: LOG_BYTES_AFTER_SAMPLING, legend: `after ${legend(LABELS.service)}` },
        ],
      }),
    )
    .withPanel(
      new timeseries.PanelBuilder()
        .title("Requests per service from access logs, scaled back")
        .description(
          `Requests per second counted from the access lines in Loki: a line without ${LOG_FIELDS.adjustedCount} counts 1, a sampled line counts ${LOG_FIELDS.adjustedCount} (1 / ${LOG_FIELDS.sampleRate}). It should follow the request-rate metric; a lasting gap means lines are lost or the sampling rule differs.`,
        )
        .unit("reqps")
        .datasource(LOKI)
        .withTarget(
          new loki.DataqueryBuilder()
            .datasource(LOKI)
            .refId("A")
            .expr(REQUESTS_FROM_ACCESS_LOGS)
            .legendFormat(legend(LOG_FIELDS.service)),
        )
        .span(12)
        .height(8),
    )
    .withRow(row("Tracing pipeline"))
    .withPanel(
      timeseriesPanel({
        title: "Collector spans accepted and refused",
        description:
          "Spans per second the OpenTelemetry Collector accepted and refused (memory_limiter or bad payloads); refused spans are lost.",
        unit: "ops",
        width: 8,
        targets: [
          {
            expr: `sum by (receiver) (rate(${sel(m("otelcol_receiver_accepted_spans_total"), notJaeger)}[${RATE}]))`,
            legend: `accepted ${legend("receiver")}`,
          },
          {
            expr: `sum by (receiver) (rate(${sel(m("otelcol_receiver_refused_spans_total"), notJaeger)}[${RATE}]))`,
            legend: `refused ${legend("receiver")}`,
          },
        ],
      }),
    )
    .withPanel(
      timeseriesPanel({
        title: "Collector export failures",
        description: "Spans per second the collector failed to export, by exporter (after retries: lost).",
        unit: "ops",
        width: 8,
        targets: [
          {
            expr: `sum by (exporter) (rate(${sel(m("otelcol_exporter_send_failed_spans_total"), notJaeger)}[${RATE}]))`,
            legend: legend("exporter"),
          },
        ],
      }),
    )
    .withPanel(
      timeseriesPanel({
        title: "Tail sampling decisions",
        description:
          "Traces per second kept or dropped by the tail_sampling processor, and traces dropped before a decision (num_traces too small for the traffic).",
        unit: "ops",
        width: 8,
        targets: [
          {
            expr: `sum by (sampled) (rate(${m("otelcol_processor_tail_sampling_global_count_traces_sampled_total")}[${RATE}]))`,
            legend: `sampled=${legend("sampled")}`,
          },
          {
            expr: `sum(rate(${m("otelcol_processor_tail_sampling_sampling_trace_dropped_too_early_total")}[${RATE}]))`,
            legend: "dropped too early",
          },
        ],
      }),
    )
    .withPanel(
      statPanel({
        title: "Jaeger up",
        description: "Jaeger instances whose metrics endpoint answers (up).",
        unit: "none",
        targets: [{ expr: `sum(${sel(m("up"), jaegerJob)}) or vector(0)`, legend: "up" }],
        steps: [
          { value: null, color: "red" },
          { value: 1, color: "green" },
        ],
        width: 8,
        height: 8,
      }),
    )
    .withPanel(
      timeseriesPanel({
        title: "Jaeger ingest and storage writes",
        description:
          "Spans per second Jaeger accepts and writes to storage, and spans its storage exporter fails to write.",
        unit: "ops",
        width: 16,
        targets: [
          {
            expr: `sum(rate(${sel(m("otelcol_receiver_accepted_spans_total"), jaegerJob)}[${RATE}]))`,
            legend: "accepted",
          },
          {
            expr: `sum(rate(${sel(m("otelcol_exporter_sent_spans_total"), jaegerJob)}[${RATE}]))`,
            legend: "written",
          },
          {
            expr: `sum(rate(${sel(m("otelcol_exporter_send_failed_spans_total"), jaegerJob)}[${RATE}]))`,
            legend: "write failures",
          },
        ],
      }),
    );
}

// ---------------------------------------------------------------------------------------------
// Output
// ---------------------------------------------------------------------------------------------

interface PanelJson {
  title?: string;
  type?: string;
  panels?: PanelJson[];
  targets?: { expr?: string; datasource?: { uid?: string } }[];
}

const KIND_BY_UID: Record<string, DashboardQuery["datasource"]> = {
  [DATASOURCE_UIDS.prometheus]: "prometheus",
  [DATASOURCE_UIDS.loki]: "loki",
};

/** Every panel of a dashboard JSON model, including panels nested in collapsed rows. */
export function dashboardPanels(json: Record<string, unknown>): PanelJson[] {
  const top = (json.panels ?? []) as PanelJson[];
  return top.flatMap((p) => [p, ...(p.panels ?? [])]);
}

/** The queries of a dashboard JSON model, read back from its targets. */
export function dashboardQueries(json: Record<string, unknown>): DashboardQuery[] {
  return dashboardPanels(json).flatMap((panel) =>
    (panel.targets ?? []).flatMap((t) => {
      const kind = KIND_BY_UID[t.datasource?.uid ?? ""];
      if (!kind || t.expr === undefined) return [];
      return [{ datasource: kind, expr: t.expr, panel: panel.title ?? "" }];
    }),
  );
}

export function generated(builder: cog.Builder<dashboard.Dashboard>): GeneratedDashboard {
  const json = JSON.parse(JSON.stringify(builder.build())) as Record<string, unknown>;
  // The builders leave ids unset (rows get 0); Grafana needs them unique for links and panel state.
  dashboardPanels(json).forEach((panel, i) => {
    (panel as { id?: number }).id = i + 1;
  });
  return { uid: String(json.uid), title: String(json.title), json, queries: dashboardQueries(json) };
}

/** The five dashboards of one environment, as Grafana JSON models with their queries. */
export function buildDashboards(environment: string, options: DashboardOptions = {}): GeneratedDashboard[] {
  return [
    serviceOverview(environment),
    latency(environment),
    errors(environment),
    slo(environment, options),
    platformHealth(environment),
  ].map(generated);
}
