import { LABELS, SLO_CURRENT_BURN_RATE_RECORD } from "../../contract";

/**
 * Names of the recording rules the SLO and aggregation rule generators emit. Dashboards, alerts and
 * tests read these; the generators in this folder are the only writers.
 */

/** Windows the SLI error ratio is recorded for (the SLO period is added per environment). */
export const SLI_WINDOWS = ["5m", "30m", "1h", "2h", "6h", "1d", "3d"] as const;
export type SliWindow = (typeof SLI_WINDOWS)[number] | "28d" | "30d";

/** Label naming the SLO (`availability` or `latency`) on every SLO series and alert. */
export const SLO_LABEL = "slo";
export const SLO_KINDS = ["availability", "latency"] as const;
export type SloKind = (typeof SLO_KINDS)[number];

export const SLO_RECORDS = {
  /** Share of requests that failed the SLO over the window: `slo:sli_error:ratio_rate5m`. */
  errorRatio: (window: SliWindow) => `slo:sli_error:ratio_rate${window}`,
  objective: "slo:objective:ratio",
  /** 1 - (errors over the SLO period / budget); negative when the budget is spent. */
  budgetRemaining: "slo:error_budget_remaining:ratio",
  /** Error ratio over 5m divided by the budget (1 = spending exactly the budget). */
  currentBurnRate: SLO_CURRENT_BURN_RATE_RECORD,
  /** Error ratio over 1h divided by the budget. */
  burnRate1h: "slo:burn_rate:ratio_rate1h",
} as const;

/** Cheap per-service series for dashboards (labels: service_name, and http_route where named). */
export const AGGREGATE_RECORDS = {
  requestRate: "service:http_server_requests:rate5m",
  errorRatio: "service:http_server_errors:ratio_rate5m",
  routeRequestRate: "service_route:http_server_requests:rate5m",
  routeErrorRate: "service_route:http_server_errors:rate5m",
  latencyQuantile: (q: "p50" | "p90" | "p99") => `service:http_server_request_duration_seconds:${q}_rate5m`,
} as const;

export const SERVICE_LABEL = LABELS.service;

/** Capacity per service (labels: service_name): what it can serve with its ready replicas, and how much is left. */
export const CAPACITY_RECORDS = {
  /** `capacity.services.<name>.capacityPerReplicaRps` of the stack config. */
  perReplica: "service:capacity_per_replica:rps",
  /** Available replicas of the service's Deployment (kube-state-metrics), else its up scrape targets. */
  readyReplicas: "service:ready_replicas:count",
  /** perReplica × readyReplicas. */
  capacity: "service:capacity:rps",
  /** Current API request rate ÷ capacity. */
  utilisation: "service:capacity_utilisation:ratio",
  /** 1 − utilisation: the share of capacity still free. */
  headroom: "service:capacity_headroom:ratio",
} as const;

/** Label naming the store (prometheus, loki, jaeger) on storage alerts. */
export const STORE_LABEL = "store";
