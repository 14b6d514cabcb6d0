import { INFRA_PATHS, LOG_FIELDS } from "../../contract";

export interface AlloyPipelineArgs {
  /** Namespaces whose pod logs are collected. */
  namespaces: string[];
  lokiPushUrl: string;
  environment: string;
  /**
   * With AWS on: the services' lines (this namespace's only) also go over OTLP/HTTP to the collector, which
   * sends them to CloudWatch Logs; the Loki path does not wait for it (the exporter queues and drops on its own).
   */
  toCollector?: { otlpHttpUrl: string; namespace: string };
}

/**
 * The counter Alloy keeps of the bytes it ships to Loki, by the lines' labels (service_name among them): what Loki
 * ingests per service, after the noise is dropped. stage.metrics names it with its default prefix.
 */
export const ALLOY_SHIPPED_LOG_BYTES = { name: "shipped_log_bytes_total", prefix: "loki_process_custom_" } as const;
export const ALLOY_SHIPPED_LOG_BYTES_METRIC = `${ALLOY_SHIPPED_LOG_BYTES.prefix}${ALLOY_SHIPPED_LOG_BYTES.name}`;

/** Levels whose lines for infrastructure paths are noise; errors and warnings there stay. */
const NOISE_LEVELS = ["info", "debug"];
const regexEscape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
/**
 * stage.drop joins its sources' values with ";" (skipping absent ones) and drops the line when the
 * expression matches: a probe or scrape line at info or debug. Nobody queries those, and the services
 * do not write access lines for them; this catches any that slip through.
 */
const INFRA_PATH_NOISE = `^(?:${INFRA_PATHS.map(regexEscape).join("|")});(?:${NOISE_LEVELS.join("|")})$`;

/**
 * The Alloy pipeline: discover pods, tail their logs through the API, parse the services' JSON lines
 * (service_name and level become labels — low cardinality; trace_id and span_id structured metadata,
 * queryable without a label per trace; every other field, sample_rate and adjusted_count included, stays
 * in the line), drop probe and scrape noise, count the bytes shipped per service (the cost rules' log volume),
 * push to Loki (snappy-compressed protobuf, Alloy's default).
 * Lines that are not JSON pass through unparsed.
 */
export function alloyPipeline({ namespaces, lokiPushUrl, environment, toCollector }: AlloyPipelineArgs): string {
  const list = (values: string[]) => `[${values.map((v) => JSON.stringify(v)).join(", ")}]`;
  const f = LOG_FIELDS;
  return `discovery.kubernetes "pods" {
  role = "pod"
  namespaces {
    names = ${list(namespaces)}
  }
}

discovery.relabel "pods" {
  targets = discovery.kubernetes.pods.targets
  rule {
    source_labels = ["__meta_kubernetes_namespace"]
    target_label  = "namespace"
  }
  rule {
    source_labels = ["__meta_kubernetes_pod_name"]
    target_label  = "pod"
  }
  rule {
    source_labels = ["__meta_kubernetes_pod_container_name"]
    target_label  = "container"
  }
  rule {
    source_labels = ["__meta_kubernetes_pod_label_app_kubernetes_io_name"]
    target_label  = "app"
  }
}

loki.source.kubernetes "pods" {
  targets    = discovery.relabel.pods.output
  forward_to = [loki.process.json_lines.receiver]
}

loki.process "json_lines" {
  forward_to = [loki.write.loki.receiver${toCollector ? ", loki.relabel.services_only.receiver" : ""}]
  stage.json {
    expressions = {
      ${f.service} = "${f.service}",
      ${f.level}        = "${f.level}",
      ${f.traceId}     = "${f.traceId}",
      ${f.spanId}      = "${f.spanId}",
      ${f.route}    = "${f.route}",
    }
  }
  stage.drop {
    source              = "${f.route},${f.level}"
    expression          = ${JSON.stringify(INFRA_PATH_NOISE)}
    drop_counter_reason = "infra_path_noise"
  }
  stage.labels {
    values = {
      ${f.service} = "",
      ${f.level}        = "",
    }
  }
  stage.structured_metadata {
    values = {
      ${f.traceId} = "",
      ${f.spanId}  = "",
    }
  }
  stage.metrics {
    metric.counter {
      name              = "${ALLOY_SHIPPED_LOG_BYTES.name}"
      description       = "Bytes of log lines shipped to Loki, after probe and scrape noise is dropped."
      prefix            = "${ALLOY_SHIPPED_LOG_BYTES.prefix}"
      match_all         = true
      count_entry_bytes = true
      action            = "add"
    }
  }
}

loki.write "loki" {
  endpoint {
    url = ${JSON.stringify(lokiPushUrl)}
  }
  external_labels = {
    environment = ${JSON.stringify(environment)},
  }
}
${toCollector ? collectorForwarding(toCollector) : ""}`;
}

/** The services' lines, as OTLP log records (labels become attributes), to the collector's OTLP/HTTP receiver. */
function collectorForwarding({ otlpHttpUrl, namespace }: { otlpHttpUrl: string; namespace: string }): string {
  return `
loki.relabel "services_only" {
  forward_to = [otelcol.receiver.loki.services.receiver]
  rule {
    source_labels = ["namespace"]
    regex         = ${JSON.stringify(regexEscape(namespace))}
    action        = "keep"
  }
}

otelcol.receiver.loki "services" {
  output {
    logs = [otelcol.exporter.otlphttp.collector.input]
  }
}

otelcol.exporter.otlphttp "collector" {
  client {
    endpoint = ${JSON.stringify(otlpHttpUrl)}
  }
}
`;
}
