/**
 * The platform's state as Prometheus sees it: whether every action must be held (the hold query returns
 * series, or Prometheus does not answer) and, after an action, whether its alert still fires and how fast
 * the service burns its error budget. Instant queries through the shared client (apps/lib/prometheus-api.ts).
 */
import { ALERT_LABELS, LABELS } from "../../contract";
import { instantQuery, PrometheusApiError, prometheusBaseUrl } from "../lib/prometheus-api";
import type { PlatformStatus, Target } from "./types";

/** Prometheus's own series of alerts and its state label. */
const ALERTS_METRIC = "ALERTS";
const ALERT_STATE = "alertstate";
const DEFAULT_TIMEOUT_MS = 5_000;

export interface PlatformStatusArgs {
  prometheusUrl: string;
  /** RESPONDER_HOLD_QUERY (infra/alerting/playbook.ts holdQueryOf). */
  holdQuery: string;
  /** SLO_CURRENT_BURN_RATE_RECORD. */
  burnRateRecord: string;
  timeoutMs?: number;
  fetch?: typeof fetch;
}

export interface Sample {
  metric: Record<string, string>;
  value: number;
}

/** A PromQL string literal (label values come from alerts: quote and escape them). */
export function promString(value: string): string {
  return JSON.stringify(value);
}

/** The selector of a target's firing alert. */
export function alertQuery(alertname: string, target: Target): string {
  const matchers = [
    `${ALERT_LABELS.alertname}=${promString(alertname)}`,
    `${ALERT_STATE}="firing"`,
    `${ALERT_LABELS.namespace}=${promString(target.namespace)}`,
    `${ALERT_LABELS.service}=${promString(target.service)}`,
  ];
  return `${ALERTS_METRIC}{${matchers.join(",")}}`;
}

/** The service's highest current burn rate over its SLOs. */
export function burnRateQuery(record: string, target: Target): string {
  return `max(${record}{${ALERT_LABELS.namespace}=${promString(target.namespace)},${LABELS.service}=${promString(target.service)}})`;
}

/**
 * Why the hold query's series hold every action: an ALERTS series is named by its alertname; an aggregate
 * (several services burning at once) by its alertname and value ("SLOFastBurn firing for 2 services").
 */
export function holdReasonOf(series: Sample[]): string | undefined {
  if (series.length === 0) return undefined;
  const reasons = series.map(({ metric, value }) => {
    const name = metric[ALERT_LABELS.alertname] ?? JSON.stringify(metric);
    return metric[ALERT_STATE] === undefined ? `${name} firing for ${value} services` : `${name} firing`;
  });
  return `held: ${[...new Set(reasons)].join("; ")}`;
}

export function createPlatformStatus(args: PlatformStatusArgs): PlatformStatus {
  const base = baseUrlOf(args.prometheusUrl);
  const options = { fetch: args.fetch, timeoutMs: args.timeoutMs ?? DEFAULT_TIMEOUT_MS };
  const query = async (promql: string): Promise<Sample[]> =>
    (await instantQuery(base, promql, options)).map(({ labels, value }) => ({ metric: labels, value }));

  return {
    async holdReason() {
      try {
        return holdReasonOf(await query(args.holdQuery));
      } catch (error) {
        return `cannot check platform health: ${reasonOf(error)}`;
      }
    },
    // Throws when Prometheus does not answer: the watcher tells "no answer" from "still firing".
    async alertState(alertname, target) {
      const [alerts, burn] = await Promise.all([
        query(alertQuery(alertname, target)),
        query(burnRateQuery(args.burnRateRecord, target)),
      ]);
      const rate = burn[0]?.value;
      return { firing: alerts.length > 0, burnRate: rate === undefined || Number.isNaN(rate) ? undefined : rate };
    },
  };
}

/** The checked PROMETHEUS_URL (a path prefix such as /prometheus is kept). */
function baseUrlOf(prometheusUrl: string): URL {
  try {
    return prometheusBaseUrl(prometheusUrl);
  } catch {
    throw new Error(`PROMETHEUS_URL must be an http: or https: URL, got "${prometheusUrl}"`);
  }
}

/** A hold's reason, short (the hold query is long): the HTTP status and what Prometheus said, or what happened. */
function reasonOf(error: unknown): string {
  if (!(error instanceof PrometheusApiError)) return error instanceof Error ? error.message : String(error);
  const { status, reason } = error.details;
  if (error.kind === "not-vector") return `Prometheus answered a ${reason} result, not a vector`;
  return status === undefined ? error.message : `HTTP ${status} from Prometheus: ${reason}`;
}
