import { CHARTS } from "../../infra/charts/pins";
import { chartDefaultsDir, coalesceValues, loadChartDefaults } from "../../infra/charts/values-check";
import { parseStackConfig } from "../../infra/config/schema";
import { loadStackConfig, stackConfigFile } from "../../infra/config/stack-file";
import { alloyPipeline } from "../../infra/logging/alloy-config";
import { collectorOtlpHttpUrl, namespaces, PLATFORM_SERVICES } from "../../infra/platform/naming";
import { pipelineProblems } from "../../infra/preflight/checks/rendered-config/collector";
import {
  AWS_EXPORTERS,
  collectorAwsExport,
  EMF_DIMENSIONS,
  SIGV4_EXTENSIONS,
  SPAN_METRIC_NAMES,
} from "../../infra/tracing/collector-aws";
import { collectorConfig } from "../../infra/tracing/collector-config";
import { awsOnWithIrsa } from "../support/aws";

type Json = any;

/** The chart's default `config` with ours coalesced over it, as Helm merges values (nulls delete). */
function asDeployed(cfg: Json): Json {
  const dir = chartDefaultsDir();
  if (!dir) throw new Error("no chart defaults: set CHART_DEFAULTS_DIR");
  const { chart, version } = CHARTS.otelCollector;
  return coalesceValues(loadChartDefaults(dir, chart, version).values.config, cfg);
}

/** prod's stack file with AWS on (IRSA), its `aws.export` switches as given. */
function prodWithAws(exportSwitches: Record<string, unknown> = {}) {
  const platform = JSON.parse(stackConfigFile("prod")["observability-platform:platform"] as string);
  platform.aws = { ...awsOnWithIrsa(), export: { logRetentionDays: 90, ...exportSwitches } };
  return parseStackConfig(platform);
}

function generated(config = prodWithAws()): Json {
  return collectorConfig({
    namespaces: namespaces(config),
    samplingPercentage: config.traces.samplingPercentage,
    numTraces: config.traces.maxTracesInMemory,
    slowMs: 500,
    aws: collectorAwsExport(config),
  });
}

const pipelines = (cfg: Json) => cfg.service.pipelines as Record<string, Json>;

describe("collector with AWS off: nothing of AWS", () => {
  test("no AWS exporter, no SigV4 extension, the chart's extension list untouched, logs pipeline removed", () => {
    const config = loadStackConfig("prod");
    expect(collectorAwsExport(config)).toBeUndefined();
    const cfg = generated(config);
    expect(Object.keys(cfg.exporters)).toEqual(["debug", "otlp_grpc/jaeger", "prometheus"]);
    expect(cfg.extensions).toBeUndefined();
    expect(cfg.service.extensions).toBeUndefined();
    expect(pipelines(cfg).logs).toBeNull();
    expect(pipelines(cfg)["traces/sampled"].exporters).toEqual(["otlp_grpc/jaeger"]);
  });
});

describe("collector with AWS on: the exporters and where they sit", () => {
  const cfg = generated();

  test("X-Ray gets the sampled traces after tail sampling, beside Jaeger; never the unsampled stream", () => {
    const sampled = pipelines(cfg)["traces/sampled"];
    expect(sampled.processors).toContain("tail_sampling");
    expect(sampled.exporters).toEqual(["otlp_grpc/jaeger", AWS_EXPORTERS.traces]);
    expect(pipelines(cfg).traces.exporters).not.toContain(AWS_EXPORTERS.traces);
  });

  test("the span metrics reach CloudWatch through a pipeline of their own, Prometheus' pipeline unchanged", () => {
    expect(pipelines(cfg)["metrics/cloudwatch"]).toEqual({
      receivers: ["span_metrics"],
      processors: ["batch"],
      exporters: [AWS_EXPORTERS.metrics],
    });
    expect(pipelines(cfg)["metrics/spanmetrics"].exporters).toEqual(["prometheus"]);
  });

  test("logs received over OTLP pass the memory limiter and go to CloudWatch Logs only", () => {
    expect(pipelines(cfg).logs).toEqual({
      receivers: ["otlp"],
      processors: ["memory_limiter", "batch"],
      exporters: [AWS_EXPORTERS.logs],
    });
  });

  test("the OTLP exporters sign with SigV4 for their own service (xray, logs) at the region's endpoints", () => {
    expect(cfg.extensions).toEqual({
      [SIGV4_EXTENSIONS.traces]: { region: "eu-west-1", service: "xray" },
      [SIGV4_EXTENSIONS.logs]: { region: "eu-west-1", service: "logs" },
    });
    expect(cfg.service.extensions).toEqual(["health_check", SIGV4_EXTENSIONS.traces, SIGV4_EXTENSIONS.logs]);
    const xray = cfg.exporters[AWS_EXPORTERS.traces];
    expect(xray.traces_endpoint).toBe("https://xray.eu-west-1.amazonaws.com/v1/traces");
    expect(xray.auth.authenticator).toBe(SIGV4_EXTENSIONS.traces);
    const logs = cfg.exporters[AWS_EXPORTERS.logs];
    expect(logs.logs_endpoint).toBe("https://logs.eu-west-1.amazonaws.com/v1/logs");
    expect(logs.auth.authenticator).toBe(SIGV4_EXTENSIONS.logs);
    expect(logs.headers).toEqual({
      "x-aws-log-group": "/observability/prod/logs",
      "x-aws-log-stream": "otel-collector",
    });
  });

  test("each OTLP exporter to AWS has its own enabled queue and retry, so an AWS outage cannot hold Jaeger's", () => {
    for (const id of [AWS_EXPORTERS.traces, AWS_EXPORTERS.logs]) {
      expect(cfg.exporters[id].sending_queue.enabled).toBe(true);
      expect(cfg.exporters[id].retry_on_failure.enabled).toBe(true);
    }
    expect(cfg.exporters["otlp_grpc/jaeger"].sending_queue.enabled).toBe(true);
  });

  test("the configuration passes the collector's own pipeline checks (components defined, connectors both ends)", () => {
    expect(pipelineProblems(asDeployed(cfg))).toEqual([]);
  });
});

describe("awsemf: bounded CloudWatch cardinality", () => {
  const emf = generated().exporters[AWS_EXPORTERS.metrics];

  test("per-environment namespace and log group, no roll-up: only the declared dimension sets are published", () => {
    expect(emf.namespace).toBe("Observability/prod");
    expect(emf.log_group_name).toBe("/observability/prod/metrics");
    expect(emf.dimension_rollup_option).toBe("NoDimensionRollup");
    expect(emf.metric_declarations).toHaveLength(1);
  });

  test("every dimension set starts with the service and adds at most the route or the span status", () => {
    const sets = emf.metric_declarations[0].dimensions as string[][];
    expect(sets).toEqual(EMF_DIMENSIONS.map((d) => [...d]));
    for (const set of sets) {
      expect(set[0]).toBe("service.name");
      expect(set.length).toBeLessThanOrEqual(2);
      for (const d of set.slice(1)) expect(["http.route", "status.code"]).toContain(d);
    }
  });

  test("the name selector matches the two span metrics exactly, and only server spans are declared", () => {
    const selector = new RegExp(emf.metric_declarations[0].metric_name_selectors[0]);
    for (const name of SPAN_METRIC_NAMES) expect(selector.test(name)).toBe(true);
    for (const other of ["traces.span.metrics.calls.extra", "traces_span_metrics_calls", "http.server.duration"])
      expect(selector.test(other)).toBe(false);
    expect(emf.metric_declarations[0].label_matchers).toEqual([
      { label_names: ["span.kind"], regex: "^SPAN_KIND_SERVER$" },
    ]);
  });

  test("each EMF dimension is one the span_metrics connector really emits (its defaults or its configured ones)", () => {
    const connector = generated().connectors.span_metrics;
    const emitted = new Set([
      // the connector's own dimensions on every series
      "service.name",
      "span.name",
      "span.kind",
      "status.code",
      ...connector.dimensions.map((d: { name: string }) => d.name),
    ]);
    for (const set of EMF_DIMENSIONS) for (const d of set) expect(emitted).toContain(d);
    expect(emitted).toContain("span.kind");
  });
});

describe("aws.export switches", () => {
  test("each switch removes its exporter, its pipeline place and its signer; all off means no AWS at all", () => {
    const noTraces = generated(prodWithAws({ traces: false }));
    expect(noTraces.exporters[AWS_EXPORTERS.traces]).toBeUndefined();
    expect(pipelines(noTraces)["traces/sampled"].exporters).toEqual(["otlp_grpc/jaeger"]);
    expect(Object.keys(noTraces.extensions)).toEqual([SIGV4_EXTENSIONS.logs]);
    const noLogs = generated(prodWithAws({ logs: false }));
    expect(pipelines(noLogs).logs).toBeNull();
    expect(noLogs.exporters[AWS_EXPORTERS.logs]).toBeUndefined();
    const noMetrics = generated(prodWithAws({ metrics: false }));
    expect(pipelines(noMetrics)["metrics/cloudwatch"]).toBeUndefined();
    expect(collectorAwsExport(prodWithAws({ traces: false, logs: false, metrics: false }))).toBeUndefined();
    for (const cfg of [noTraces, noLogs, noMetrics]) expect(pipelineProblems(asDeployed(cfg))).toEqual([]);
  });
});

describe("Alloy → collector (the logs' path to CloudWatch)", () => {
  const ns = namespaces(loadStackConfig("prod"));
  const river = alloyPipeline({
    namespaces: [ns.apps, ns.platform],
    lokiPushUrl: "http://loki:3100/loki/api/v1/push",
    environment: "prod",
    toCollector: { otlpHttpUrl: collectorOtlpHttpUrl(ns), namespace: ns.apps },
  });

  test("the parsed lines go to Loki and, for the apps namespace only, to the collector's OTLP/HTTP receiver", () => {
    expect(river).toContain("forward_to = [loki.write.loki.receiver, loki.relabel.services_only.receiver]");
    expect(river).toMatch(
      new RegExp(
        `source_labels = \\["namespace"\\]\\s+regex\\s+= "${ns.apps.replaceAll("-", "\\-")}"\\s+action\\s+= "keep"`,
      ),
    );
    expect(river).toContain(`endpoint = "${collectorOtlpHttpUrl(ns)}"`);
  });

  test("the URL Alloy posts to is the port the collector's OTLP/HTTP receiver listens on", () => {
    const receiver = generated().receivers.otlp.protocols.http.endpoint as string;
    expect(receiver.endsWith(`:${PLATFORM_SERVICES.collector.otlpHttpPort}`)).toBe(true);
    expect(collectorOtlpHttpUrl(ns)).toBe(
      `http://${PLATFORM_SERVICES.collector.name}.${ns.platform}.svc.cluster.local:${PLATFORM_SERVICES.collector.otlpHttpPort}`,
    );
  });

  test("without AWS, Alloy forwards nothing to the collector", () => {
    const plain = alloyPipeline({ namespaces: [ns.apps], lokiPushUrl: "http://loki", environment: "prod" });
    expect(plain).not.toContain("otelcol.");
    expect(plain).toContain("forward_to = [loki.write.loki.receiver]\n");
  });
});
