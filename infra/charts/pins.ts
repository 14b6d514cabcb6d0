/** Pinned charts: the versions whose published defaults the values tests check against. */
export interface ChartPin {
  chart: string;
  version: string;
  repo: string;
}

export const CHARTS = {
  kubePrometheusStack: {
    chart: "kube-prometheus-stack",
    version: "88.5.3",
    repo: "https://prometheus-community.github.io/helm-charts",
  },
  loki: { chart: "loki", version: "18.11.0", repo: "https://grafana-community.github.io/helm-charts" },
  alloy: { chart: "alloy", version: "1.11.1", repo: "https://grafana.github.io/helm-charts" },
  jaeger: { chart: "jaeger", version: "4.11.1", repo: "https://jaegertracing.github.io/helm-charts" },
  /** Jaeger's trace store where `scale` is distributed and AWS is off (infra/tracing/jaeger-storage.ts). */
  opensearch: { chart: "opensearch", version: "3.6.0", repo: "https://opensearch-project.github.io/helm-charts" },
  otelCollector: {
    chart: "opentelemetry-collector",
    version: "0.170.0",
    repo: "https://open-telemetry.github.io/opentelemetry-helm-charts",
  },
  blackboxExporter: {
    chart: "prometheus-blackbox-exporter",
    version: "11.17.2",
    repo: "https://prometheus-community.github.io/helm-charts",
  },
  /** Only in stacks whose `chaos.enabled` is true (infra/chaos/chaos-component.ts). */
  chaosMesh: { chart: "chaos-mesh", version: "2.8.3", repo: "https://charts.chaos-mesh.org" },
  pushgateway: {
    chart: "prometheus-pushgateway",
    version: "3.8.0",
    repo: "https://prometheus-community.github.io/helm-charts",
  },
} as const satisfies Record<string, ChartPin>;

/** kube-prometheus-stack's Grafana sub-chart, whose defaults apply under its `grafana:` key. */
export const GRAFANA_SUBCHART = { chart: "grafana", version: "12.11.1" } as const;

export type ChartKey = keyof typeof CHARTS;

/** The Kubernetes version charts are rendered for (Capabilities.KubeVersion): the supported clusters'. */
export const KUBERNETES_VERSION = "1.33.0";
