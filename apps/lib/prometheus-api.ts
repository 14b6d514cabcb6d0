/**
 * A small client of Prometheus' HTTP API (https://prometheus.io/docs/prometheus/latest/querying/api/), shared by
 * the responder, the cost report and the chaos runner: a checked base URL, a GET that reads JSON, instant
 * queries. It throws one error class whose `kind` says what went wrong, so each caller words it its own way.
 * Alertmanager's API (/api/v2/alerts) answers JSON too and goes through getPrometheusJson as well.
 */

const QUERY_PATH = "api/v1/query";

export type PrometheusApiErrorKind =
  /** The base URL is not http(s). */
  | "bad-url"
  /** No answer: connection refused, DNS, timeout. */
  | "unreachable"
  /** An answer that is not JSON: a 404 page, a login form, a proxy's error. */
  | "not-json"
  /** A non-2xx JSON answer that is not Prometheus' error envelope. */
  | "http-status"
  /** Prometheus answered `status: "error"` (a bad query, an overloaded server). */
  | "refused"
  /** A query answered a matrix or string where a vector or scalar was expected. */
  | "not-vector";

export class PrometheusApiError extends Error {
  override name = "PrometheusApiError";
  constructor(
    readonly kind: PrometheusApiErrorKind,
    message: string,
    readonly details: {
      /** What was asked: the base URL as given (bad-url), else origin and path (no credentials, no query). */
      url: string;
      /** The HTTP status, when there was an answer. */
      status?: number;
      /** Short: the cause (ECONNREFUSED…), Prometheus' error text, the start of the body or the result type. */
      reason: string;
    },
  ) {
    super(message);
  }
}

/** One series of an instant query: its labels (none for a scalar) and its value (NaN stays NaN). */
export interface PromSeries {
  labels: Record<string, string>;
  value: number;
}

export interface RequestOptions {
  /** Injectable for tests; the global fetch otherwise. */
  fetch?: typeof fetch;
  /** Bounds the whole exchange, body included. */
  timeoutMs: number;
}

/** The base URL, checked: http(s) only, with a trailing slash so a path prefix (/prometheus) is kept. */
export function prometheusBaseUrl(url: string): URL {
  let parsed: URL | undefined;
  try {
    parsed = new URL(url.endsWith("/") ? url : `${url}/`);
  } catch {
    // reported below
  }
  if (parsed?.protocol !== "http:" && parsed?.protocol !== "https:") {
    throw new PrometheusApiError("bad-url", `"${url}" is not an http:// or https:// URL`, {
      url,
      reason: "not http(s)",
    });
  }
  return parsed;
}

/** Where a request goes, for messages: origin and path, without credentials or the (long) query. */
function endpointOf(base: URL, path: string): string {
  const target = new URL(path, base);
  return `${target.origin}${target.pathname}`;
}

/** Why fetch failed: it says "fetch failed" and puts the reason in its cause. Duck-typed: errors may come from another realm. */
function causeOf(error: unknown, timeoutMs: number): string {
  const e = error as { name?: unknown; message?: unknown; cause?: { code?: string; message?: string } } | undefined;
  if (e?.name === "TimeoutError") return `no answer within ${timeoutMs} ms`;
  if (typeof e?.message !== "string") return String(error);
  return e.cause ? `${e.message} (${e.cause.code ?? e.cause.message})` : e.message;
}

/**
 * GET `path` (relative: "api/v1/query") under `base` and parse the answer as JSON. Throws PrometheusApiError:
 * unreachable, not-json, refused (Prometheus' error envelope on a non-2xx) or http-status (any other non-2xx).
 * A 2xx body is returned as is: the caller reads its envelope.
 */
export async function getPrometheusJson(
  base: URL,
  path: string,
  params: Record<string, string>,
  options: RequestOptions,
): Promise<unknown> {
  const target = new URL(path, base);
  for (const [k, v] of Object.entries(params)) target.searchParams.set(k, v);
  const url = endpointOf(base, path);
  let res: Response;
  let text: string;
  try {
    res = await (options.fetch ?? fetch)(target, { signal: AbortSignal.timeout(options.timeoutMs) });
    text = await res.text();
  } catch (err) {
    const reason = causeOf(err, options.timeoutMs);
    throw new PrometheusApiError("unreachable", `${url} did not answer: ${reason}`, { url, reason });
  }
  const { status } = res;
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    const reason = text.slice(0, 200);
    throw new PrometheusApiError("not-json", `${url} answered ${status} with something that is not JSON: ${reason}`, {
      url,
      status,
      reason,
    });
  }
  if (res.ok) return body;
  const envelope = body as { status?: unknown; error?: unknown } | null;
  if (envelope?.status === "error" && typeof envelope.error === "string") {
    const reason = envelope.error;
    throw new PrometheusApiError("refused", `${url} refused the request (${status}): ${reason}`, {
      url,
      status,
      reason,
    });
  }
  const reason = text.slice(0, 200);
  throw new PrometheusApiError("http-status", `${url} answered ${status}: ${reason}`, { url, status, reason });
}

/** The series of an instant query's answer: a vector's series, or a scalar as one series without labels. */
export function seriesOf(body: unknown, expr: string, url = QUERY_PATH): PromSeries[] {
  const b = body as { status?: string; error?: string; data?: { resultType?: string; result?: unknown } } | null;
  if (b?.status !== "success") {
    const reason = b?.error ?? `status ${b?.status ?? "missing"}`;
    throw new PrometheusApiError("refused", `Prometheus refused ${expr}: ${reason}`, { url, reason });
  }
  const { resultType, result } = b.data ?? {};
  if (resultType === "scalar" && Array.isArray(result)) return [{ labels: {}, value: Number(result[1]) }];
  if (resultType !== "vector" || !Array.isArray(result)) {
    const reason = resultType ?? "missing";
    throw new PrometheusApiError("not-vector", `Prometheus answered ${expr} with a ${reason} result, not a vector`, {
      url,
      reason,
    });
  }
  return (result as { metric?: Record<string, string>; value?: [number, string] }[]).map((s) => ({
    labels: s.metric ?? {},
    value: Number(s.value?.[1]),
  }));
}

/** GET api/v1/query?query=expr: every series of the answer. A refusal names the expression. */
export async function instantQuery(base: URL, expr: string, options: RequestOptions): Promise<PromSeries[]> {
  let body: unknown;
  try {
    body = await getPrometheusJson(base, QUERY_PATH, { query: expr }, options);
  } catch (err) {
    if (!(err instanceof PrometheusApiError && err.kind === "refused")) throw err;
    throw new PrometheusApiError("refused", `Prometheus refused ${expr}: ${err.details.reason}`, err.details);
  }
  return seriesOf(body, expr, endpointOf(base, QUERY_PATH));
}
