/**
 * Every PromQL query the report sends, built from the contract's names and the stack config. The cost
 * sections read only the recorded cost series (contract/cost.ts); the telemetry sections prefer the recorded
 * volume series and fall back to raw metrics where the records are absent (a local demo has no
 * kube-state-metrics, no collector and no cost rules, but its services count their own log bytes).
 */
import { COST_LABELS, COST_RECORDS, INFRA_PATHS, LABELS, LOG_KINDS, METRICS, SERVICE_NAMES } from "../../contract";
import { KPS_POD_OWNER_RECORD } from "../alerting/cost-rules";
import type { StackConfig } from "../config/schema";
import { type Namespaces, PLATFORM_SERVICES } from "../platform/naming";

const R = COST_RECORDS;
const L = COST_LABELS;

/** Seconds the raw rates look back: long enough for a few scrapes of the slowest interval (60 s). */
export const RATE_WINDOW_SECONDS = 300;
/** The window the always-kept share of traces (errors, slow requests) is measured over. */
export const TRAFFIC_WINDOW = "1h";

/** The claim label of the storage cost series (kube-state-metrics' own). */
export const CLAIM_LABEL = "persistentvolumeclaim";

/** The StatefulSet the operator creates for the stack's Prometheus: its cost prices the series it holds. */
export const prometheusWorkload = () => `prometheus-${PLATFORM_SERVICES.prometheus.name}`;

export function reportQueries(config: StackConfig, ns: Namespaces) {
  const apps = `namespace="${ns.apps}"`;
  // the services' API requests, as the SLOs count them (not probes, scrapes or health checks)
  const api = (extra = "") =>
    `{${apps},${LABELS.service}=~"${SERVICE_NAMES.join("|")}",${LABELS.route}!~"${INFRA_PATHS.join("|")}"${extra}}`;
  const requests = (extra = "") => `sum(rate(${METRICS.serverDuration}_count${api(extra)}[${TRAFFIC_WINDOW}]))`;
  const fast = `sum(rate(${METRICS.serverDuration}_bucket${api(`,le="${config.slo.latencyThresholdSeconds}"`)}[${TRAFFIC_WINDOW}]))`;
  const rw = `${RATE_WINDOW_SECONDS}s`;
  const byService = (record: string) => `sum by (${LABELS.service}) (${record})`;
  const workloadKey = `${L.namespace}, ${L.workload}, ${L.container}`;
  const collector = `namespace="${ns.platform}",job="${PLATFORM_SERVICES.collector.name}"`;
  return {
    // (a) cost
    environmentHourly: `sum by (${L.environment}) (${R.environmentHourly})`,
    teamHourly: `sum by (${L.team}) (${R.teamHourly})`,
    workloadHourly: `sum by (${L.namespace}, ${L.workload}, ${L.scope}) (${R.workloadHourly})`,
    claimHourly: `sum by (${L.namespace}, ${CLAIM_LABEL}) (${R.storageHourly})`,
    scopeHourly: `sum by (${L.scope}) (${R.scopeHourly})`,
    monthToDate: `sum by (${L.environment}) (${R.monthToDate})`,
    monthForecast: `sum by (${L.environment}) (${R.monthForecast})`,
    // (b) right-sizing
    cpuRequest: `sum by (${workloadKey}) (${R.cpuRequestCores})`,
    cpuRecommended: `sum by (${workloadKey}) (${R.cpuRecommendedCores})`,
    memoryRequest: `sum by (${workloadKey}) (${R.memoryRequestBytes})`,
    memoryRecommended: `sum by (${workloadKey}) (${R.memoryRecommendedBytes})`,
    // requests and recommendations are per pod: a saving is per pod × the workload's running pods
    runningPods: `count by (${L.namespace}, ${L.workload}) (${KPS_POD_OWNER_RECORD} * on (namespace, pod) group_left () (max by (namespace, pod) (kube_pod_status_phase{phase="Running"}) == 1))`,
    // (c) unused metrics: every series by name and scrape job; what Prometheus itself costs
    seriesByName: `count by (__name__, job) ({__name__=~".+"})`,
    prometheusHourly: `sum(${R.workloadHourly}{${L.namespace}="${ns.platform}",${L.workload}="${prometheusWorkload()}"})`,
    // (d) telemetry volume, recorded
    activeSeries: byService(R.activeSeries),
    samplesPerSecond: byService(R.samplesPerSecond),
    logBytesPerSecond: byService(R.logBytesPerSecond),
    spansReceivedPerSecond: byService(R.spansReceivedPerSecond),
    spansKeptPerSecond: byService(R.spansKeptPerSecond),
    // (d) telemetry volume, raw: per scrape job of the apps namespace, the services' own log counter, span metrics
    rawActiveSeries: `sum by (job) (scrape_samples_post_metric_relabeling{${apps}})`,
    rawSamplesPerSecond: `sum by (job) (sum_over_time(scrape_samples_post_metric_relabeling{${apps}}[${rw}])) / ${RATE_WINDOW_SECONDS}`,
    rawLogBytesPerSecond: `sum by (${LABELS.service}) (rate(${METRICS.logBytes}{${apps}}[${rw}]))`,
    rawSpansReceivedPerSecond: `sum by (${LABELS.service}) (rate(traces_span_metrics_calls_total{${collector}}[${rw}]))`,
    rawSpansKeptPerSecond: `sum(rate(otelcol_exporter_sent_spans_total{${collector},exporter=~".*jaeger.*"}[${rw}]))`,
    // (e) what the access lines weigh: what sampling them would save
    accessLogBytesPerSecond: `sum by (${LABELS.service}) (rate(${METRICS.logBytes}{${apps},${LABELS.logKind}="${LOG_KINDS.access}"}[${rw}]))`,
    // (f) the share of traces tail sampling always keeps, from the services' own requests
    requests: requests(),
    errorRequests: requests(`,${LABELS.status}=~"5.."`),
    fastRequests: fast,
  };
}

export type ReportQueries = ReturnType<typeof reportQueries>;
export type QueryKey = keyof ReportQueries;
