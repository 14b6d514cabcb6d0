/**
 * The report's Prometheus client: instant queries, the active targets' scrape intervals and the loaded rules
 * over the HTTP API.
 * The chaos runner (apps/chaos/observe.ts) and the responder (apps/responder/prometheus.ts) keep their query
 * function inside their own closures; this one is the same few lines, answering every series of a vector.
 */
import { durationSeconds } from "../../infra/preflight/checks/rendered-config/units";
import type { QueryKey } from "../../infra/queries/cost-report-queries";
import { type LoadedRules, loadedRulesOf } from "../../infra/queries/used-metrics";

/** Prometheus did not answer at all (refused, timed out, not an HTTP URL): the report cannot start. */
export class PrometheusUnreachable extends Error {
  override name = "PrometheusUnreachable";
}

export interface Sample {
  labels: Record<string, string>;
  value: number;
}

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

/** fetch says "fetch failed" and puts the reason (ECONNREFUSED…) in its cause. */
function reasonOf(error: unknown): string {
  const e = error as { message?: string; cause?: { code?: string; message?: string } };
  return e.cause ? `${e.message} (${e.cause.code ?? e.cause.message})` : String(e.message ?? error);
}

/** The base URL, checked: http(s) only, a trailing slash so a path prefix (/prometheus) is kept. */
export function baseUrlOf(url: string): URL {
  let parsed: URL | undefined;
  try {
    parsed = new URL(url.endsWith("/") ? url : `${url}/`);
  } catch {
    // reported below
  }
  if (parsed?.protocol !== "http:" && parsed?.protocol !== "https:") {
    throw new PrometheusUnreachable(`--prometheus must be an http:// or https:// URL, got "${url}"`);
  }
  return parsed;
}

/** The series of a query answer; a NaN or infinite value stays as Number() reads it, the analysis skips it. */
export function samplesOf(body: unknown, expr: string): Sample[] {
  const b = body as { status?: string; error?: string; data?: { resultType?: string; result?: unknown } };
  if (b.status !== "success") throw new Error(`Prometheus refused ${expr}: ${b.error ?? "no status"}`);
  const { resultType, result } = b.data ?? {};
  if (resultType === "scalar") return [{ labels: {}, value: Number((result as [number, string])[1]) }];
  if (resultType !== "vector" || !Array.isArray(result)) {
    throw new Error(`Prometheus answered ${expr} with a ${resultType ?? "missing"} result, not a vector`);
  }
  return (result as { metric?: Record<string, string>; value?: [number, string] }[]).map((s) => ({
    labels: s.metric ?? {},
    value: Number(s.value?.[1]),
  }));
}

export function httpPrometheus(url: string, options: { timeoutMs?: number; fetch?: typeof fetch } = {}) {
  const base = baseUrlOf(url);
  const doFetch = options.fetch ?? fetch;
  const timeoutMs = options.timeoutMs ?? 30_000;

  async function getJson(path: string, params: Record<string, string>): Promise<unknown> {
    const target = new URL(path, base);
    for (const [k, v] of Object.entries(params)) target.searchParams.set(k, v);
    let res: Response;
    try {
      res = await doFetch(target, { signal: AbortSignal.timeout(timeoutMs) });
    } catch (err) {
      throw new PrometheusUnreachable(`Prometheus at ${base.origin}${base.pathname} did not answer: ${reasonOf(err)}`);
    }
    const text = await res.text();
    try {
      return JSON.parse(text);
    } catch {
      // a 404 page, a login form, a proxy's error: not a Prometheus API
      throw new PrometheusUnreachable(
        `${target.origin}${target.pathname} answered ${res.status} with something that is not Prometheus' JSON: ${text.slice(0, 120)}`,
      );
    }
  }

  const client: PrometheusClient = {
    url: `${base.origin}${base.pathname}`.replace(/\/$/, ""),
    async query(expr) {
      return samplesOf(await getJson("api/v1/query", { query: expr }), expr);
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
