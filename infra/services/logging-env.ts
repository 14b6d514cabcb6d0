import { LOG_ENV, TRACES_KEPT_PERCENTAGE_ENV } from "../../contract";
import type { StackConfig } from "../config/schema";

/**
 * How a service logs (LOG_LEVEL, ACCESS_LOG_SAMPLING_PERCENTAGE, ACCESS_LOG_SLOW_MS) and which traces
 * its exemplars may point at (TRACES_KEPT_PERCENTAGE).
 */
export interface ServiceLogging {
  level: StackConfig["logs"]["level"];
  /** Share of successful, fast requests whose access line is written (100 = all). */
  accessLogSamplingPercentage: number;
  /** Requests taking this long or longer always get their access line (the SLO latency threshold). */
  slowMs: number;
  /** The collector's kept share (traces.samplingPercentage), with or without log sampling. */
  tracesKeptPercentage: number;
}

/**
 * The services' logging from the stack config. Sampling uses exactly the collector's share: with the
 * same hash and salt, every trace tail sampling keeps has its access lines.
 */
export function serviceLogging(config: Pick<StackConfig, "logs" | "traces" | "slo">): ServiceLogging {
  return {
    level: config.logs.level,
    accessLogSamplingPercentage: config.logs.sampleAccessLogs ? config.traces.samplingPercentage : 100,
    slowMs: slowRequestMs(config),
    tracesKeptPercentage: config.traces.samplingPercentage,
  };
}

/**
 * The SLO latency threshold in ms: requests this slow are always logged, and the collector keeps their
 * traces (its latency policy) — one value for both, so the two cannot drift.
 */
export function slowRequestMs(config: Pick<StackConfig, "slo">): number {
  return Math.round(config.slo.latencyThresholdSeconds * 1000);
}

/**
 * The environment variables of a service's logging and exemplars, as its Deployment sets them; the
 * load test gives its loopback services the same (no Pulumi needed to compute them).
 */
export function loggingEnv(logging: ServiceLogging): Record<string, string> {
  return {
    [LOG_ENV.level]: logging.level,
    [LOG_ENV.samplingPercentage]: String(logging.accessLogSamplingPercentage),
    [LOG_ENV.slowMs]: String(logging.slowMs),
    [TRACES_KEPT_PERCENTAGE_ENV]: String(logging.tracesKeptPercentage),
  };
}
