import {
  type Attributes,
  context,
  type Exception,
  isSpanContextValid,
  propagation,
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  SpanStatusCode,
  trace,
} from "@opentelemetry/api";
import {
  ATTR_ERROR_TYPE,
  ATTR_HTTP_REQUEST_METHOD,
  ATTR_HTTP_REQUEST_METHOD_ORIGINAL,
  ATTR_HTTP_RESPONSE_STATUS_CODE,
  ATTR_HTTP_ROUTE,
  ATTR_SERVER_ADDRESS,
  ATTR_SERVER_PORT,
  ATTR_URL_PATH,
  ATTR_URL_SCHEME,
  HTTP_REQUEST_METHOD_VALUE_OTHER,
} from "@opentelemetry/semantic-conventions";
import type { Request, RequestHandler, Response } from "express";
import { INFRA_PATHS } from "../../../contract";

/** The instrumentation scope of the spans the HTTP layer starts. */
export const tracer = trace.getTracer("observability-platform/http");

/** What the middlewares of one request share, kept in `res.locals`. */
export interface RequestTelemetry {
  /** The request's SERVER span; unset for infrastructure paths and when tracing is off. */
  span?: Span;
  /** Set once the span has an ERROR status with a message, so ending it does not replace that. */
  failed?: boolean;
  fault?: string;
}

export function telemetryOf(res: Response): RequestTelemetry {
  return res.locals as RequestTelemetry;
}

const KNOWN_METHODS = new Set(["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "CONNECT", "TRACE"]);

/** Unknown methods collapse into one value, as the OpenTelemetry conventions say, to bound cardinality. */
export function methodLabel(method: string): string {
  return KNOWN_METHODS.has(method) ? method : HTTP_REQUEST_METHOD_VALUE_OTHER;
}

/** `{method} {route}` as the conventions name server spans; "HTTP" stands for an unknown method. */
export function serverSpanName(method: string, route: string | undefined): string {
  const name = method === HTTP_REQUEST_METHOD_VALUE_OTHER ? "HTTP" : method;
  return route === undefined ? name : `${name} ${route}`;
}

/** Health, readiness and metrics requests are not part of any user request: no span. */
export function isInfraPath(url: string): boolean {
  const query = url.indexOf("?");
  return INFRA_PATHS.includes(query === -1 ? url : url.slice(0, query));
}

/** Address and port of a Host header (`name`, `name:port`, `[v6]:port`); undefined when absent or odd. */
export function parseHost(host: string | undefined): { address: string; port?: number } | undefined {
  if (!host) return undefined;
  const match = /^(\[[^\]]+\]|[^:[\]]+)(?::(\d{1,5}))?$/.exec(host);
  if (!match) return undefined;
  const address = (match[1] as string).replace(/^\[(.*)\]$/, "$1");
  return match[2] === undefined ? { address } : { address, port: Number(match[2]) };
}

/** The last Host header seen and its parts: a service's callers send the same one again and again. */
let lastHost: { header: string; parsed: ReturnType<typeof parseHost> } | undefined;

function hostOf(header: string | undefined): ReturnType<typeof parseHost> {
  if (header === undefined) return undefined;
  if (lastHost?.header !== header) lastHost = { header, parsed: parseHost(header) };
  return lastHost.parsed;
}

/** Attributes known when the request arrives; the route and status follow when it ends. */
export function serverAttributes(req: Request, method = methodLabel(req.method)): Attributes {
  const query = req.url.indexOf("?");
  const scheme = req.protocol;
  const attributes: Attributes = {
    [ATTR_HTTP_REQUEST_METHOD]: method,
    [ATTR_URL_PATH]: query === -1 ? req.url : req.url.slice(0, query),
    [ATTR_URL_SCHEME]: scheme,
  };
  if (method === HTTP_REQUEST_METHOD_VALUE_OTHER) attributes[ATTR_HTTP_REQUEST_METHOD_ORIGINAL] = req.method;
  const host = hostOf(req.headers.host);
  if (host) {
    attributes[ATTR_SERVER_ADDRESS] = host.address;
    attributes[ATTR_SERVER_PORT] = host.port ?? (scheme === "https" ? 443 : 80);
  }
  return attributes;
}

function endServerSpan(span: Span, method: string, req: Request, res: Response): void {
  const route: string | undefined = req.route?.path;
  if (route !== undefined) {
    span.updateName(serverSpanName(method, route));
    span.setAttribute(ATTR_HTTP_ROUTE, route);
  }
  if (res.headersSent) {
    span.setAttribute(ATTR_HTTP_RESPONSE_STATUS_CODE, res.statusCode);
    if (res.statusCode >= 500) {
      span.setAttribute(ATTR_ERROR_TYPE, String(res.statusCode));
      if (!telemetryOf(res).failed) span.setStatus({ code: SpanStatusCode.ERROR });
    }
  }
  span.end();
}

/**
 * The first middleware: one SERVER span per API request, child of the caller's W3C context, active
 * for the rest of the chain (handlers, faults, errors, logs and downstream calls find it there or
 * in res.locals). An unsampled request gets a non-recording span: ids to propagate, nothing else.
 */
export function traceRequests(): RequestHandler {
  return (req, res, next) => {
    if (isInfraPath(req.url)) return next();
    const method = methodLabel(req.method);
    const parent = propagation.extract(ROOT_CONTEXT, req.headers);
    const span = tracer.startSpan(serverSpanName(method, undefined), { kind: SpanKind.SERVER }, parent);
    if (span.isRecording()) {
      span.setAttributes(serverAttributes(req, method));
      // 'close' follows 'finish', and also comes alone when the connection drops first.
      res.once("close", () => endServerSpan(span, method, req, res));
    } else if (!isSpanContextValid(span.spanContext())) {
      return next(); // no tracer provider: there is no trace to continue
    }
    telemetryOf(res).span = span;
    context.with(trace.setSpan(parent, span), next);
  };
}

/**
 * Runs what follows a body parser in the context the parser was entered with. A parser finishes from
 * the request stream's events, which belong to the socket, not to the request: raw-body (under
 * express.json) binds its callback back to the caller today, but that is its own detail, and a
 * parser that did not would silently cut every downstream call from its server span.
 */
export function keepContext(parser: RequestHandler): RequestHandler {
  return (req, res, next) => parser(req, res, context.bind(context.active(), next));
}

/** ERROR status with a message (and the exception when there is one) on the request's span. */
export function recordFailure(res: Response, message: string, exception?: Exception): void {
  const telemetry = telemetryOf(res);
  if (!telemetry.span) return;
  if (exception !== undefined) telemetry.span.recordException(exception);
  telemetry.span.setStatus({ code: SpanStatusCode.ERROR, message });
  telemetry.failed = true;
}
