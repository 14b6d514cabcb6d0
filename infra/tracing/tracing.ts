import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { serviceAccountValues } from "../aws/names";
import { pinnedChart } from "../charts/chart";
import { mergeValues, staticValues } from "../charts/values-files";
import type { StackConfig } from "../config/schema";
import { chartLabels } from "../platform/labels";
import { clusterUrl, type Namespaces, otlpEntry, PLATFORM_SERVICES, POD_LABELS, RELEASES } from "../platform/naming";
import { slowRequestMs } from "../services/logging-env";
import { collectorAwsExport } from "./collector-aws";
import { collectorConfig } from "./collector-config";
import { gatewayValues, SINGLE_COLLECTOR_VALUES, samplerValues } from "./collector-tiers";
import { BADGER_MOUNT, type JaegerStorage, jaegerConfig } from "./jaeger-config";
import { JaegerOpenSearch, jaegerOpenSearchValues, openSearchStorage, usesOpenSearch } from "./jaeger-storage";

export interface TracingArgs {
  config: StackConfig;
  namespaces: Namespaces;
  labels: Record<string, string>;
  /** The AWS resources' tags (the OpenSearch domain with aws.enabled). */
  awsTags?: Record<string, string>;
}

/** The OpenTelemetry Collector gateway (span metrics, tail sampling) and Jaeger v2 behind it. */
export class Tracing extends pulumi.ComponentResource {
  readonly collectorValues: Record<string, unknown>;
  /** The gateway tier's values; only with `scale: distributed`. */
  readonly gatewayValues?: Record<string, unknown>;
  readonly jaegerValues: Record<string, unknown>;
  /** What the services put in OTEL_EXPORTER_OTLP_ENDPOINT. */
  readonly otlpHttpEndpoint: string;
  readonly jaegerQueryUrl: string;

  constructor(name: string, args: TracingArgs, opts?: pulumi.ComponentResourceOptions) {
    super("observability-platform:tracing:Tracing", name, {}, opts);
    const { config, namespaces: ns, labels } = args;
    const jaeger = PLATFORM_SERVICES.jaeger;
    this.otlpHttpEndpoint = otlpEntry(config, ns).url;
    // distributed: the collector release becomes the sampler StatefulSet, a gateway release goes in front
    const tiers = config.scale === "distributed" ? config.distributed.collector : undefined;
    this.jaegerQueryUrl = clusterUrl(jaeger.name, ns.platform, jaeger.queryPort);

    this.collectorValues = mergeValues(staticValues("otelCollector"), {
      additionalLabels: chartLabels(labels),
      podLabels: chartLabels(labels),
      ...serviceAccountValues(config, "collector"),
      config: collectorConfig({
        namespaces: ns,
        samplingPercentage: config.traces.samplingPercentage,
        numTraces: config.traces.maxTracesInMemory,
        slowMs: slowRequestMs(config),
        aws: collectorAwsExport(config),
      }),
      // single: one replica, the whole trace in one process; distributed: the sampler StatefulSet
      ...(tiers ? samplerValues(tiers) : SINGLE_COLLECTOR_VALUES),
    });
    pinnedChart(
      `${name}-collector`,
      "otelCollector",
      { name: RELEASES.collector, namespace: ns.platform, values: this.collectorValues },
      this,
    );
    if (tiers) {
      this.gatewayValues = gatewayValues(staticValues("otelCollector"), tiers, ns, chartLabels(labels));
      pinnedChart(
        `${name}-gateway`,
        "otelCollector",
        { name: RELEASES.otelGateway, namespace: ns.platform, values: this.gatewayValues },
        this,
      );
    }

    // distributed: OpenSearch (a chart, or Amazon's service), made before Jaeger connects to it
    const opensearch = usesOpenSearch(config)
      ? new JaegerOpenSearch(
          `${name}-opensearch`,
          { config, namespaces: ns, labels, awsTags: args.awsTags },
          { parent: this },
        )
      : undefined;
    const storage: JaegerStorage = opensearch
      ? openSearchStorage(config, opensearch.target)
      : config.storage.persistent
        ? { kind: "badger", ttlHours: config.traces.retentionHours }
        : { kind: "memory", maxTraces: config.traces.maxTracesInMemory };
    let volumes: Record<string, unknown> = {};
    if (storage.kind === "badger") {
      const claim = new k8s.core.v1.PersistentVolumeClaim(
        `${name}-jaeger-badger`,
        {
          metadata: {
            name: "jaeger-badger",
            namespace: ns.platform,
            labels: { ...labels, "app.kubernetes.io/name": "jaeger" },
          },
          spec: {
            accessModes: ["ReadWriteOnce"],
            ...(config.storage.storageClass ? { storageClassName: config.storage.storageClass } : {}),
            resources: { requests: { storage: `${config.traces.storageGi}Gi` } },
          },
        },
        { parent: this },
      );
      volumes = {
        extraVolumes: [{ name: "badger", persistentVolumeClaim: { claimName: claim.metadata.name } }],
        extraVolumeMounts: [{ name: "badger", mountPath: BADGER_MOUNT }],
      };
    }
    this.jaegerValues = mergeValues(
      mergeValues(staticValues("jaeger"), {
        commonLabels: chartLabels(labels),
        jaeger: { ...volumes, podLabels: chartLabels(labels) },
        userconfig: jaegerConfig(storage),
      }),
      storage.kind === "opensearch" ? jaegerOpenSearchValues(storage, config, labels) : {},
    );
    pinnedChart(
      `${name}-jaeger`,
      "jaeger",
      { name: RELEASES.jaeger, namespace: ns.platform, values: this.jaegerValues },
      this,
      undefined,
      opensearch ? [opensearch] : undefined,
    );
    // The chart ships no ServiceMonitor; its Service exposes Jaeger's own metrics (spans received, storage errors).
    new k8s.apiextensions.CustomResource(
      `${name}-jaeger-servicemonitor`,
      {
        apiVersion: "monitoring.coreos.com/v1",
        kind: "ServiceMonitor",
        metadata: {
          name: jaeger.name,
          namespace: ns.platform,
          labels: { ...labels, "app.kubernetes.io/name": "jaeger" },
        },
        spec: {
          selector: { matchLabels: POD_LABELS.jaeger },
          namespaceSelector: { matchNames: [ns.platform] },
          endpoints: [{ port: jaeger.metricsPortName, interval: config.metrics.scrapeInterval }],
        },
      },
      { parent: this },
    );
    this.registerOutputs({ otlpHttpEndpoint: this.otlpHttpEndpoint, jaegerQueryUrl: this.jaegerQueryUrl });
  }
}
