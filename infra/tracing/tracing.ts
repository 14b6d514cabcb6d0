import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { serviceAccountValues } from "../aws/names";
import { pinnedChart } from "../charts/chart";
import { mergeValues, staticValues } from "../charts/values-files";
import type { StackConfig } from "../config/schema";
import { chartLabels } from "../platform/labels";
import {
  clusterUrl,
  collectorOtlpHttpUrl,
  type Namespaces,
  PLATFORM_SERVICES,
  POD_LABELS,
  RELEASES,
} from "../platform/naming";
import { slowRequestMs } from "../services/logging-env";
import { collectorAwsExport } from "./collector-aws";
import { collectorConfig } from "./collector-config";
import { BADGER_MOUNT, type JaegerStorage, jaegerConfig } from "./jaeger-config";

export interface TracingArgs {
  config: StackConfig;
  namespaces: Namespaces;
  labels: Record<string, string>;
}

/** The OpenTelemetry Collector gateway (span metrics, tail sampling) and Jaeger v2 behind it. */
export class Tracing extends pulumi.ComponentResource {
  readonly collectorValues: Record<string, unknown>;
  readonly jaegerValues: Record<string, unknown>;
  /** What the services put in OTEL_EXPORTER_OTLP_ENDPOINT. */
  readonly otlpHttpEndpoint: string;
  readonly jaegerQueryUrl: string;

  constructor(name: string, args: TracingArgs, opts?: pulumi.ComponentResourceOptions) {
    super("observability-platform:tracing:Tracing", name, {}, opts);
    const { config, namespaces: ns, labels } = args;
    const jaeger = PLATFORM_SERVICES.jaeger;
    this.otlpHttpEndpoint = collectorOtlpHttpUrl(ns);
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
    });
    pinnedChart(
      `${name}-collector`,
      "otelCollector",
      { name: RELEASES.collector, namespace: ns.platform, values: this.collectorValues },
      this,
    );

    const storage: JaegerStorage = config.storage.persistent
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
    this.jaegerValues = mergeValues(staticValues("jaeger"), {
      commonLabels: chartLabels(labels),
      jaeger: { ...volumes, podLabels: chartLabels(labels) },
      userconfig: jaegerConfig(storage),
    });
    pinnedChart(
      `${name}-jaeger`,
      "jaeger",
      { name: RELEASES.jaeger, namespace: ns.platform, values: this.jaegerValues },
      this,
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
