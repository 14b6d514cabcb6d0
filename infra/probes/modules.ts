import { staticValues } from "../charts/values-files";
import { durationSeconds } from "../preflight/checks/rendered-config/units";

/** The blackbox modules the Probes use, defined in charts-values/prometheus-blackbox-exporter.yaml. */
export const PROBE_MODULES = {
  /** Readiness: any 2xx. */
  ready: "http_2xx",
  /** End-to-end read: a 200 with a JSON body. */
  jsonRead: "http_json_read",
  /** End-to-end lookup of an id that does not exist: the route's own JSON 404. */
  jsonNotFound: "http_json_not_found",
} as const;
export type ProbeModule = (typeof PROBE_MODULES)[keyof typeof PROBE_MODULES];

export interface BlackboxModule {
  prober: string;
  timeout?: string;
  [key: string]: unknown;
}

/** The exporter's configuration file: `modules` by name. */
export interface BlackboxConfig {
  modules: Record<string, BlackboxModule>;
}

/** The exporter subtracts this from Prometheus' scrape timeout (its --timeout-offset default). */
export const TIMEOUT_OFFSET_SECONDS = 0.5;

let cached: BlackboxConfig | undefined;

/**
 * The blackbox exporter's configuration: the chart values' `config`, exactly as the chart writes it into its
 * ConfigMap. Local runs (live test, demo) give the same object to Debian's exporter.
 */
export function blackboxConfig(): BlackboxConfig {
  if (cached) return cached;
  const config = staticValues("blackboxExporter").config as Partial<BlackboxConfig> | undefined;
  const modules = config?.modules ?? {};
  const missing = Object.values(PROBE_MODULES).filter((name) => modules[name] === undefined);
  if (missing.length > 0) {
    throw new Error(`charts-values/prometheus-blackbox-exporter.yaml: config.modules lacks ${missing.join(", ")}`);
  }
  cached = { modules };
  return cached;
}

/** A module's timeout in seconds; every module the Probes use must state one (no scrape-timeout fallback). */
export function moduleTimeoutSeconds(config: BlackboxConfig, module: ProbeModule): number {
  const seconds = durationSeconds(config.modules[module]?.timeout, "go"); // Go time.Duration in its YAML
  if (seconds === undefined) {
    throw new Error(`blackbox module ${module}: timeout must be a duration such as "3s"`);
  }
  return seconds;
}

export interface ProbeTiming {
  /** Probe interval, also the Probes' scrape timeout (a Prometheus duration). */
  interval: string;
  latencyThresholdSeconds: number;
}

/**
 * What makes the probes' timing meaningless, by config field: a module that may run longer than the scrape
 * allows (Prometheus cuts it short: a slow answer reads as a failure), or a latency threshold a probe cannot
 * reach before its module gives up (ServiceProbeSlow could never fire).
 */
export function probeTimingProblems(
  timing: ProbeTiming,
  config: BlackboxConfig,
): { field: keyof ProbeTiming; message: string }[] {
  const endToEnd: ProbeModule[] = [PROBE_MODULES.jsonRead, PROBE_MODULES.jsonNotFound];
  const problems: { field: keyof ProbeTiming; message: string }[] = [];
  const interval = durationSeconds(timing.interval, "prometheus");
  const timeouts = Object.values(PROBE_MODULES).map((m) => [m, moduleTimeoutSeconds(config, m)] as const);
  const longest = Math.max(...timeouts.map(([, t]) => t));
  if (interval !== undefined && interval - TIMEOUT_OFFSET_SECONDS <= longest) {
    problems.push({
      field: "interval",
      message: `must be longer than ${longest + TIMEOUT_OFFSET_SECONDS}s: it is the probes' scrape timeout, and the blackbox modules may take ${longest}s (charts-values/prometheus-blackbox-exporter.yaml) plus the exporter's ${TIMEOUT_OFFSET_SECONDS}s offset`,
    });
  }
  const shortest = Math.min(...timeouts.filter(([m]) => endToEnd.includes(m)).map(([, t]) => t));
  if (timing.latencyThresholdSeconds >= shortest) {
    problems.push({
      field: "latencyThresholdSeconds",
      message: `must be below ${shortest}s, the end-to-end modules' timeout: a slower probe fails before it counts as slow`,
    });
  }
  return problems;
}
