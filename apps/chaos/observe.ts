/**
 * What the runner watches: the SLI services' error ratio, slow-request share and p99 from Prometheus (instant
 * queries over a short window), and each expected alert's state from Alertmanager's /api/v2/alerts.
 */
import { LABELS, METRICS, type ServiceName } from "../../contract";
import { apiRequests } from "../../infra/alerting/slos";
import type { AlertExpectation } from "../../infra/chaos/experiments";
import type { AlertSample, SliSample } from "./types";

/** Prometheus or Alertmanager did not answer (or not usefully): one sample is lost, the experiment goes on. */
export class ObservationError extends Error {}

export type SliReading = Omit<SliSample, "t">;
export type AlertState = AlertSample["state"];

export interface Observer {
  sli(services: readonly ServiceName[], window: string): Promise<SliReading[]>;
  alerts(expectations: readonly AlertExpectation[]): Promise<{ alert: AlertExpectation; state: AlertState }[]>;
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
export function scalarOf(result: { value: [number, string] }[]): number | undefined {
  const text = result[0]?.value[1];
  if (text === undefined) return undefined;
  const value = Number(text);
  return Number.isFinite(value) ? value : undefined;
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

export function httpObserver(options: ObserverOptions): Observer {
  const fetchFn = options.fetch ?? fetch;
  const timeoutMs = options.timeoutMs ?? 5_000;

  async function getJson(url: string, what: string): Promise<unknown> {
    let res: Response;
    try {
      res = await fetchFn(url, { signal: AbortSignal.timeout(timeoutMs) });
    } catch (err) {
      throw new ObservationError(`${what} did not answer: ${(err as Error).message}`);
    }
    const text = await res.text();
    if (!res.ok) throw new ObservationError(`${what} answered ${res.status}: ${text.slice(0, 200)}`);
    try {
      return JSON.parse(text);
    } catch {
      throw new ObservationError(`${what} answered something that is not JSON: ${text.slice(0, 200)}`);
    }
  }

  async function query(expr: string): Promise<number | undefined> {
    const url = `${options.prometheusUrl}/api/v1/query?query=${encodeURIComponent(expr)}`;
    const body = (await getJson(url, "Prometheus")) as {
      status?: string;
      error?: string;
      data?: { result?: { value: [number, string] }[] };
    };
    if (body.status !== "success" || !Array.isArray(body.data?.result)) {
      throw new ObservationError(`Prometheus refused ${expr}: ${body.error ?? "no result"}`);
    }
    return scalarOf(body.data.result);
  }

  return {
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
      const body = await getJson(`${options.alertmanagerUrl}/api/v2/alerts`, "Alertmanager");
      if (!Array.isArray(body)) throw new ObservationError("Alertmanager's /api/v2/alerts did not answer a list");
      return expectations.map((alert) => ({
        alert,
        state: alertStateOf(alert, body as AmAlert[], options.namespace),
      }));
    },
  };
}
