/** The label naming the cluster: an external label, and on every scraped series (kube-prometheus-stack's dashboards). */
export const CLUSTER_LABEL = "cluster";

/**
 * The Prometheus operator's default scrape class: every ServiceMonitor, PodMonitor, Probe and ScrapeConfig that
 * names no class gets its relabelings, here the cluster label on every target.
 */
export function clusterScrapeClass(cluster: string) {
  return {
    name: "default",
    default: true,
    relabelings: [{ action: "replace", targetLabel: CLUSTER_LABEL, replacement: cluster }],
  };
}

/** The same relabeling in Prometheus' own configuration format (the local harness and the demo mirror the class). */
export function clusterRelabelConfig(cluster: string) {
  return { action: "replace", target_label: CLUSTER_LABEL, replacement: cluster };
}
