import { LABELS } from "../../contract";
import { headroomAlertThreshold } from "../alerting/capacity-rules";
import { AGGREGATE_RECORDS, CAPACITY_RECORDS } from "../alerting/names";
import { FILL_HORIZON_SECONDS, predictedBytes, type StoreUsage, storeUsage } from "../capacity/stores";
import type { StackConfig } from "../config/schema";
import { serviceLinks } from "./links";
import { CAPACITY_DASHBOARD_KEY, type GeneratedDashboard, generated } from "./model";
import { row, statPanel, timeseriesPanel } from "./panels";
import { legend, PLATFORM_NS_MATCH, RATE, record, sel } from "./queries";
import { type DashboardSettings, dashboardSettings } from "./settings";
import { shell } from "./shell";

/**
 * Metric names the capacity dashboard reads besides recording rules: kube-state-metrics, cAdvisor and the
 * kubelet (all queried by kube-prometheus-stack's own rules or dashboards), and the stores' size metrics.
 * A test fails on any other name.
 */
export const CAPACITY_METRICS = [
  "kube_horizontalpodautoscaler_status_current_replicas",
  "kube_horizontalpodautoscaler_status_desired_replicas",
  "kube_horizontalpodautoscaler_spec_max_replicas",
  "container_cpu_usage_seconds_total",
  "container_memory_working_set_bytes",
  "kube_pod_container_resource_requests",
  "kube_pod_container_resource_limits",
  "kubelet_volume_stats_used_bytes",
  "kubelet_volume_stats_capacity_bytes",
  "prometheus_tsdb_head_series",
  "prometheus_tsdb_storage_blocks_bytes",
  "prometheus_tsdb_wal_storage_size_bytes",
  "prometheus_tsdb_head_chunks_storage_size_bytes",
  "loki_ingester_chunk_stored_bytes_total",
  "otelcol_exporter_sent_spans_total",
  "scrape_samples_scraped",
] as const;
type CapacityMetric = (typeof CAPACITY_METRICS)[number];
const m = (name: CapacityMetric) => name;

/** What the capacity dashboard needs from the stack config. */
export interface CapacityDashboardOptions {
  settings: DashboardSettings;
  headroomPercent: number;
  stores: StoreUsage[];
}

export function capacityDashboardOptions(config: StackConfig): CapacityDashboardOptions {
  return {
    settings: dashboardSettings(config),
    headroomPercent: config.capacity.headroomPercent,
    stores: storeUsage(config),
  };
}

const DAY = 86_400;

/** Rate vs capacity, autoscaling, saturation, store usage and series growth of one environment. */
export function buildCapacityDashboard(environment: string, options: CapacityDashboardOptions): GeneratedDashboard {
  const apps = options.settings.namespaces.apps;
  const platform = options.settings.namespaces.platform;
  const container = `namespace="${apps}",container=~"$service"`;
  const hpa = (metric: CapacityMetric) => sel(m(metric), `namespace="${apps}"`, `horizontalpodautoscaler=~"$service"`);
  const byContainer = (expr: string) => `sum by (container) (${expr})`;
  const resource = (metric: CapacityMetric, name: "cpu" | "memory") =>
    byContainer(sel(m(metric), container, `resource="${name}"`));
  const cpuUsed = byContainer(`rate(${sel(m("container_cpu_usage_seconds_total"), container)}[${RATE}])`);
  const memoryUsed = byContainer(sel(m("container_memory_working_set_bytes"), container));
  // utilisation at the planned peak: the headroom alert's threshold
  const planned = headroomAlertThreshold(options.headroomPercent);
  const storeLegend = (store: string, what: string) => `${store} ${what}`;

  const builder = shell(
    { ...options.settings, environment },
    CAPACITY_DASHBOARD_KEY,
    "Capacity",
    "Request rate against what the ready replicas can serve, autoscaling, CPU and memory against requests and limits, how full each store is and when it fills, and Prometheus' series growth.",
  )
    .withRow(row("Rate vs capacity"))
    .withPanel(
      timeseriesPanel({
        title: "Request rate vs capacity by service",
        description: `API requests/s (${AGGREGATE_RECORDS.requestRate}) and capacity (${CAPACITY_RECORDS.capacity} = capacity.services.<name>.capacityPerReplicaRps × ready replicas).`,
        unit: "reqps",
        width: 16,
        targets: [
          { expr: record(AGGREGATE_RECORDS.requestRate), legend: `${legend(LABELS.service)} rate` },
          { expr: record(CAPACITY_RECORDS.capacity), legend: `${legend(LABELS.service)} capacity` },
        ],
        links: serviceLinks(environment),
      }),
    )
    .withPanel(
      statPanel({
        title: "Headroom by service",
        description: `Share of capacity still free (${CAPACITY_RECORDS.headroom}). Yellow below the headroom planned above the peak (${Math.round((1 - planned) * 1000) / 10}%: CapacityHeadroomLow fires), red below 10%.`,
        unit: "percentunit",
        width: 8,
        height: 8,
        targets: [{ expr: record(CAPACITY_RECORDS.headroom), legend: legend(LABELS.service) }],
        steps: [
          { value: null, color: "red" },
          { value: 0.1, color: "yellow" },
          { value: Math.round((1 - planned) * 1e4) / 1e4, color: "green" },
        ],
      }),
    )
    .withRow(row("Autoscaling"))
    .withPanel(
      timeseriesPanel({
        title: "HPA replicas: current, desired, max",
        description:
          "The HorizontalPodAutoscaler of each service (kube-state-metrics): current at max for 15 minutes fires ServiceAtMaxReplicas.",
        unit: "short",
        width: 16,
        min: 0,
        targets: [
          {
            expr: hpa("kube_horizontalpodautoscaler_status_current_replicas"),
            legend: "{{horizontalpodautoscaler}} current",
          },
          {
            expr: hpa("kube_horizontalpodautoscaler_status_desired_replicas"),
            legend: "{{horizontalpodautoscaler}} desired",
          },
          { expr: hpa("kube_horizontalpodautoscaler_spec_max_replicas"), legend: "{{horizontalpodautoscaler}} max" },
        ],
      }),
    )
    .withPanel(
      statPanel({
        title: "Ready replicas",
        description: `Replicas serving each service (${CAPACITY_RECORDS.readyReplicas}): available Deployment replicas, else up scrape targets. Red at 0.`,
        unit: "short",
        width: 8,
        height: 8,
        targets: [{ expr: record(CAPACITY_RECORDS.readyReplicas), legend: legend(LABELS.service) }],
        steps: [
          { value: null, color: "red" },
          { value: 1, color: "green" },
        ],
      }),
    )
    .withRow(row("Saturation"))
    .withPanel(
      timeseriesPanel({
        title: "CPU used vs requested and limit by service",
        description:
          "CPU used (cAdvisor) over the containers' CPU requests (what the HPA's cpuTargetPercent refers to) and limits (absent where no cpuLimit is set).",
        unit: "percentunit",
        min: 0,
        targets: [
          {
            expr: `${cpuUsed} / ${resource("kube_pod_container_resource_requests", "cpu")}`,
            legend: "{{container}} / request",
          },
          {
            expr: `${cpuUsed} / ${resource("kube_pod_container_resource_limits", "cpu")}`,
            legend: "{{container}} / limit",
          },
        ],
      }),
    )
    .withPanel(
      timeseriesPanel({
        title: "Memory working set vs requested and limit by service",
        description:
          "Working set (what the OOM killer compares) over the containers' memory requests and limits: at 100 % of the limit the pod is killed.",
        unit: "percentunit",
        min: 0,
        targets: [
          {
            expr: `${memoryUsed} / ${resource("kube_pod_container_resource_requests", "memory")}`,
            legend: "{{container}} / request",
          },
          {
            expr: `${memoryUsed} / ${resource("kube_pod_container_resource_limits", "memory")}`,
            legend: "{{container}} / limit",
          },
        ],
      }),
    )
    .withPanel(
      statPanel({
        title: "Highest memory use vs limit",
        description:
          "Largest working set ÷ memory limit among the selected services' containers. Yellow from 80 %, red from 90 %: close to an OOM kill.",
        unit: "percentunit",
        width: 24,
        height: 4,
        targets: [
          { expr: `max(${memoryUsed} / ${resource("kube_pod_container_resource_limits", "memory")})`, legend: "max" },
        ],
        steps: [
          { value: null, color: "green" },
          { value: 0.8, color: "yellow" },
          { value: 0.9, color: "red" },
        ],
      }),
    )
    .withRow(row("Storage"))
    .withPanel(
      timeseriesPanel({
        title: "Store usage vs limit",
        description: `Bytes each store uses (Prometheus: blocks + WAL + head; Loki and Jaeger: estimates from their write counters, see the runbook StoreVolumeFillingUp) and its limit (${options.stores.map((s) => s.limitKey).join(", ")}).`,
        unit: "bytes",
        width: 12,
        min: 0,
        targets: options.stores.flatMap((s) => [
          { expr: s.usedBytes, legend: storeLegend(s.store, "used") },
          { expr: `vector(${s.limitBytes})`, legend: storeLegend(s.store, "limit") },
        ]),
      }),
    )
    .withPanel(
      timeseriesPanel({
        title: "Store usage predicted in 4 days",
        description:
          "predict_linear over the last 6 hours, 4 days ahead (StoreVolumeFillingUp fires above the limit with over 85 % already used).",
        unit: "bytes",
        width: 12,
        min: 0,
        targets: options.stores.map((s) => ({
          expr: predictedBytes(s, FILL_HORIZON_SECONDS),
          legend: storeLegend(s.store, "in 4 days"),
        })),
      }),
    )
    .withPanel(
      statPanel({
        title: "Days until full",
        description:
          "(limit − used) ÷ the growth per day of the last 6 hours (the slope predict_linear uses). Empty while a store is not growing. Red under 4 days, yellow under 14.",
        unit: "d",
        width: 12,
        noValue: "not growing",
        targets: options.stores.map((s) => ({
          expr: `(${s.limitBytes} - ${s.usedBytes}) / (deriv((${s.usedBytes})[6h:15m]) > 0) / ${DAY}`,
          legend: s.store,
        })),
        steps: [
          { value: null, color: "red" },
          { value: 4, color: "yellow" },
          { value: 14, color: "green" },
        ],
      }),
    )
    .withPanel(
      timeseriesPanel({
        title: "Volumes reported by the kubelet",
        description: `Used ÷ capacity of each PersistentVolumeClaim in ${platform} (kubelet_volume_stats_*, the data KubePersistentVolumeFillingUp reads). Empty with volume plugins that report nothing, such as kind's local-path.`,
        unit: "percentunit",
        width: 12,
        min: 0,
        max: 1,
        targets: [
          {
            expr: `${sel(m("kubelet_volume_stats_used_bytes"), `namespace="${platform}"`)} / ${sel(m("kubelet_volume_stats_capacity_bytes"), `namespace="${platform}"`)}`,
            legend: "{{persistentvolumeclaim}}",
          },
        ],
      }),
    )
    .withRow(row("Active series"))
    .withPanel(
      timeseriesPanel({
        title: "Active series",
        description:
          "Series in Prometheus' head block per replica: what capacity.platformActiveSeries + activeSeriesPerReplica × replicas projects.",
        unit: "short",
        targets: [
          { expr: `sum by (pod) (${sel(m("prometheus_tsdb_head_series"), PLATFORM_NS_MATCH)})`, legend: legend("pod") },
        ],
      }),
    )
    .withPanel(
      statPanel({
        title: "Series growth per day",
        description:
          "Growth of the head series over the last day as a share of them. Yellow from 5 %/day, red from 20 %/day: a cardinality leak.",
        unit: "percentunit",
        width: 6,
        height: 8,
        targets: [
          {
            expr: `max(deriv(${sel(m("prometheus_tsdb_head_series"), PLATFORM_NS_MATCH)}[1d])) * ${DAY} / max(${sel(m("prometheus_tsdb_head_series"), PLATFORM_NS_MATCH)})`,
            legend: "per day",
          },
        ],
        steps: [
          { value: null, color: "green" },
          { value: 0.05, color: "yellow" },
          { value: 0.2, color: "red" },
        ],
      }),
    )
    .withPanel(
      timeseriesPanel({
        title: "Series per service replica",
        description:
          "Samples each service target exposes per scrape: compare with capacity.activeSeriesPerReplica (which adds ~100 cAdvisor and kube-state-metrics series per pod).",
        unit: "short",
        width: 6,
        targets: [
          {
            expr: `${sel(m("scrape_samples_scraped"), `namespace="${apps}"`, 'job=~"$service"')}`,
            legend: "{{job}} {{instance}}",
          },
        ],
      }),
    );
  return generated(builder);
}
