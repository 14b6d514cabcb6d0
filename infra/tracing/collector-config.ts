import { HTTP_DURATION_BUCKETS, TRACE_SAMPLING_HASH_SALT } from "../../contract";
import { clusterUrl, type Namespaces, PLATFORM_SERVICES } from "../platform/naming";
import { type CollectorAwsExport, collectorAwsFragment } from "./collector-aws";

export interface CollectorConfigArgs {
  namespaces: Namespaces;
  /** Share of traces without errors that are kept (errors are always kept). */
  samplingPercentage: number;
  /** Traces held in memory while tail sampling waits for their last span. */
  numTraces: number;
  /** Traces at least this long are kept (the SLO latency threshold), as the services keep their access lines. */
  slowMs: number;
  /** What also goes to AWS (X-Ray, CloudWatch metrics and logs); absent when AWS is off. */
  aws?: CollectorAwsExport;
}

export const TAIL_SAMPLING_DECISION_WAIT = "10s";

/** First in every pipeline: refuses data before the collector runs out of memory (percentages of the limit). */
export const MEMORY_LIMITER = { check_interval: "1s", limit_percentage: 80, spike_limit_percentage: 20 } as const;

/** OTLP over gRPC and HTTP on the pod's IP; null removes the chart's default Jaeger, Zipkin and Prometheus receivers. */
export function otlpReceivers(ports: { otlpGrpcPort: number; otlpHttpPort: number }) {
  return {
    jaeger: null,
    zipkin: null,
    prometheus: null,
    otlp: {
      protocols: {
        grpc: { endpoint: `\${env:MY_POD_IP}:${ports.otlpGrpcPort}` },
        http: { endpoint: `\${env:MY_POD_IP}:${ports.otlpHttpPort}` },
      },
    },
  };
}

/**
 * The collector's configuration. Two trace pipelines: `traces` receives OTLP, passes memory_limiter
 * first, and feeds the span_metrics connector (RED metrics of every span, before any sampling) and a
 * forward connector; `traces/sampled` tail-samples what it forwards (every error trace, a share of the
 * rest) and exports to Jaeger over OTLP. Keys set to null remove the chart's default components.
 * With AWS on, the sampled traces also go to X-Ray, the span metrics to CloudWatch (awsemf) and the logs
 * Alloy forwards to CloudWatch Logs (infra/tracing/collector-aws.ts).
 */
export function collectorConfig({ namespaces, samplingPercentage, numTraces, slowMs, aws }: CollectorConfigArgs) {
  const jaeger = PLATFORM_SERVICES.jaeger;
  const collector = PLATFORM_SERVICES.collector;
  const toAws = aws ? collectorAwsFragment(aws) : undefined;
  return {
    // merged into the chart's extensions (health_check stays)
    ...(toAws ? { extensions: toAws.extensions } : {}),
    receivers: otlpReceivers(collector),
    processors: {
      memory_limiter: MEMORY_LIMITER,
      batch: { send_batch_size: 1024, timeout: "5s" },
      tail_sampling: {
        decision_wait: TAIL_SAMPLING_DECISION_WAIT,
        num_traces: numTraces,
        policies: [
          { name: "errors", type: "status_code", status_code: { status_codes: ["ERROR"] } },
          // duration from the earliest span start to the latest end, kept when >= threshold_ms
          { name: "slow", type: "latency", latency: { threshold_ms: slowMs } },
          {
            name: "baseline",
            type: "probabilistic",
            // explicit, not the default: the services hash trace ids with it to keep the same access logs
            probabilistic: { sampling_percentage: samplingPercentage, hash_salt: TRACE_SAMPLING_HASH_SALT },
          },
        ],
      },
    },
    connectors: {
      span_metrics: {
        histogram: { explicit: { buckets: HTTP_DURATION_BUCKETS.map((s) => `${Math.round(s * 1000)}ms`) } },
        dimensions: [{ name: "http.request.method" }, { name: "http.response.status_code" }, { name: "http.route" }],
        exemplars: { enabled: true },
        metrics_flush_interval: "15s",
      },
      forward: {},
    },
    exporters: {
      debug: null,
      "otlp_grpc/jaeger": {
        endpoint: clusterUrl(jaeger.name, namespaces.platform, jaeger.otlpGrpcPort).replace(/^http:\/\//, ""),
        tls: { insecure: true },
        sending_queue: { enabled: true, queue_size: 5000 },
        retry_on_failure: { enabled: true, max_elapsed_time: "120s" },
      },
      prometheus: {
        endpoint: `\${env:MY_POD_IP}:${collector.spanMetricsPort}`,
        resource_to_telemetry_conversion: { enabled: true },
        enable_open_metrics: true,
      },
      ...toAws?.exporters,
    },
    service: {
      // a list replaces the chart's, so health_check (its probes need it) is named again
      ...(toAws ? { extensions: ["health_check", ...Object.keys(toAws.extensions)] } : {}),
      pipelines: {
        logs: null,
        metrics: null,
        traces: { receivers: ["otlp"], processors: ["memory_limiter"], exporters: ["span_metrics", "forward"] },
        "traces/sampled": {
          receivers: ["forward"],
          processors: ["memory_limiter", "tail_sampling", "batch"],
          exporters: ["otlp_grpc/jaeger", ...(toAws?.sampledTracesExporters ?? [])],
        },
        "metrics/spanmetrics": { receivers: ["span_metrics"], processors: ["batch"], exporters: ["prometheus"] },
        ...toAws?.pipelines,
      },
    },
  };
}
