import { LOG_ENV } from "../../contract";

/**
 * The telemetry set-ups compared by the benchmark, as the environment switches the services read.
 * `none` is the baseline every other variant is compared with.
 */

export const VARIANT_NAMES = [
  "none",
  "metrics",
  "metrics+logs",
  "trace-context",
  "all-100",
  "all-100+logs-10",
  "all-10",
] as const;
export type VariantName = (typeof VARIANT_NAMES)[number];

export interface Variant {
  name: VariantName;
  description: string;
  /** Whether the services expose Prometheus metrics in this variant (the bench scrapes them). */
  metrics: boolean;
  env: Record<string, string>;
}

const off = { OTEL_SDK_DISABLED: "true", METRICS_ENABLED: "false", LOGS_ENABLED: "false" };
const metricsAndLogs = { METRICS_ENABLED: "true", LOGS_ENABLED: "true" };

export const VARIANTS: readonly Variant[] = [
  { name: "none", description: "no telemetry", metrics: false, env: off },
  {
    name: "metrics",
    description: "Prometheus metrics only",
    metrics: true,
    env: { ...off, METRICS_ENABLED: "true" },
  },
  {
    name: "metrics+logs",
    description: "metrics and JSON logs, no tracing",
    metrics: true,
    env: { ...off, ...metricsAndLogs },
  },
  {
    name: "trace-context",
    description:
      "metrics, logs and tracing with nothing sampled: trace ids, context and propagation only, no span recorded or exported",
    metrics: true,
    env: { OTEL_SDK_DISABLED: "false", ...metricsAndLogs, OTEL_TRACES_SAMPLER: "always_off" },
  },
  {
    name: "all-100",
    description: "metrics, logs and traces, every trace sampled",
    metrics: true,
    env: { OTEL_SDK_DISABLED: "false", ...metricsAndLogs, OTEL_TRACES_SAMPLER: "parentbased_always_on" },
  },
  {
    name: "all-100+logs-10",
    description:
      "as all-100, with access logs sampled at 10 % by the collector's trace-id rule (prod: the collector keeps 10 % of the traces)",
    metrics: true,
    env: {
      OTEL_SDK_DISABLED: "false",
      ...metricsAndLogs,
      OTEL_TRACES_SAMPLER: "parentbased_always_on",
      [LOG_ENV.samplingPercentage]: "10",
    },
  },
  {
    name: "all-10",
    description: "metrics, logs and traces, 10% of traces sampled (head, by trace id)",
    metrics: true,
    env: {
      OTEL_SDK_DISABLED: "false",
      ...metricsAndLogs,
      OTEL_TRACES_SAMPLER: "parentbased_traceidratio",
      OTEL_TRACES_SAMPLER_ARG: "0.1",
    },
  },
];

export const BASELINE: VariantName = "none";

/** The variants in the order a cycle visits them: shifted by one each cycle, so no variant always follows the same one. */
export function rotation<T>(items: readonly T[], cycle: number): T[] {
  const n = items.length;
  if (n === 0) return [];
  const shift = ((cycle % n) + n) % n;
  return [...items.slice(shift), ...items.slice(0, shift)];
}
