import http from "node:http";
import https from "node:https";
import { LABELS, PATHS, type ServiceName } from "../contract";
import type { ServiceMetrics } from "../metrics";

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
 * JSON over HTTP to one dependency, on node:http so the OpenTelemetry http instrumentation traces
 * it and injects traceparent/baggage. Every call has a deadline that covers connect, headers and
 * body; failures become DownstreamError. Connection failures mark the dependency unreachable until
 * a probe of its /healthz answers (order's readiness reads this).
 */
export class ServiceClient {
  private readonly agent: http.Agent;
  private unreachable = false;

  constructor(
    readonly dependency: ServiceName,
    private readonly baseUrl: URL,
    private readonly timeoutMs: number,
    private readonly metrics: ServiceMetrics,
  ) {
    const Agent = baseUrl.protocol === "https:" ? https.Agent : http.Agent;
    this.agent = new Agent({ keepAlive: true, maxSockets: 128, timeout: 30_000 });
  }

  get isUnreachable(): boolean {
    return this.unreachable;
  }

  async request<T>(method: string, path: string, body?: unknown): Promise<JsonResponse<T>> {
    const start = performance.now();
    let status: number | string = 0;
    let errorType = "";
    try {
      const response = await this.send(method, path, body, this.timeoutMs);
      status = response.status;
      this.unreachable = false;
      if (response.status >= 500) {
        errorType = String(response.status);
        throw new DownstreamError(this.dependency, "bad_response", `answered ${response.status}`);
      }
      return response as JsonResponse<T>;
    } catch (err) {
      const failure = err instanceof DownstreamError ? err : this.classify(err);
      errorType ||= failure.failure;
      if (failure.failure === "unavailable") this.unreachable = true;
      throw failure;
    } finally {
      this.metrics.clientDuration.observe(
        {
          [LABELS.peerService]: this.dependency,
          [LABELS.method]: method,
          [LABELS.status]: status,
          [LABELS.errorType]: errorType,
        },
        (performance.now() - start) / 1000,
      );
    }
  }

  /** Readiness: true unless the dependency was unreachable and still does not answer /healthz. */
  async checkReachable(): Promise<boolean> {
    if (!this.unreachable) return true;
    try {
      const { status } = await this.send("GET", PATHS.health, undefined, Math.min(PROBE_TIMEOUT_MS, this.timeoutMs));
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

  private send(method: string, path: string, body: unknown, timeoutMs: number): Promise<JsonResponse> {
    return new Promise((resolve, reject) => {
      const payload = body === undefined ? undefined : JSON.stringify(body);
      const headers: http.OutgoingHttpHeaders = { accept: "application/json" };
      if (payload !== undefined) {
        headers["content-type"] = "application/json";
        headers["content-length"] = Buffer.byteLength(payload);
      }
      const req = (this.baseUrl.protocol === "https:" ? https : http).request(new URL(path, this.baseUrl), {
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
