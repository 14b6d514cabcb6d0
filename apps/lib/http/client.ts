import http from "node:http";
import https from "node:https";
import {
  type Attributes,
  type Context,
  context,
  propagation,
  type Span,
  SpanKind,
  SpanStatusCode,
  trace,
} from "@opentelemetry/api";
import {
  ATTR_ERROR_TYPE,
  ATTR_HTTP_REQUEST_METHOD,
  ATTR_HTTP_RESPONSE_STATUS_CODE,
  ATTR_SERVER_ADDRESS,
  ATTR_SERVER_PORT,
  ATTR_URL_FULL,
} from "@opentelemetry/semantic-conventions";
import { PATHS, type ServiceName } from "../../../contract";
import type { ServiceMetrics } from "../metrics";
import { tracer } from "./tracing";

export type DownstreamFailure = "timeout" | "unavailable" | "bad_response";

/** A call to another service that did not produce a usable answer. */
export class DownstreamError extends Error {
  constructor(
    readonly dependency: ServiceName,
    readonly failure: DownstreamFailure,
    detail: string,
  ) {
    super(`${dependency} ${failure}: ${detail}`);
    this.name = "DownstreamError";
  }
}

export interface JsonResponse<T = unknown> {
  status: number;
  body: T;
}

const MAX_RESPONSE_BYTES = 1 << 20;
const PROBE_TIMEOUT_MS = 1_000;

/**
 * A CLIENT span for a call made within a traced request, or none outside one: readiness probes of
 * dependencies are no user request. Attributes are only gathered when the span records.
 */
function startClientSpan(parent: Context, method: string, url: URL, server: Attributes): Span | undefined {
  if (trace.getSpan(parent) === undefined) return undefined;
  const span = tracer.startSpan(method, { kind: SpanKind.CLIENT }, parent);
  if (span.isRecording())
    span.setAttributes({ ...server, [ATTR_HTTP_REQUEST_METHOD]: method, [ATTR_URL_FULL]: url.href });
  return span;
}

/** A 4xx or 5xx answer fails a client span (error.type = status code), as does a call without answer. */
function endClientSpan(span: Span, status: number, failure: DownstreamError | undefined): void {
  if (!span.isRecording()) return;
  if (status > 0) span.setAttribute(ATTR_HTTP_RESPONSE_STATUS_CODE, status);
  const errorType = status >= 400 ? String(status) : failure?.failure;
  if (errorType !== undefined) {
    if (status === 0 && failure) span.recordException(failure);
    span.setAttribute(ATTR_ERROR_TYPE, errorType);
    span.setStatus({ code: SpanStatusCode.ERROR, message: failure?.message });
  }
  span.end();
}

/**
 * JSON over HTTP to one dependency. Within a traced request each call is a CLIENT span whose
 * context goes out as W3C traceparent (and baggage). Every call has a deadline that covers connect,
 * headers and body; failures become DownstreamError. Connection failures mark the dependency
 * unreachable until a probe of its /healthz answers (order's readiness reads this).
 */
export class ServiceClient {
  private readonly agent: http.Agent;
  private readonly server: Attributes;
  private unreachable = false;

  constructor(
    readonly dependency: ServiceName,
    private readonly baseUrl: URL,
    private readonly timeoutMs: number,
    private readonly metrics: ServiceMetrics,
  ) {
    const Agent = baseUrl.protocol === "https:" ? https.Agent : http.Agent;
    this.agent = new Agent({ keepAlive: true, maxSockets: 128, timeout: 30_000 });
    const port = baseUrl.port ? Number(baseUrl.port) : baseUrl.protocol === "https:" ? 443 : 80;
    this.server = { [ATTR_SERVER_ADDRESS]: baseUrl.hostname, [ATTR_SERVER_PORT]: port };
  }

  get isUnreachable(): boolean {
    return this.unreachable;
  }

  async request<T>(method: string, path: string, body?: unknown): Promise<JsonResponse<T>> {
    const start = performance.now();
    const url = new URL(path, this.baseUrl);
    const parent = context.active();
    const span = startClientSpan(parent, method, url, this.server);
    let status = 0;
    let errorType = "";
    let failure: DownstreamError | undefined;
    try {
      const response = await this.send(method, url, body, this.timeoutMs, span ? trace.setSpan(parent, span) : parent);
      status = response.status;
      this.unreachable = false;
      if (response.status >= 500) {
        errorType = String(response.status);
        throw new DownstreamError(this.dependency, "bad_response", `answered ${response.status}`);
      }
      return response as JsonResponse<T>;
    } catch (err) {
      failure = err instanceof DownstreamError ? err : this.classify(err);
      errorType ||= failure.failure;
      if (failure.failure === "unavailable") this.unreachable = true;
      throw failure;
    } finally {
      this.metrics.observeClient(this.dependency, method, status, errorType, (performance.now() - start) / 1000);
      if (span) endClientSpan(span, status, failure);
    }
  }

  /** Readiness: true unless the dependency was unreachable and still does not answer /healthz. */
  async checkReachable(): Promise<boolean> {
    if (!this.unreachable) return true;
    try {
      const probe = new URL(PATHS.health, this.baseUrl);
      const { status } = await this.send("GET", probe, undefined, Math.min(PROBE_TIMEOUT_MS, this.timeoutMs));
      this.unreachable = status >= 500;
    } catch {
      this.unreachable = true;
    }
    return !this.unreachable;
  }

  close(): void {
    this.agent.destroy();
  }

  private classify(err: unknown): DownstreamError {
    const code = (err as NodeJS.ErrnoException)?.code ?? "";
    if (code === "ETIMEDOUT_DEADLINE")
      return new DownstreamError(this.dependency, "timeout", `no answer within ${this.timeoutMs} ms`);
    if (
      ["ECONNREFUSED", "ECONNRESET", "ENOTFOUND", "EAI_AGAIN", "EHOSTUNREACH", "ENETUNREACH", "EPIPE"].includes(code)
    ) {
      return new DownstreamError(this.dependency, "unavailable", code);
    }
    return new DownstreamError(this.dependency, "bad_response", err instanceof Error ? err.message : String(err));
  }

  /** One exchange; `propagate` is the context sent along as traceparent/baggage (none for probes). */
  private send(method: string, url: URL, body: unknown, timeoutMs: number, propagate?: Context): Promise<JsonResponse> {
    return new Promise((resolve, reject) => {
      const payload = body === undefined ? undefined : JSON.stringify(body);
      const headers: http.OutgoingHttpHeaders = { accept: "application/json" };
      if (payload !== undefined) {
        headers["content-type"] = "application/json";
        headers["content-length"] = Buffer.byteLength(payload);
      }
      if (propagate) propagation.inject(propagate, headers);
      const req = (url.protocol === "https:" ? https : http).request(url, {
        method,
        headers,
        agent: this.agent,
      });
      const deadline = setTimeout(() => {
        req.destroy(Object.assign(new Error(`deadline of ${timeoutMs} ms exceeded`), { code: "ETIMEDOUT_DEADLINE" }));
      }, timeoutMs);
      const fail = (err: unknown) => {
        clearTimeout(deadline);
        reject(err);
      };
      req.once("error", fail);
      req.once("response", (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on("data", (chunk: Buffer) => {
          size += chunk.length;
          if (size > MAX_RESPONSE_BYTES) req.destroy(new Error("response body too large"));
          else chunks.push(chunk);
        });
        res.once("error", fail);
        res.once("end", () => {
          clearTimeout(deadline);
          const text = Buffer.concat(chunks).toString("utf8");
          try {
            resolve({ status: res.statusCode ?? 0, body: text === "" ? undefined : JSON.parse(text) });
          } catch {
            reject(
              new DownstreamError(this.dependency, "bad_response", `status ${res.statusCode} with a non-JSON body`),
            );
          }
        });
      });
      req.end(payload);
    });
  }
}
