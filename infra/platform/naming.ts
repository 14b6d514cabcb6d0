import { type AppName, OTLP_HTTP_PORT, RESPONDER_NAME } from "../../contract";
import type { StackConfig } from "../config/schema";

/**
 * Names other components and the services rely on. Helm releases get fixed names and
 * fullnameOverride, so every Service name below is what the charts really create.
 */
export const RELEASES = {
  monitoring: "kps",
  loki: "loki",
  alloy: "alloy",
  collector: "otel-collector",
  /** With `scale: distributed`: the stateless OTLP tier in front of the collector (infra/tracing/collector-tiers.ts). */
  otelGateway: "otel-gateway",
  jaeger: "jaeger",
  /** Jaeger's trace store in `scale: distributed` without AWS (infra/tracing/jaeger-storage.ts). */
  opensearch: "opensearch",
  blackboxExporter: "blackbox-exporter",
  /** Chaos Mesh and the Pushgateway of game-day results: only where `chaos.enabled` (infra/chaos/). */
  chaosMesh: "chaos-mesh",
  pushgateway: "pushgateway",
} as const;

/** The port of the demo services' Kubernetes Services (they target the container port by name). */
export const SERVICE_PORT = 80;

export const PLATFORM_SERVICES = {
  prometheus: { name: `${RELEASES.monitoring}-prometheus`, port: 9090 },
  alertmanager: { name: `${RELEASES.monitoring}-alertmanager`, port: 9093 },
  grafana: { name: `${RELEASES.monitoring}-grafana`, port: 80 },
  loki: { name: RELEASES.loki, port: 3100 },
  /** With `scale: distributed`: the loki chart's nginx gateway, routing pushes to its write target, queries to read. */
  lokiGateway: { name: `${RELEASES.loki}-gateway`, port: 80 },
  collector: {
    name: RELEASES.collector,
    otlpHttpPort: OTLP_HTTP_PORT,
    otlpGrpcPort: 4317,
    metricsPort: 8888,
    spanMetricsPort: 8889,
  },
  /** With `scale: distributed` the services export here; it load-balances spans by trace id to the collector. */
  otelGateway: { name: RELEASES.otelGateway, otlpHttpPort: OTLP_HTTP_PORT, otlpGrpcPort: 4317, metricsPort: 8888 },
  jaeger: {
    name: RELEASES.jaeger,
    otlpGrpcPort: 4317,
    otlpHttpPort: 4318,
    queryPort: 16686,
    healthPort: 13133,
    metricsPort: 8888,
    /** The chart's name for the metrics port on its Service. */
    metricsPortName: "internal-metrics",
  },
  /** OpenSearch's client Service (the chart's `masterService`); HTTPS with the security plugin. */
  opensearch: { name: "opensearch-cluster-master", port: 9200 },
  /** The prober every Probe object names (`spec.prober.url`); the chart's Service port. */
  blackboxExporter: { name: RELEASES.blackboxExporter, port: 9115 },
  /** The alert responder (infra/responder/): Alertmanager posts to it; it targets the container port by name. */
  responder: { name: RESPONDER_NAME, port: SERVICE_PORT },
  /** The chart's fixed Service names (its helpers hard-code them); metrics on the controller's port `http`. */
  chaosController: { name: "chaos-mesh-controller-manager", metricsPort: 10080, metricsPortName: "http" },
  chaosDashboard: { name: "chaos-dashboard", port: 2333 },
  /** Where the game-day runner pushes its results (fullnameOverride in charts-values/prometheus-pushgateway.yaml). */
  pushgateway: { name: RELEASES.pushgateway, port: 9091 },
} as const;

/** Keys of an S3-compatible store for Loki (`distributed` without AWS): a Secret the program creates, read as env vars. */
export const LOKI_OBJECT_STORE_SECRET = {
  name: `${RELEASES.loki}-object-store`,
  accessKeyId: "access-key-id",
  secretAccessKey: "secret-access-key",
} as const;

/** The Secret holding the responder's bearer token: read by the responder and by Alertmanager (a mounted file). */
export const RESPONDER_TOKEN = { secret: `${RESPONDER_NAME}-token`, key: "token" } as const;

/** The Secret (Grafana's namespace) of the peers' credentials, one env var per key (infra/monitoring/datasources.ts). */
export const GRAFANA_PEER_CREDENTIALS_SECRET = `${PLATFORM_SERVICES.grafana.name}-peer-credentials`;

/** The Alertmanager resource kube-prometheus-stack creates (cleanPrometheusOperatorObjectNames false: the default). */
const ALERTMANAGER_RESOURCE = `${RELEASES.monitoring}-alertmanager`;

/** Pod labels the charts put on the pods other objects select (NetworkPolicies). */
export const POD_LABELS = {
  prometheus: { "app.kubernetes.io/name": "prometheus" },
  /**
   * The operator's selector labels on Alertmanager pods (prometheus-operator v0.93 makeSelectorLabels:
   * name, managed-by, instance and `alertmanager`, the last two the resource's name); the chart's own
   * Service selects these two.
   */
  alertmanager: { "app.kubernetes.io/name": "alertmanager", alertmanager: ALERTMANAGER_RESOURCE },
  collector: { "app.kubernetes.io/name": "opentelemetry-collector", "app.kubernetes.io/instance": RELEASES.collector },
  otelGateway: {
    "app.kubernetes.io/name": "opentelemetry-collector",
    "app.kubernetes.io/instance": RELEASES.otelGateway,
  },
  jaeger: { "app.kubernetes.io/name": "jaeger", "app.kubernetes.io/instance": RELEASES.jaeger },
  opensearch: { "app.kubernetes.io/name": "opensearch", "app.kubernetes.io/instance": RELEASES.opensearch },
  blackboxExporter: {
    "app.kubernetes.io/name": "prometheus-blackbox-exporter",
    "app.kubernetes.io/instance": RELEASES.blackboxExporter,
  },
  /** The responder's own pods (infra/responder/): its Service, ServiceMonitor and NetworkPolicy select these. */
  responder: { "app.kubernetes.io/name": RESPONDER_NAME, "app.kubernetes.io/component": "alert-responder" },
  /** Chaos Mesh names every component `chaos-mesh` and tells them apart by component. */
  chaosController: {
    "app.kubernetes.io/name": "chaos-mesh",
    "app.kubernetes.io/instance": RELEASES.chaosMesh,
    "app.kubernetes.io/component": "controller-manager",
  },
  chaosDaemon: {
    "app.kubernetes.io/name": "chaos-mesh",
    "app.kubernetes.io/instance": RELEASES.chaosMesh,
    "app.kubernetes.io/component": "chaos-daemon",
  },
  pushgateway: {
    "app.kubernetes.io/name": "prometheus-pushgateway",
    "app.kubernetes.io/instance": RELEASES.pushgateway,
  },
} as const;

/** Grafana datasource uids; dashboards and correlations refer to these. */
export const DATASOURCE_UIDS = { prometheus: "prometheus", loki: "loki", jaeger: "jaeger" } as const;

/** The AWS datasources' uids (only with `aws.enabled`); apart from DATASOURCE_UIDS, which peers reuse per environment. */
export const AWS_DATASOURCE_UIDS = { cloudwatch: "cloudwatch", xray: "xray", amp: "amp" } as const;

export interface Namespaces {
  platform: string;
  apps: string;
}

export function namespaces(config: Pick<StackConfig, "namespacePrefix" | "environment">): Namespaces {
  const base = `${config.namespacePrefix}-${config.environment}`;
  return { platform: `${base}-platform`, apps: `${base}-apps` };
}

/** `host:port` of a Service inside the cluster (what Prometheus wants as an address, e.g. a Probe's prober). */
export function clusterAddress(service: string, namespace: string, port: number): string {
  return `${service}.${namespace}.svc.cluster.local:${port}`;
}

export function clusterUrl(service: string, namespace: string, port: number): string {
  return `http://${clusterAddress(service, namespace, port)}`;
}

/** Loki's entry point for Alloy and Grafana: the single binary's Service, or the gateway in `distributed`. */
export function lokiUrl(config: Pick<StackConfig, "scale">, ns: Namespaces): string {
  const loki = config.scale === "distributed" ? PLATFORM_SERVICES.lokiGateway : PLATFORM_SERVICES.loki;
  return clusterUrl(loki.name, ns.platform, loki.port);
}

/** The collector's own OTLP/HTTP receiver (the samplers' in `distributed`): where Alloy forwards logs for AWS. */
export function collectorOtlpHttpUrl(ns: Namespaces): string {
  return clusterUrl(PLATFORM_SERVICES.collector.name, ns.platform, PLATFORM_SERVICES.collector.otlpHttpPort);
}

/** Where the services and the responder send OTLP: the collector, or its gateway tier in `distributed`. */
export function otlpEntry(config: Pick<StackConfig, "scale">, ns: Namespaces) {
  const distributed = config.scale === "distributed";
  const svc = distributed ? PLATFORM_SERVICES.otelGateway : PLATFORM_SERVICES.collector;
  return {
    url: clusterUrl(svc.name, ns.platform, svc.otlpHttpPort),
    podLabels: distributed ? POD_LABELS.otelGateway : POD_LABELS.collector,
    port: svc.otlpHttpPort,
  };
}

/** The image of a demo service: `<registry>/<service>-service:<tag>`. */
export function serviceImage(images: StackConfig["images"], service: AppName): string {
  return `${images.registry}/${service}-service:${images.tag}`;
}
