import type * as dashboard from "@grafana/grafana-foundation-sdk/dashboard";
import * as prometheus from "@grafana/grafana-foundation-sdk/prometheus";
import { LABELS, LOG_DECISIONS, LOG_FIELDS, LOG_KINDS, METRICS } from "../../contract";
import { PLATFORM_SERVICES, RELEASES } from "../platform/naming";
import { gatewayConfig } from "../tracing/collector-tiers";
import { serviceLinks } from "./links";
import { accessLogRequests } from "./log-cost";
import { hideColumns, row, statPanel, type Target, tablePanel, timeseriesPanel } from "./panels";
import { LOG_STREAM, legend, NS_MATCH, platform, RATE, SERVICE_MATCH, sel } from "./queries";
import { type DashboardSettings, NONE_IS_BAD, retentionSteps, ZERO_IS_GOOD } from "./settings";
import { shell } from "./shell";

/**
 * The `job` each component's metrics carry, as its ServiceMonitor names it (preflight checks these against
 * the rendered monitors): the operator's Service name for kube-prometheus-stack's parts, the release for
 * the charts'; Loki's chart names its job `<namespace>/loki` (`<namespace>/loki-read|write|backend` in simple
 * scalable mode), Jaeger's monitor is the program's.
 */
export const COMPONENT_JOBS = {
  prometheus: PLATFORM_SERVICES.prometheus.name,
  alertmanager: PLATFORM_SERVICES.alertmanager.name,
  grafana: PLATFORM_SERVICES.grafana.name,
  loki: `(.+/)?${RELEASES.loki}(-(read|write|backend))?`,
  alloy: RELEASES.alloy,
  collector: RELEASES.collector,
  /** Only with `scale: distributed`. */
  gateway: RELEASES.otelGateway,
  jaeger: RELEASES.jaeger,
} as const;
type Component = keyof typeof COMPONENT_JOBS;

/** A metric of one component of the environment's platform. */
const of = (component: Component, metric: string, ...matchers: string[]) =>
  platform(metric, `job=~"${COMPONENT_JOBS[component]}"`, ...matchers);
const rate = (component: Component, metric: string, by: string[] = [], ...matchers: string[]) =>
  `sum${by.length ? ` by (${by.join(", ")})` : ""} (rate(${of(component, metric, ...matchers)}[${RATE}]))`;

const upStat = (component: Component, title: string) =>
  statPanel({
    title: `${title} up`,
    description: `Instances of ${title} whose metrics endpoint answers (sum of up, job=~"${COMPONENT_JOBS[component]}"); red at none.`,
    unit: "none",
    targets: [{ expr: `sum(${of(component, "up")}) or vector(0)`, legend: "up" }],
    steps: NONE_IS_BAD,
    width: 4,
    height: 8,
  });

const series = (title: string, description: string, unit: string, targets: Target[], width = 10) =>
  timeseriesPanel({ title, description, unit, targets, width, height: 8 });

/**
 * The trace gateway of `scale: distributed` (infra/tracing/collector-tiers.ts): what it receives, what its
 * loadbalancing exporter hands to the samplers, its queue and its HPA. The exporter's metrics carry its
 * component id (the pipeline's exporter); the per-sampler OTLP exporters inside it report none
 * (open-telemetry/opentelemetry-collector-contrib#43719).
 */
function withGateway(d: dashboard.DashboardBuilder, settings: DashboardSettings): dashboard.DashboardBuilder {
  const [exporterId] = gatewayConfig(settings.namespaces).service.pipelines.traces.exporters;
  if (!exporterId) throw new Error("the gateway's traces pipeline has no exporter to chart");
  const exporter = `exporter="${exporterId}"`;
  // the chart names the HPA after the release's fullname (fullnameOverride: the gateway's Service name)
  const hpa = (metric: string) =>
    `max(${platform(metric, `horizontalpodautoscaler="${PLATFORM_SERVICES.otelGateway.name}"`)})`;
  return d
    .withRow(row("OpenTelemetry Collector gateway"))
    .withPanel(upStat("gateway", "Collector gateway"))
    .withPanel(
      series(
        "Gateway spans accepted and refused",
        "Spans per second the gateway's OTLP receiver accepts from the services, and refuses: refused spans are lost once the services' exporters give up. Refusals come from memory_limiter (too few gateway replicas for the load, or samplers too slow to drain the queue) or bad payloads.",
        "ops",
        [
          {
            expr: rate("gateway", "otelcol_receiver_accepted_spans_total", ["receiver"]),
            legend: `accepted ${legend("receiver")}`,
          },
          {
            expr: rate("gateway", "otelcol_receiver_refused_spans_total", ["receiver"]),
            legend: `refused ${legend("receiver")}`,
          },
        ],
      ),
    )
    .withPanel(
      series(
        "Gateway spans sent and failed",
        `Spans per second the ${exporterId} exporter routes by trace id to the samplers, and spans it fails to send: failures mean samplers unreachable (none resolved from their headless Service, restarting, or their queues full) and those spans are lost after retries. Failures are counted per incoming batch: a batch split over several samplers counts whole when one of them fails.`,
        "ops",
        [
          { expr: rate("gateway", "otelcol_exporter_sent_spans_total", [], exporter), legend: "sent" },
          { expr: rate("gateway", "otelcol_exporter_send_failed_spans_total", [], exporter), legend: "failed" },
        ],
      ),
    )
    .withPanel(
      timeseriesPanel({
        title: "Gateway sending queue: size / capacity",
        description: `Share of the ${exporterId} exporter's sending queue in use, per gateway pod. It fills when the samplers do not keep up or cannot be reached; at 1 new spans are refused and lost.`,
        unit: "percentunit",
        width: 12,
        height: 8,
        min: 0,
        max: 1,
        targets: [
          {
            expr: `max by (pod) (${of("gateway", "otelcol_exporter_queue_size", exporter)}) / max by (pod) (${of("gateway", "otelcol_exporter_queue_capacity", exporter)})`,
            legend: legend("pod"),
          },
        ],
        steps: [
          { value: null, color: "green" },
          { value: 0.5, color: "yellow" },
          { value: 0.8, color: "red" },
        ],
      }),
    )
    .withPanel(
      series(
        "Gateway replicas: current and maximum",
        "Gateway pods its HorizontalPodAutoscaler runs (it scales on CPU), against the most it may run. At the maximum it can add none: if the load still grows, refused spans and a filling queue follow; raise distributed.collector.gateway.maxReplicas.",
        "none",
        [
          { expr: hpa("kube_horizontalpodautoscaler_status_current_replicas"), legend: "current" },
          { expr: hpa("kube_horizontalpodautoscaler_spec_max_replicas"), legend: "maximum" },
        ],
        12,
      ),
    );
}

export function platformHealth(settings: DashboardSettings): dashboard.DashboardBuilder {
  const bothNamespaces = `namespace=~"$namespace|$platform_namespace"`;
  const perService = (metric: string, ...matchers: string[]) =>
    `sum by (${LABELS.service}) (rate(${sel(metric, NS_MATCH, SERVICE_MATCH, ...matchers)}[${RATE}]))`;
  const ACCESS = `${LABELS.logKind}="${LOG_KINDS.access}"`;
  const bytesAfter = perService(METRICS.logBytes);
  const sampledOut = perService(METRICS.logLines, ACCESS, `${LABELS.logDecision}="${LOG_DECISIONS.sampledOut}"`);
  const written = perService(METRICS.logLines, ACCESS, `${LABELS.logDecision}="${LOG_DECISIONS.written}"`);
  // sampled-out access lines at the average size of the written ones; `or … * 0` where none was written
  const bytesBefore = `${bytesAfter} + (${sampledOut} * ${perService(METRICS.logBytes, ACCESS)} / (${written} > 0) or ${bytesAfter} * 0)`;

  const upToAlloy = shell(
    settings,
    "platform-health",
    "Platform health",
    "Is the observability platform itself healthy: scrapes and down targets, then each component (Prometheus, Alertmanager, Grafana, Loki, Alloy, OpenTelemetry Collector, Jaeger) with up, ingestion and what it drops or refuses, and the cost of the services' logs.",
    { scope: "platform" },
  )
    .withRow(row("Scrapes"))
    .withPanel(
      statPanel({
        title: "Targets down now",
        description: "Scrape targets of the environment whose last scrape failed (up == 0).",
        unit: "none",
        targets: [{ expr: `count(${sel("up", bothNamespaces)} == 0) or vector(0)`, legend: "down" }],
        steps: ZERO_IS_GOOD,
        width: 4,
        height: 8,
      }),
    )
    .withPanel(
      tablePanel({
        title: "Targets by share of the range down",
        description:
          "Every scrape target of the environment with the share of the selected range its scrapes failed (1 - avg_over_time(up)), worst first: a target that flapped during an incident stays listed afterwards.",
        unit: "percentunit",
        width: 20,
        height: 8,
        targets: [
          {
            expr: `sort_desc(1 - avg_over_time(${sel("up", bothNamespaces)}[$__range]))`,
            instant: true,
            format: prometheus.PromQueryFormat.Table,
          },
        ],
        transformations: [hideColumns(["Time", "__name__"])],
      }),
    )
    .withPanel(
      series(
        "Samples per scrape by job",
        "Samples ingested per scrape; a jump is a cardinality change.",
        "short",
        [{ expr: `sum by (job) (${sel("scrape_samples_scraped", bothNamespaces)})`, legend: legend("job") }],
        12,
      ),
    )
    .withPanel(
      series(
        "Scrape duration by job",
        "Slowest scrape per job; close to the scrape timeout means samples are about to be lost.",
        "s",
        [{ expr: `max by (job) (${sel("scrape_duration_seconds", bothNamespaces)})`, legend: legend("job") }],
        12,
      ),
    )
    .withRow(row("Prometheus"))
    .withPanel(upStat("prometheus", "Prometheus"))
    .withPanel(
      series(
        "Samples appended and head series",
        "Samples/s written to the head block, and its active series (memory grows with them).",
        "short",
        [
          {
            expr: rate("prometheus", "prometheus_tsdb_head_samples_appended_total", ["instance"]),
            legend: `appended/s ${legend("instance")}`,
          },
          {
            expr: `sum by (instance) (${of("prometheus", "prometheus_tsdb_head_series")})`,
            legend: `head series ${legend("instance")}`,
          },
        ],
      ),
    )
    .withPanel(
      timeseriesPanel({
        title: "Storage used by blocks",
        description: `Bytes of persisted TSDB blocks against the retention size (${Math.round(settings.retentionSizeBytes / 2 ** 30)} GiB; dashed at 80 % and 90 %, where PrometheusStorageNearlyFull fires): past it, the oldest data goes early.`,
        unit: "bytes",
        width: 10,
        height: 8,
        targets: [
          {
            expr: `sum by (instance) (${of("prometheus", "prometheus_tsdb_storage_blocks_bytes")})`,
            legend: legend("instance"),
          },
        ],
        steps: retentionSteps(settings),
      }),
    )
    .withPanel(
      timeseriesPanel({
        title: "Rule group duration / interval",
        description:
          "How much of its interval each rule group's last evaluation took (the 30-day SLO windows are the heaviest). At 1 (dashed) the group overruns its interval and iterations are missed: alerts come late.",
        unit: "percentunit",
        width: 12,
        height: 8,
        targets: [
          {
            expr: `max by (rule_group) (${of("prometheus", "prometheus_rule_group_last_duration_seconds")} / ${of("prometheus", "prometheus_rule_group_interval_seconds")})`,
            legend: legend("rule_group"),
          },
        ],
        steps: [
          { value: null, color: "green" },
          { value: 0.5, color: "yellow" },
          { value: 1, color: "red" },
        ],
      }),
    )
    .withPanel(
      series(
        "Missed iterations and failed evaluations",
        "Rule-group iterations skipped because the previous one overran, and failed rule evaluations, per second by group: alerts and records may be late or missing.",
        "ops",
        [
          {
            expr: rate("prometheus", "prometheus_rule_group_iterations_missed_total", ["rule_group"]),
            legend: `missed ${legend("rule_group")}`,
          },
          {
            expr: rate("prometheus", "prometheus_rule_evaluation_failures_total", ["rule_group"]),
            legend: `failed ${legend("rule_group")}`,
          },
        ],
        12,
      ),
    )
    .withRow(row("Alertmanager"))
    .withPanel(upStat("alertmanager", "Alertmanager"))
    .withPanel(
      series(
        "Alerts received and invalid",
        "Alerts per second Alertmanager receives from Prometheus (by status), and those it rejects as invalid.",
        "ops",
        [
          {
            expr: rate("alertmanager", "alertmanager_alerts_received_total", ["status"]),
            legend: `received ${legend("status")}`,
          },
          { expr: rate("alertmanager", "alertmanager_alerts_invalid_total"), legend: "invalid" },
        ],
      ),
    )
    .withPanel(
      series(
        "Notifications sent and failed",
        "Notifications per second by integration; failures mean alerts reach nobody.",
        "ops",
        [
          {
            expr: rate("alertmanager", "alertmanager_notifications_total", ["integration"]),
            legend: `sent ${legend("integration")}`,
          },
          {
            expr: rate("alertmanager", "alertmanager_notifications_failed_total", ["integration"]),
            legend: `failed ${legend("integration")}`,
          },
        ],
      ),
    )
    .withRow(row("Grafana"))
    .withPanel(upStat("grafana", "Grafana"))
    .withPanel(
      series(
        "Grafana requests by status",
        "HTTP requests per second Grafana serves, by status code; 5xx are dashboards or queries failing for their users.",
        "reqps",
        [
          {
            expr: rate("grafana", "grafana_http_request_duration_seconds_count", ["status_code"]),
            legend: legend("status_code"),
          },
        ],
        20,
      ),
    )
    .withRow(row("Loki"))
    .withPanel(upStat("loki", "Loki"))
    .withPanel(
      series(
        "Log lines and bytes received",
        "Lines and bytes per second Loki's distributor receives (the log volume, its cost driver).",
        "short",
        [
          { expr: rate("loki", "loki_distributor_lines_received_total"), legend: "lines/s" },
          { expr: rate("loki", "loki_distributor_bytes_received_total"), legend: "bytes/s" },
        ],
      ),
    )
    .withPanel(
      series(
        "Refused: discarded lines and failing requests",
        "Lines Loki discards per second by reason (rate limits, too old, too long), and its requests answered with a 5xx: logs lost or unqueryable.",
        "ops",
        [
          { expr: rate("loki", "loki_discarded_samples_total", ["reason"]), legend: `discarded ${legend("reason")}` },
          {
            expr: rate("loki", "loki_request_duration_seconds_count", ["status_code"], `status_code=~"5.."`),
            legend: `5xx ${legend("status_code")}`,
          },
        ],
      ),
    )
    .withRow(row("Alloy"))
    .withPanel(upStat("alloy", "Alloy"))
    .withPanel(
      series("Entries shipped to Loki", "Log entries per second Alloy's loki.write sends.", "ops", [
        { expr: rate("alloy", "loki_write_sent_entries_total"), legend: "sent" },
      ]),
    )
    .withPanel(
      series(
        "Entries dropped",
        "Entries Alloy fails to deliver (loki.write, by reason: lost), and lines its pipeline drops on purpose (stage.drop, by reason).",
        "ops",
        [
          { expr: rate("alloy", "loki_write_dropped_entries_total", ["reason"]), legend: `lost ${legend("reason")}` },
          {
            expr: rate("alloy", "loki_process_dropped_lines_total", ["reason"]),
            legend: `dropped by the pipeline ${legend("reason")}`,
          },
        ],
      ),
    );
  // spans flow gateway → samplers (the collector row) → Jaeger
  return (settings.scale === "distributed" ? withGateway(upToAlloy, settings) : upToAlloy)
    .withRow(row("OpenTelemetry Collector"))
    .withPanel(upStat("collector", "Collector"))
    .withPanel(
      series(
        "Spans accepted and refused",
        "Spans per second the collector's receivers accept, and refuse (memory_limiter or bad payloads): refused spans are lost.",
        "ops",
        [
          {
            expr: rate("collector", "otelcol_receiver_accepted_spans_total", ["receiver"]),
            legend: `accepted ${legend("receiver")}`,
          },
          {
            expr: rate("collector", "otelcol_receiver_refused_spans_total", ["receiver"]),
            legend: `refused ${legend("receiver")}`,
          },
        ],
      ),
    )
    .withPanel(
      series(
        "Export failures and tail sampling",
        "Spans the collector fails to export (after retries: lost), traces kept and dropped by tail sampling, and traces dropped before a decision (num_traces too small).",
        "ops",
        [
          {
            expr: rate("collector", "otelcol_exporter_send_failed_spans_total", ["exporter"]),
            legend: `export failed ${legend("exporter")}`,
          },
          {
            expr: rate("collector", "otelcol_processor_tail_sampling_global_count_traces_sampled_total", ["sampled"]),
            legend: `sampled=${legend("sampled")}`,
          },
          {
            expr: rate("collector", "otelcol_processor_tail_sampling_sampling_trace_dropped_too_early_total"),
            legend: "dropped too early",
          },
        ],
      ),
    )
    .withRow(row("Jaeger"))
    .withPanel(upStat("jaeger", "Jaeger"))
    .withPanel(
      series("Spans accepted and written", "Spans per second Jaeger accepts and writes to storage.", "ops", [
        { expr: rate("jaeger", "otelcol_receiver_accepted_spans_total"), legend: "accepted" },
        { expr: rate("jaeger", "otelcol_exporter_sent_spans_total"), legend: "written" },
      ]),
    )
    .withPanel(
      series(
        "Refused and failed writes",
        "Spans Jaeger refuses, and spans its storage exporter fails to write: traces lost.",
        "ops",
        [
          { expr: rate("jaeger", "otelcol_receiver_refused_spans_total"), legend: "refused" },
          { expr: rate("jaeger", "otelcol_exporter_send_failed_spans_total"), legend: "write failures" },
        ],
      ),
    )
    .withRow(row("Log cost"))
    .withPanel(
      timeseriesPanel({
        title: "Log bytes/s per service, before and after sampling",
        description: `Bytes per second the services write to stdout (${METRICS.logBytes}), and what they would write if no access line were sampled out: the sampled-out access lines (${METRICS.logLines}, ${LABELS.logDecision}="${LOG_DECISIONS.sampledOut}") at the average size of the written ones. The gap is what access-log sampling saves before Alloy and Loki.`,
        unit: "Bps",
        targets: [
          { expr: bytesBefore, legend: `before ${legend(LABELS.service)}` },
          { expr: bytesAfter, legend: `after ${legend(LABELS.service)}` },
        ],
        links: serviceLinks(settings.environment),
      }),
    )
    .withPanel(
      timeseriesPanel({
        title: "Requests per service from access logs, scaled back",
        description: `Requests per second counted from the access lines in Loki: a line without ${LOG_FIELDS.adjustedCount} counts 1, a sampled line counts ${LOG_FIELDS.adjustedCount} (1 / ${LOG_FIELDS.sampleRate}). It should follow the request-rate metric; a lasting gap means lines are lost or the sampling rule differs.`,
        unit: "reqps",
        targets: [],
        lokiQueries: [{ expr: accessLogRequests(LOG_STREAM), legend: legend(LOG_FIELDS.service) }],
        links: serviceLinks(settings.environment),
      }),
    );
}
