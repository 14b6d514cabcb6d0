/**
 * The report's Prometheus client: instant queries, the active targets' scrape intervals and the loaded rules
 * over the HTTP API, through the shared client (apps/lib/prometheus-api.ts).
 */
import { durationSeconds } from "../../infra/preflight/checks/rendered-config/units";
import type { QueryKey } from "../../infra/queries/cost-report-queries";
import { type LoadedRules, loadedRulesOf } from "../../infra/queries/used-metrics";
import {
  getPrometheusJson,
  instantQuery,
  PrometheusApiError,
  type PromSeries,
  prometheusBaseUrl,
} from "../lib/prometheus-api";

/** The series of a query answer; a NaN or infinite value stays as Number() reads it, the analysis skips it. */
export { seriesOf as samplesOf } from "../lib/prometheus-api";

/** Prometheus did not answer at all (refused, timed out, not an HTTP URL): the report cannot start. */
export class PrometheusUnreachable extends Error {
  override name = "PrometheusUnreachable";
}

export type Sample = PromSeries;

/** The answer of every query of the report. */
export type Results = Record<QueryKey, Sample[]>;

export interface PrometheusClient {
  readonly url: string;
  /** Every series of an instant query (a scalar answer is one series without labels). */
  query(expr: string): Promise<Sample[]>;
  /** Scrape interval in seconds by job, from the active targets. */
  scrapeIntervals(): Promise<Map<string, number>>;
  /** Every rule group Prometheus has loaded (GET /api/v1/rules), whoever wrote it. */
  loadedRules(): Promise<LoadedRules>;
}

/** The base URL, checked: http(s) only, a path prefix (/prometheus) kept. */
export function baseUrlOf(url: string): URL {
  try {
    return prometheusBaseUrl(url);
  } catch {
    throw new PrometheusUnreachable(`--prometheus must be an http:// or https:// URL, got "${url}"`);
  }
}

/**
 * No answer, or not Prometheus' (a 404 page, a login form): the report cannot start. A refused query or an
 * odd answer stays a plain error: a bug of the report, not bad input.
 */
function unreachableOr(base: URL) {
  return (err: unknown): never => {
    if (err instanceof PrometheusApiError && err.kind === "unreachable") {
      throw new PrometheusUnreachable(
        `Prometheus at ${base.origin}${base.pathname} did not answer: ${err.details.reason}`,
      );
    }
    if (err instanceof PrometheusApiError && err.kind === "not-json") throw new PrometheusUnreachable(err.message);
    throw err;
  };
}

export function httpPrometheus(url: string, options: { timeoutMs?: number; fetch?: typeof fetch } = {}) {
  const base = baseUrlOf(url);
  const request = { fetch: options.fetch, timeoutMs: options.timeoutMs ?? 30_000 };
  const getJson = (path: string, params: Record<string, string>) =>
    getPrometheusJson(base, path, params, request).catch(unreachableOr(base));

  const client: PrometheusClient = {
    url: `${base.origin}${base.pathname}`.replace(/\/$/, ""),
    async query(expr) {
      return instantQuery(base, expr, request).catch(unreachableOr(base));
    },
    async scrapeIntervals() {
      const body = (await getJson("api/v1/targets", { state: "active" })) as {
        data?: { activeTargets?: { labels?: Record<string, string>; scrapeInterval?: string }[] };
      };
      const out = new Map<string, number>();
      for (const t of body.data?.activeTargets ?? []) {
        const job = t.labels?.job;
        const seconds = durationSeconds(t.scrapeInterval, "prometheus");
        if (job !== undefined && seconds !== undefined) out.set(job, seconds);
      }
      return out;
    },
    async loadedRules() {
      return loadedRulesOf(await getJson("api/v1/rules", {}));
    },
  };
  return client;
}
