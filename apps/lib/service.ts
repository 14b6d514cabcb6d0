import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { Express } from "express";
import { z } from "zod";
import {
  type AppName,
  CONTAINER_PORT,
  LOG_ENV,
  LOG_LEVELS,
  SERVICE_VERSION_ENV,
  TRACES_KEPT_PERCENTAGE_ENV,
} from "../../contract";
import { booleanVar, ConfigError, intVar, LOCAL_SERVICE_VERSION, numberVar, parseEnv, versionVar } from "./config";
import { FaultInjector, faultEnvSchema } from "./faults";
import { createServiceApp, type ServiceContext, type Signals } from "./http/app";
import type { Route } from "./http/routes";
import { KeptShare } from "./log-sampling";
import { createLogger } from "./logger";
import { ServiceMetrics } from "./metrics";
import type { Telemetry } from "./telemetry";

/** Variables every service reads. */
export const baseEnvSchema = z.object({
  PORT: intVar(1, 65_535, CONTAINER_PORT),
  [LOG_ENV.level]: z.enum(LOG_LEVELS, { error: `must be one of: ${LOG_LEVELS.join(", ")}` }).default("info"),
  /** Share of successful, fast requests whose access line is written, matched with the collector's trace sampling. */
  [LOG_ENV.samplingPercentage]: numberVar(0, 100, 100),
  /** Requests taking this long or longer always get their access line (the platform sets the SLO latency threshold). */
  [LOG_ENV.slowMs]: intVar(1, 600_000, 500),
  /** The collector's kept share of traces: exemplars point only at those. */
  [TRACES_KEPT_PERCENTAGE_ENV]: numberVar(0, 100, 100),
  ADMIN_TOKEN: z
    .string()
    .min(16, { error: "must be at least 16 characters (or unset to disable the admin API)" })
    .optional()
    .or(z.literal("").transform(() => undefined)),
  /** Time between readiness going false and the listener closing, for endpoints to update. */
  SHUTDOWN_DELAY_MS: intVar(0, 60_000, 0),
  /** Upper bound on a graceful shutdown; connections still open after it are closed. */
  SHUTDOWN_TIMEOUT_MS: intVar(100, 120_000, 10_000),
  /** The standard OpenTelemetry switch, read by the SDK itself; validated here, used for the app. */
  OTEL_SDK_DISABLED: booleanVar(false),
  METRICS_ENABLED: booleanVar(true),
  LOGS_ENABLED: booleanVar(true),
  /** The running build (the image tag in a cluster): METRICS.buildInfo's version, as traces' service.version. */
  [SERVICE_VERSION_ENV]: versionVar(LOCAL_SERVICE_VERSION),
});
export type BaseEnv = z.infer<typeof baseEnvSchema>;

export function signalsOf(env: BaseEnv): Signals {
  return { traces: !env.OTEL_SDK_DISABLED, metrics: env.METRICS_ENABLED, logs: env.LOGS_ENABLED };
}

/** What a service module provides: its own config and, from it, its routes. */
export interface ServiceDefinition<C> {
  name: AppName;
  env: z.ZodType<C>;
  create(context: ServiceContext, config: C): ServiceParts;
}

export interface ServiceParts {
  routes: Route[];
  readinessChecks?: () => Promise<Record<string, boolean>>;
  close?: () => void;
}

export interface BuiltService {
  app: Express;
  context: ServiceContext;
  base: BaseEnv;
  signals: Signals;
  /** Marks the service as shutting down (readiness turns false). */
  beginShutdown(): void;
  close(): void;
  flushLogs(): void;
}

/** Validates the environment and assembles the app; throws ConfigError naming every bad variable. */
export function buildService<C>(
  definition: ServiceDefinition<C>,
  env: NodeJS.ProcessEnv,
  options: { defaultMetrics?: boolean; logSink?: { write(line: string): unknown } } = {},
): BuiltService {
  const problems: string[] = [];
  const collect = <T>(parse: () => T): T | undefined => {
    try {
      return parse();
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      problems.push(...err.problems);
      return undefined;
    }
  };
  const base = collect(() => parseEnv(baseEnvSchema, env));
  const config = collect(() => parseEnv(definition.env, env));
  const signals = base ? signalsOf(base) : { traces: true, metrics: true, logs: true };
  const { logger, accessLog, stats, levels, flush } = createLogger({
    service: definition.name,
    level: base?.[LOG_ENV.level] ?? "info",
    enabled: signals.logs,
    sink: options.logSink,
    sampling: base && { percentage: base[LOG_ENV.samplingPercentage], slowMs: base[LOG_ENV.slowMs] },
  });
  const metrics = new ServiceMetrics(definition.name, {
    defaultMetrics: options.defaultMetrics,
    enabled: signals.metrics,
    version: base?.[SERVICE_VERSION_ENV],
  });
  if (signals.logs) metrics.trackLogs(stats);
  const faults = new FaultInjector();
  metrics.trackFaults(faults);
  const context: ServiceContext = { service: definition.name, logger, metrics, faults };
  if (!base || config === undefined) {
    // Without a valid config there are no routes to check FAULT_OUTAGE_ROUTES against; check the rest.
    collect(() => parseEnv(faultEnvSchema(undefined), env));
    throw new ConfigError("environment", problems);
  }
  const parts = definition.create(context, config);
  const apiPaths = [...new Set(parts.routes.map((r) => r.path))];
  const faultSettings = collect(() => parseEnv(faultEnvSchema(apiPaths), env));
  if (!faultSettings) {
    parts.close?.();
    throw new ConfigError("environment", problems);
  }
  faults.set(faultSettings);
  let shuttingDown = false;
  const app = createServiceApp({
    ...context,
    routes: parts.routes,
    adminToken: base.ADMIN_TOKEN,
    isShuttingDown: () => shuttingDown,
    readinessChecks: parts.readinessChecks,
    signals,
    accessLog,
    logLevels: levels,
    exemplarShare: new KeptShare(base[TRACES_KEPT_PERCENTAGE_ENV]),
  });
  return {
    app,
    context,
    base,
    signals,
    beginShutdown: () => {
      shuttingDown = true;
    },
    close: () => parts.close?.(),
    flushLogs: flush,
  };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Runs a service as a process: listens on PORT and shuts down gracefully on SIGTERM/SIGINT —
 * readiness false, wait SHUTDOWN_DELAY_MS, stop accepting, let in-flight requests finish (bounded
 * by SHUTDOWN_TIMEOUT_MS), flush spans and logs, exit 0.
 */
export function runService<C>(definition: ServiceDefinition<C>, telemetry: Telemetry): void {
  let service: BuiltService;
  try {
    service = buildService(definition, process.env);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${definition.name}: ${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  const { app, base, context } = service;
  const { logger } = context;
  /** Ends the process on an error that leaves it useless; with logs off the error still goes to stderr. */
  const fatal = (message: string, fields: { error: string; stack?: string }) => {
    logger.error(message, fields);
    if (!service.signals.logs)
      process.stderr.write(`${definition.name}: ${message}: ${fields.stack ?? fields.error}\n`);
    service.flushLogs();
    process.exit(1);
  };
  const server: Server = app.listen(base.PORT, () => {
    const { port } = server.address() as AddressInfo;
    logger.info("listening", { port, admin_api: base.ADMIN_TOKEN !== undefined });
  });
  server.keepAliveTimeout = 65_000; // longer than common load-balancer idle timeouts
  server.on("error", (err) => fatal("server error", { error: err.message }));

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    const started = Date.now();
    service.beginShutdown();
    logger.info("shutting down", { signal });
    const force = setTimeout(() => {
      logger.warn("shutdown timeout: closing open connections");
      server.closeAllConnections();
    }, base.SHUTDOWN_TIMEOUT_MS);
    force.unref();
    // Keep-alive clients would hold the listener open: answer the rest with Connection: close.
    server.prependListener("request", (_req, res) => res.setHeader("connection", "close"));
    await sleep(base.SHUTDOWN_DELAY_MS);
    const reapIdle = setInterval(() => server.closeIdleConnections(), 50);
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeIdleConnections();
    });
    clearInterval(reapIdle);
    clearTimeout(force);
    service.close();
    await telemetry.shutdown(Math.max(1_000, base.SHUTDOWN_TIMEOUT_MS - (Date.now() - started)));
    logger.info("stopped", { duration_ms: Date.now() - started });
    await new Promise((resolve) => setImmediate(resolve)); // let winston hand the line to the sink
    service.flushLogs();
    process.exit(0);
  };
  process.on("unhandledRejection", (reason) => {
    logger.error("unhandled rejection", { error: reason instanceof Error ? reason.message : String(reason) });
  });
  process.on("uncaughtException", (err) => fatal("uncaught exception", { error: err.message, stack: err.stack }));
  process.once("SIGTERM", () => void stop("SIGTERM"));
  process.once("SIGINT", () => void stop("SIGINT"));
}
