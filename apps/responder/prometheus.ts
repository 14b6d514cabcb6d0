/**
 * The platform's state as Prometheus sees it: whether every action must be held (the hold query returns
 * series, or Prometheus does not answer) and, after an action, whether its alert still fires and how fast
 * the service burns its error budget. Instant queries over plain HTTP.
 */
import { ALERT_LABELS, LABELS } from "../../contract";
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
  const base = queryUrlOf(args.prometheusUrl);
  const doFetch = args.fetch ?? fetch;
  const timeoutMs = args.timeoutMs ?? DEFAULT_TIMEOUT_MS;

  async function query(promql: string): Promise<Sample[]> {
    const url = new URL(base);
    url.searchParams.set("query", promql);
    const res = await doFetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    const text = await res.text();
    let body: { status?: string; error?: string; data?: { resultType?: string; result?: unknown } };
    try {
      body = JSON.parse(text);
    } catch {
      throw new Error(`HTTP ${res.status} from Prometheus: ${text.slice(0, 200)}`);
    }
    if (!res.ok || body.status !== "success") {
      throw new Error(`HTTP ${res.status} from Prometheus: ${body.error ?? body.status ?? "no status"}`);
    }
    if (body.data?.resultType !== "vector" || !Array.isArray(body.data.result)) {
      throw new Error(`Prometheus answered a ${body.data?.resultType ?? "missing"} result, not a vector`);
    }
    return (body.data.result as { metric?: Record<string, string>; value?: [number, string] }[]).map((s) => ({
      metric: s.metric ?? {},
      value: Number(s.value?.[1]),
    }));
  }

  return {
    async holdReason() {
      try {
        return holdReasonOf(await query(args.holdQuery));
      } catch (error) {
        return `cannot check platform health: ${errorText(error)}`;
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

/** The query endpoint under the given URL (a path prefix such as /prometheus is kept). */
function queryUrlOf(prometheusUrl: string): URL {
  let url: URL | undefined;
  try {
    url = new URL("api/v1/query", prometheusUrl.endsWith("/") ? prometheusUrl : `${prometheusUrl}/`);
  } catch {
    // reported below
  }
  if (url?.protocol !== "http:" && url?.protocol !== "https:") {
    throw new Error(`PROMETHEUS_URL must be an http: or https: URL, got "${prometheusUrl}"`);
  }
  return url;
}

/** fetch says "fetch failed" and puts the reason (ECONNREFUSED…) in its cause. Duck-typed: errors may come from another realm. */
function errorText(error: unknown): string {
  const e = error as { message?: unknown; cause?: { code?: string; message?: string } } | undefined;
  if (typeof e?.message !== "string") return String(error);
  return e.cause ? `${e.message} (${e.cause.code ?? e.cause.message})` : e.message;
}
