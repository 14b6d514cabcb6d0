import type { StackConfig } from "../config/schema";
import { buildCapacityDashboard, capacityDashboardOptions } from "./capacity";
import { chaos } from "./chaos";
import { buildCostDashboard, costDashboardOptions } from "./cost";
import { errors } from "./errors";
import { latency } from "./latency";
import { type GeneratedDashboard, generated } from "./model";
import { buildMultiEnvironmentDashboard, multiEnvironmentDashboardOptions } from "./multi-environment";
import { platformHealth } from "./platform-health";
import { serviceOverview } from "./service-overview";
import { type DashboardSettings, dashboardSettings } from "./settings";
import { slo } from "./slo";

export * from "./model";
export { type DashboardSettings, dashboardSettings } from "./settings";

/**
 * Platform and runtime metric names the dashboards may query besides the recording rules
 * (infra/alerting/names.ts) and the services' own metrics (contract/). A test fails on any other name, so a
 * typo or a renamed metric shows up before Grafana shows an empty panel.
 */
export const PLATFORM_METRICS = [
  // prom-client default metrics of the services
  "nodejs_eventloop_lag_p99_seconds",
  "process_cpu_seconds_total",
  "process_resident_memory_bytes",
  "process_start_time_seconds",
  // the blackbox exporter's probes of the services
  "probe_success",
  "probe_duration_seconds",
  // every scrape, and Prometheus' alerts
  "up",
  "scrape_samples_scraped",
  "scrape_duration_seconds",
  "ALERTS",
  // Prometheus
  "prometheus_tsdb_head_series",
  "prometheus_tsdb_head_samples_appended_total",
  "prometheus_tsdb_storage_blocks_bytes",
  "prometheus_rule_evaluation_failures_total",
  "prometheus_rule_group_last_duration_seconds",
  "prometheus_rule_group_interval_seconds",
  "prometheus_rule_group_iterations_missed_total",
  // Alertmanager
  "alertmanager_alerts_received_total",
  "alertmanager_alerts_invalid_total",
  "alertmanager_notifications_total",
  "alertmanager_notifications_failed_total",
  // Grafana
  "grafana_http_request_duration_seconds_count",
  // Loki
  "loki_request_duration_seconds_count",
  "loki_distributor_lines_received_total",
  "loki_distributor_bytes_received_total",
  "loki_discarded_samples_total",
  // Alloy (loki.write and loki.process components)
  "loki_write_sent_entries_total",
  "loki_write_dropped_entries_total",
  "loki_process_dropped_lines_total",
  // OpenTelemetry Collector and Jaeger v2 (built on the collector: same otelcol_ metrics)
  "otelcol_receiver_accepted_spans_total",
  "otelcol_receiver_refused_spans_total",
  "otelcol_exporter_sent_spans_total",
  "otelcol_exporter_send_failed_spans_total",
  // the gateway's loadbalancing exporter (scale: distributed)
  "otelcol_exporter_queue_size",
  "otelcol_exporter_queue_capacity",
  "otelcol_processor_tail_sampling_global_count_traces_sampled_total",
  "otelcol_processor_tail_sampling_sampling_trace_dropped_too_early_total",
] as const;

/**
 * The dashboards of one environment built from its dashboard settings (the five, and chaos: game days read
 * the same SLOs), as Grafana JSON models with their queries.
 */
export function buildDashboards(settings: DashboardSettings): GeneratedDashboard[] {
  return [serviceOverview, latency, errors, slo, platformHealth, chaos].map((build) => generated(build(settings)));
}

/** Every dashboard a stack deploys (those above, capacity, multi-environment), as the Pulumi program builds them. */
export function stackDashboards(config: StackConfig): GeneratedDashboard[] {
  return [
    ...buildDashboards(dashboardSettings(config)),
    buildCapacityDashboard(config.environment, capacityDashboardOptions(config)),
    buildMultiEnvironmentDashboard(multiEnvironmentDashboardOptions(config)),
    buildCostDashboard(config.environment, costDashboardOptions(config)),
  ];
}
