/**
 * What the runner watches: the SLI services' error ratio, slow-request share and p99 from Prometheus (instant
 * queries over a short window), and each expected alert's state from Alertmanager's /api/v2/alerts, both
 * through the shared client (apps/lib/prometheus-api.ts).
 */
import { parse as parseYaml } from "yaml";
import { LABELS, METRICS, type ServiceName } from "../../contract";
import { SLO_LABEL, SLO_RECORDS, type SliWindow, type SloKind } from "../../infra/alerting/names";
import { apiRequests } from "../../infra/alerting/slos";
import type { AlertExpectation } from "../../infra/chaos/experiments";
import { durationSeconds } from "../../infra/preflight/checks/rendered-config/units";
import {
  getPrometheusJson,
  instantQuery,
  PrometheusApiError,
  type PromSeries,
  prometheusBaseUrl,
} from "../lib/prometheus-api";
import type { AlertSample, SliSample } from "./types";

/** Prometheus or Alertmanager did not answer (or not usefully): one sample is lost, the experiment goes on. */
export class ObservationError extends Error {}

export type SliReading = Omit<SliSample, "t">;
export type AlertState = AlertSample["state"];

/** What a burn experiment's plan needs from Prometheus (plan.ts). */
export interface PlanInputs {
  /** Seconds of the SLI's request history, up to the bound asked for. */
  historySeconds: number;
  /** The SLI's recorded bad share per rule window before the fault. */
  priorRatios: Record<string, number>;
  scrapeSeconds: number;
  evaluationSeconds: number;
}

export interface Observer {
  sli(services: readonly ServiceName[], window: string): Promise<SliReading[]>;
  alerts(expectations: readonly AlertExpectation[]): Promise<{ alert: AlertExpectation; state: AlertState }[]>;
  planInputs(service: ServiceName, slo: SloKind, windows: readonly string[], upToSeconds: number): Promise<PlanInputs>;
  /** Prometheus' scrape and rule-evaluation intervals. */
  intervals(): Promise<Pick<PlanInputs, "scrapeSeconds" | "evaluationSeconds">>;
}

/** Prometheus' global scrape and evaluation intervals from its configuration (defaults 1m, as Prometheus has). */
export function intervalsOf(configYaml: string): { scrapeSeconds: number; evaluationSeconds: number } {
  const global = ((parseYaml(configYaml) ?? {}) as { global?: Record<string, unknown> }).global ?? {};
  const seconds = (key: string) => {
    const value = global[key] ?? "1m";
    const parsed = durationSeconds(value, "prometheus");
    if (parsed === undefined)
      throw new ObservationError(`Prometheus' global.${key} "${String(value)}" is not a duration`);
    return parsed;
  };
  return { scrapeSeconds: seconds("scrape_interval"), evaluationSeconds: seconds("evaluation_interval") };
}

/**
 * PromQL of the seconds of request history a service has, up to `upToSeconds`: the steps of a subquery at which
 * its request counters existed, times the step.
 */
export function historyQuery(service: ServiceName, namespace: string, upToSeconds: number, stepSeconds: number) {
  const count = `${METRICS.serverDuration}_count${apiRequests({ service, namespace })}`;
  return `count_over_time(sum(${count})[${upToSeconds}s:${stepSeconds}s]) * ${stepSeconds}`;
}

/** The PromQL of one service's SLIs over `window`: API requests only (not probes, scrapes or health checks). */
export function sliQueries(service: ServiceName, namespace: string, window: string, thresholdSeconds: number) {
  const sel = (extra = "") => apiRequests({ service, namespace }, extra);
  const count = `${METRICS.serverDuration}_count`;
  const bucket = `${METRICS.serverDuration}_bucket`;
  const all = `sum(rate(${count}${sel()}[${window}]))`;
  return {
    // `or vector(0)`: a service that never answered a 5xx has no such series, which is a ratio of 0, not "no data"
    errorRatio: `(sum(rate(${count}${sel(`,${LABELS.status}=~"5.."`)}[${window}])) or vector(0)) / ${all}`,
    slowRatio: `1 - (sum(rate(${bucket}${sel(`,le="${thresholdSeconds}"`)}[${window}])) / ${all})`,
    p99: `histogram_quantile(0.99, sum by (le) (rate(${bucket}${sel()}[${window}])))`,
  };
}

/** An alert as /api/v2/alerts lists it (the fields read here). */
export interface AmAlert {
  labels: Record<string, string>;
  status: { state: "active" | "suppressed" | "unprocessed"; inhibitedBy?: string[]; silencedBy?: string[] };
}

/**
 * The state of an expectation among Alertmanager's alerts: `active` when a matching alert is firing and
 * delivered, `suppressed` when every matching one is inhibited or silenced (or not yet processed: not delivered
 * either), `absent` when none fires. An alert of another environment's namespace does not match.
 */
export function alertStateOf(
  expectation: AlertExpectation,
  alerts: readonly AmAlert[],
  namespace?: string,
): AlertState {
  const matching = alerts.filter(
    (a) =>
      a.labels.alertname === expectation.alertname &&
      Object.entries(expectation.labels).every(([k, v]) => a.labels[k] === v) &&
      (namespace === undefined || a.labels.namespace === undefined || a.labels.namespace === namespace),
  );
  if (matching.some((a) => a.status.state === "active")) return "active";
  return matching.length ? "suppressed" : "absent";
}

/** A value of an instant query's single series; undefined for no series or NaN (no traffic in the window). */
export function scalarOf(series: readonly PromSeries[]): number | undefined {
  const value = series[0]?.value;
  return value !== undefined && Number.isFinite(value) ? value : undefined;
}

export interface ObserverOptions {
  prometheusUrl: string;
  alertmanagerUrl: string;
  /** The environment's apps namespace (the `namespace` label Prometheus gives the services' series). */
  namespace: string;
  latencyThresholdSeconds: number;
  timeoutMs?: number;
  fetch?: typeof fetch;
}

/** The shared client's errors, worded for the runner's log: "Prometheus did not answer: …". */
function observationErrorOf(what: string) {
  return (err: unknown): never => {
    if (!(err instanceof PrometheusApiError)) throw err;
    if (err.kind === "unreachable") throw new ObservationError(`${what} did not answer: ${err.details.reason}`);
    throw new ObservationError(`${what}: ${err.message}`);
  };
}

export function httpObserver(options: ObserverOptions): Observer {
  const request = { fetch: options.fetch, timeoutMs: options.timeoutMs ?? 5_000 };
  const baseOf = (url: string, what: string) => {
    try {
      return prometheusBaseUrl(url);
    } catch (err) {
      return observationErrorOf(what)(err);
    }
  };
  const prometheus = baseOf(options.prometheusUrl, "Prometheus");
  const alertmanager = baseOf(options.alertmanagerUrl, "Alertmanager");

  async function query(expr: string): Promise<number | undefined> {
    return scalarOf(await instantQuery(prometheus, expr, request).catch(observationErrorOf("Prometheus")));
  }

  async function prometheusConfig(): Promise<string> {
    const body = (await getPrometheusJson(prometheus, "api/v1/status/config", {}, request).catch(
      observationErrorOf("Prometheus"),
    )) as { data?: { yaml?: string } };
    if (typeof body.data?.yaml !== "string") throw new ObservationError("Prometheus did not show its configuration");
    return body.data.yaml;
  }

  return {
    async intervals() {
      return intervalsOf(await prometheusConfig());
    },
    async planInputs(service, slo, windows, upToSeconds) {
      const { scrapeSeconds, evaluationSeconds } = intervalsOf(await prometheusConfig());
      // fine enough to see a young demo's minutes, coarse enough for days of history
      const step = Math.max(scrapeSeconds, Math.ceil(upToSeconds / 5_000));
      const sel = `{namespace="${options.namespace}",${LABELS.service}="${service}",${SLO_LABEL}="${slo}"}`;
      const [history, ...ratios] = await Promise.all([
        query(historyQuery(service, options.namespace, Math.ceil(upToSeconds), step)),
        ...windows.map((w) => query(`${SLO_RECORDS.errorRatio(w as SliWindow)}${sel}`)),
      ]);
      return {
        historySeconds: Math.min(history ?? 0, upToSeconds),
        priorRatios: Object.fromEntries(windows.map((w, i) => [w, ratios[i] ?? 0])),
        scrapeSeconds,
        evaluationSeconds,
      };
    },
    async sli(services, window) {
      return Promise.all(
        services.map(async (service) => {
          const q = sliQueries(service, options.namespace, window, options.latencyThresholdSeconds);
          const [errorRatio, slowRatio, p99Seconds] = await Promise.all([
            query(q.errorRatio),
            query(q.slowRatio),
            query(q.p99),
          ]);
          return { service, errorRatio, slowRatio, p99Seconds };
        }),
      );
    },
    async alerts(expectations) {
      if (expectations.length === 0) return [];
      const body = await getPrometheusJson(alertmanager, "api/v2/alerts", {}, request).catch(
        observationErrorOf("Alertmanager"),
      );
      if (!Array.isArray(body)) throw new ObservationError("Alertmanager's /api/v2/alerts did not answer a list");
      return expectations.map((alert) => ({
        alert,
        state: alertStateOf(alert, body as AmAlert[], options.namespace),
      }));
    },
  };
}
