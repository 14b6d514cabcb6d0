import { COLLECTOR_LOG_STREAM, cloudWatchNamespace, logGroupNames, otlpEndpoints } from "../aws/names";
import type { StackConfig } from "../config/schema";

/** The collector's AWS exporters, by the signal each carries. */
export const AWS_EXPORTERS = {
  traces: "otlp_http/xray",
  logs: "otlp_http/cloudwatch_logs",
  metrics: "awsemf",
} as const;
export type AwsSignal = keyof typeof AWS_EXPORTERS;

/** One SigV4 signer per AWS service the OTLP endpoints belong to (the signature names the service). */
export const SIGV4_EXTENSIONS = { traces: "sigv4auth/xray", logs: "sigv4auth/logs" } as const;
const SIGV4_SERVICE = { traces: "xray", logs: "logs" } as const;

/** The names the span_metrics connector gives its metrics in OTLP (Prometheus adds `_total`/units). */
export const SPAN_METRIC_NAMES = ["traces.span.metrics.calls", "traces.span.metrics.duration"] as const;

/**
 * What the collector sends to AWS for this stack: undefined when AWS is off; otherwise the region, names and
 * the signals switched on in `aws.export`.
 */
export interface CollectorAwsExport {
  region: string;
  signals: AwsSignal[];
  namespace: string;
  logGroups: { logs: string; metrics: string };
  logStream: string;
}

export function collectorAwsExport(config: Pick<StackConfig, "aws" | "environment">): CollectorAwsExport | undefined {
  const { aws } = config;
  if (!aws.enabled || !aws.region) return undefined;
  const signals = (["traces", "metrics", "logs"] as const).filter((s) => aws.export[s]);
  if (signals.length === 0) return undefined;
  return {
    region: aws.region,
    signals,
    namespace: cloudWatchNamespace(config),
    logGroups: logGroupNames(config),
    logStream: COLLECTOR_LOG_STREAM,
  };
}

/**
 * The OTLP exporters to AWS keep their own queue and retries, so an AWS outage or a denied call fills that
 * queue and drops from it while the Jaeger exporter of the same pipeline carries on: the collector's fan-out
 * hands every exporter its copy, and a queued exporter returns as soon as the data is enqueued.
 */
const queued = {
  sending_queue: { enabled: true, queue_size: 5000 },
  retry_on_failure: { enabled: true, initial_interval: "5s", max_interval: "30s", max_elapsed_time: "300s" },
};

/**
 * The RED metrics of server spans, per service and per service and route, and per service and span status
 * (three values: the error rate). Nothing else: with NoDimensionRollup only these dimension sets are published,
 * so the number of CloudWatch metrics is bounded by services × (1 + routes + 3) per metric name.
 */
export const EMF_DIMENSIONS = [
  ["service.name"],
  ["service.name", "http.route"],
  ["service.name", "status.code"],
] as const;

function exporterFor(signal: AwsSignal, aws: CollectorAwsExport): Record<string, unknown> {
  const endpoints = otlpEndpoints(aws.region);
  switch (signal) {
    case "traces":
      return {
        traces_endpoint: endpoints.traces,
        compression: "gzip",
        timeout: "10s",
        auth: { authenticator: SIGV4_EXTENSIONS.traces },
        ...queued,
      };
    case "logs":
      return {
        logs_endpoint: endpoints.logs,
        // the OTLP logs endpoint writes to an existing group and stream, named per request
        headers: { "x-aws-log-group": aws.logGroups.logs, "x-aws-log-stream": aws.logStream },
        compression: "gzip",
        timeout: "10s",
        auth: { authenticator: SIGV4_EXTENSIONS.logs },
        ...queued,
      };
    case "metrics":
      return {
        region: aws.region,
        namespace: aws.namespace,
        log_group_name: aws.logGroups.metrics,
        log_stream_name: aws.logStream,
        dimension_rollup_option: "NoDimensionRollup",
        // awsemf has no exporter queue: its pipeline of its own and its batch processor's buffer absorb a slow
        // CloudWatch, and short, few attempts keep a failing one from holding the span metrics' flush for long
        request_timeout_seconds: 5,
        max_retries: 2,
        metric_declarations: [
          {
            dimensions: EMF_DIMENSIONS.map((d) => [...d]),
            metric_name_selectors: [`^(${SPAN_METRIC_NAMES.map((n) => n.replaceAll(".", "\\.")).join("|")})$`],
            label_matchers: [{ label_names: ["span.kind"], regex: "^SPAN_KIND_SERVER$" }],
          },
        ],
      };
  }
}

/** The collector's AWS part: SigV4 extensions, exporters, and where each exporter joins the pipelines. */
export function collectorAwsFragment(aws: CollectorAwsExport) {
  const on = (s: AwsSignal) => aws.signals.includes(s);
  const extensions = Object.fromEntries(
    (["traces", "logs"] as const)
      .filter(on)
      .map((s) => [SIGV4_EXTENSIONS[s], { region: aws.region, service: SIGV4_SERVICE[s] }]),
  );
  const exporters = Object.fromEntries(aws.signals.map((s) => [AWS_EXPORTERS[s], exporterFor(s, aws)]));
  return {
    extensions,
    exporters,
    /** Added to the sampled-traces pipeline, after tail sampling: X-Ray gets what Jaeger gets. */
    sampledTracesExporters: on("traces") ? [AWS_EXPORTERS.traces] : [],
    /** Pipelines of their own: the logs Alloy forwards, and the span metrics for CloudWatch. */
    pipelines: {
      ...(on("logs")
        ? {
            logs: {
              receivers: ["otlp"],
              processors: ["memory_limiter", "batch"],
              exporters: [AWS_EXPORTERS.logs],
            },
          }
        : {}),
      ...(on("metrics")
        ? {
            "metrics/cloudwatch": {
              receivers: ["span_metrics"],
              processors: ["batch"],
              exporters: [AWS_EXPORTERS.metrics],
            },
          }
        : {}),
    },
  };
}
