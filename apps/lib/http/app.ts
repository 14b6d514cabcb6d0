import express, { type ErrorRequestHandler, type RequestHandler } from "express";
import {
  type AppName,
  INFRA_PATHS,
  LABELS,
  LOG_FIELDS,
  METRICS,
  PATHS,
  SPAN_ATTRIBUTES,
  UNMATCHED_ROUTE,
} from "../../../contract";
import type { FaultInjector } from "../faults";
import type { KeptShare } from "../log-sampling";
import type { AccessLog, Logger, LogLevelControl } from "../logger";
import type { ServiceMetrics } from "../metrics";
import { faultAdminRoutes, logLevelAdminRoutes, requireBearer } from "./admin";
import { HttpError } from "./errors";
import { BODY_LIMIT, mountRoutes, type Route } from "./routes";
import { methodLabel, recordFailure, telemetryOf, traceRequests } from "./tracing";

/** What every service module gets: its name and its telemetry. */
export interface ServiceContext {
  service: AppName;
  logger: Logger;
  metrics: ServiceMetrics;
  faults: FaultInjector;
}

/** Which telemetry the service produces; each can be switched off (see docs/services.md). */
export interface Signals {
  traces: boolean;
  metrics: boolean;
  logs: boolean;
}

export interface ServiceAppOptions extends ServiceContext {
  routes: Route[];
  /** Enables `GET/PUT /admin/faults` behind this bearer token; without it the endpoint does not exist. */
  adminToken?: string;
  isShuttingDown: () => boolean;
  /** Extra readiness checks (dependencies), by name; all must be true to be ready. */
  readinessChecks?: () => Promise<Record<string, boolean>>;
  signals: Signals;
  /** Writes the access-log line (or leaves it out by sampling); none when logs are off. */
  accessLog?: AccessLog;
  /** The temporary log level of the admin API; no admin endpoint without it. */
  logLevels?: LogLevelControl;
  /**
   * Exemplars only for traces the collector keeps by its share: an exemplar always leads to a stored
   * trace and to its access lines in every service. Every sampled span is eligible without it.
   */
  exemplarShare?: KeptShare;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Records the server histogram (with a trace exemplar when sampled) and one access-log line; no
 * middleware at all when neither is wanted, and nothing built for the one that is not.
 */
function observeRequests({
  metrics,
  signals,
  accessLog,
  exemplarShare,
}: ServiceAppOptions): RequestHandler | undefined {
  const measure = signals.metrics;
  if (!measure && !accessLog) return undefined;
  return (req, res, next) => {
    const start = performance.now();
    res.once("finish", () => {
      const seconds = (performance.now() - start) / 1000;
      const route: string = req.route?.path ?? UNMATCHED_ROUTE;
      const method = methodLabel(req.method);
      const { span, fault } = telemetryOf(res);
      const spanContext = span?.spanContext();
      if (measure) {
        const exemplar = spanContext && (!exemplarShare || exemplarShare.keeps(spanContext.traceId));
        metrics.observeServer(method, route, res.statusCode, seconds, exemplar ? spanContext : undefined);
      }
      if (!accessLog || INFRA_PATHS.includes(route)) return;
      accessLog({
        [LOG_FIELDS.traceId]: spanContext?.traceId,
        [LOG_FIELDS.spanId]: spanContext?.spanId,
        [LOG_FIELDS.method]: method,
        [LOG_FIELDS.route]: route,
        [LOG_FIELDS.status]: res.statusCode,
        [LOG_FIELDS.durationMs]: Math.round(seconds * 1e4) / 10,
        ...(fault ? { [LOG_FIELDS.fault]: fault } : {}),
      });
    });
    next();
  };
}

/** Applies the injected faults to an API route; the route template is known here. */
function injectFaults({ faults, metrics }: ServiceContext): RequestHandler {
  const injected = metrics.counter(METRICS.faultsInjected, "Faults injected into API requests.", [LABELS.fault]);
  return async (req, res, next) => {
    const decision = faults.decide(req.route.path);
    if (!decision) return next();
    const telemetry = telemetryOf(res);
    const kind = decision.failWith?.kind ?? "latency";
    telemetry.fault = decision.delayMs > 0 && decision.failWith ? `latency+${kind}` : kind;
    telemetry.span?.setAttribute(SPAN_ATTRIBUTES.fault, telemetry.fault);
    injected.inc({ [LABELS.fault]: kind });
    if (decision.delayMs > 0) {
      telemetry.span?.setAttribute(SPAN_ATTRIBUTES.faultLatencyMs, decision.delayMs);
      if (decision.failWith) injected.inc({ [LABELS.fault]: "latency" });
      await sleep(decision.delayMs);
    }
    if (!decision.failWith) return next();
    const { status } = decision.failWith;
    const message = decision.failWith.kind === "outage" ? "injected outage" : "injected fault";
    recordFailure(res, message);
    res.status(status).json({ error: message, fault: decision.failWith.kind });
  };
}

/** body-parser's error types, mapped to what the client did wrong. */
const BODY_ERRORS: Record<string, { status: number; error: string }> = {
  "entity.parse.failed": { status: 400, error: "malformed JSON body" },
  "entity.too.large": { status: 413, error: `request body larger than ${BODY_LIMIT}` },
  "request.size.invalid": { status: 400, error: "request body shorter than its Content-Length" },
  "request.aborted": { status: 400, error: "request aborted" },
  "encoding.unsupported": { status: 415, error: "unsupported content encoding" },
  "charset.unsupported": { status: 415, error: "unsupported charset" },
};

function handleErrors({ logger }: ServiceContext): ErrorRequestHandler {
  return (err, req, res, next) => {
    if (res.headersSent) return next(err);
    if (err instanceof HttpError) {
      if (err.status >= 500) recordFailure(res, err.message, err);
      res.status(err.status).json(err.toJSON());
      return;
    }
    const bodyError = typeof err?.type === "string" ? BODY_ERRORS[err.type] : undefined;
    if (bodyError) {
      res.status(bodyError.status).json({ error: bodyError.error });
      return;
    }
    const spanContext = telemetryOf(res).span?.spanContext();
    recordFailure(res, "unexpected error", err instanceof Error ? err : String(err));
    logger.error("unexpected error", {
      [LOG_FIELDS.traceId]: spanContext?.traceId,
      [LOG_FIELDS.spanId]: spanContext?.spanId,
      [LOG_FIELDS.method]: req.method,
      [LOG_FIELDS.route]: req.route?.path ?? UNMATCHED_ROUTE,
      error: err instanceof Error ? err.message : String(err),
      stack: err instanceof Error ? err.stack : undefined,
    });
    res.status(500).json({ error: "internal error", trace_id: spanContext?.traceId });
  };
}

/** The Express app of one service: its API routes plus health, readiness, metrics and admin. */
export function createServiceApp(options: ServiceAppOptions): express.Express {
  const app = express();
  app.disable("x-powered-by");
  app.set("etag", false);
  app.set("query parser", "simple");
  if (options.signals.traces) app.use(traceRequests());
  const observe = observeRequests(options);
  if (observe) app.use(observe);

  const infra = [
    { method: "GET", path: PATHS.health, handler: (_req, res) => void res.json({ status: "ok" }) },
    {
      method: "GET",
      path: PATHS.ready,
      handler: async (_req, res) => {
        if (options.isShuttingDown()) {
          res.status(503).json({ status: "shutting down" });
          return;
        }
        const checks = (await options.readinessChecks?.()) ?? {};
        // the injected fault shows as a failing check of its own, so nobody mistakes it for a dependency
        if (options.faults.current.unready) checks.fault_injected = false;
        const ready = Object.values(checks).every(Boolean);
        res.status(ready ? 200 : 503).json({ status: ready ? "ready" : "not ready", checks });
      },
    },
    {
      method: "GET",
      path: PATHS.metrics,
      handler: async (req, res) => {
        const { contentType, body } = await options.metrics.render(req.headers.accept);
        res.type(contentType).send(body);
      },
    },
  ] satisfies Route[];
  mountRoutes(app, infra);

  const apiPaths = [...new Set(options.routes.map((r) => r.path))];
  if (options.adminToken) {
    const admin = [
      ...faultAdminRoutes(options.faults, apiPaths, options.logger),
      ...(options.logLevels ? logLevelAdminRoutes(options.logLevels, options.logger) : []),
    ];
    mountRoutes(app, admin, { guard: [requireBearer(options.adminToken)] });
  }
  mountRoutes(app, options.routes, { before: [injectFaults(options)] });

  app.use((req, res) => {
    res.status(404).json({ error: "not found", path: req.path.slice(0, 200) });
  });
  app.use(handleErrors(options));
  return app;
}
