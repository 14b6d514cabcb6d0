import type { StackConfig } from "../config/schema";
import { type Namespaces, namespaces } from "../platform/naming";
import { GIB, JAEGER_OVERHEAD, LOKI_OVERHEAD } from "./sizing";

/**
 * What each store holds now and may hold, as PromQL over the stores' own metrics: the fallback where the
 * volume plugin exports no kubelet_volume_stats_* (kind's local-path provisioner), and the one source of
 * these expressions for the storage alerts and the capacity dashboard.
 */

export const STORES = ["prometheus", "loki", "jaeger"] as const;
export type Store = (typeof STORES)[number];

export interface StoreUsage {
  store: Store;
  /** PromQL: bytes in use, one series without labels (an estimate for loki and jaeger: see `estimate`). */
  usedBytes: string;
  /** The size the store must stay within, bytes, and the stack config key it comes from. */
  limitBytes: number;
  limitKey: string;
  /** How `usedBytes` is obtained, for descriptions and runbooks. */
  estimate: string;
  /**
   * Regex of the store's PersistentVolumeClaim in the platform namespace. Where kubelet_volume_stats_* exist
   * for it, the chart's KubePersistentVolumeFillingUp covers the volume and the fallback alert stays quiet.
   * Unset for Prometheus, whose limit is its retention size, not its volume.
   */
  claimPattern?: string;
}

/**
 * PVC names the charts and the program create: Loki's StatefulSet claim template `storage` (loki chart),
 * and Jaeger's claim (infra/tracing/tracing.ts).
 */
export const STORE_CLAIMS = { loki: "storage-loki-[0-9]+", jaeger: "jaeger-badger" } as const;

/** Each store the stack runs with a bounded size: Prometheus always, Loki always, Jaeger when on disk. */
export function storeUsage(config: StackConfig): StoreUsage[] {
  // the environment's own stores only: two environments may share a Prometheus
  const platform = `namespace="${namespaces(config).platform}"`;
  const stores: StoreUsage[] = [
    {
      store: "prometheus",
      // Prometheus counts blocks, WAL and head chunks against retentionSize ("GB" = 2^30 bytes) and then
      // deletes the oldest blocks; max over replicas, each has its own volume.
      usedBytes: `max(prometheus_tsdb_storage_blocks_bytes{${platform}} + prometheus_tsdb_wal_storage_size_bytes{${platform}} + prometheus_tsdb_head_chunks_storage_size_bytes{${platform}})`,
      limitBytes: config.metrics.retentionSizeGi * GIB,
      limitKey: "metrics.retentionSizeGi",
      estimate: "blocks + WAL + head chunks, as Prometheus measures them against its retention size",
    },
    {
      store: "loki",
      // Chunks flushed within the retention window are the chunks the compactor keeps.
      usedBytes: `sum(increase(loki_ingester_chunk_stored_bytes_total{${platform}}[${config.logs.retentionDays}d])) * ${1 + LOKI_OVERHEAD}`,
      limitBytes: config.logs.storageGi * GIB,
      limitKey: "logs.storageGi",
      estimate: `chunk bytes flushed within the ${config.logs.retentionDays}-day retention, + ${LOKI_OVERHEAD * 100}% for index and WAL`,
      claimPattern: STORE_CLAIMS.loki,
    },
  ];
  // distributed Jaeger writes to OpenSearch: its volumes (or Amazon's domain) are not one Badger claim to estimate
  if (config.storage.persistent && config.scale !== "distributed") {
    const bytesPerSpan = config.capacity.bytesPerSpan * (1 + JAEGER_OVERHEAD);
    stores.push({
      store: "jaeger",
      // Jaeger's own metrics are not scraped: count the spans the collector delivered to it instead.
      usedBytes: `sum(increase(otelcol_exporter_sent_spans_total{${platform},exporter=~".*jaeger.*"}[${config.traces.retentionHours}h])) * ${bytesPerSpan}`,
      limitBytes: config.traces.storageGi * GIB,
      limitKey: "traces.storageGi",
      estimate: `spans the collector sent to Jaeger within the ${config.traces.retentionHours}-hour retention × ${bytesPerSpan} bytes (capacity.bytesPerSpan + ${JAEGER_OVERHEAD * 100}% value-log garbage)`,
      claimPattern: STORE_CLAIMS.jaeger,
    });
  }
  // distributed Loki keeps its chunks in the object store: no volume bounds them (the compactor's retention does)
  return config.scale === "distributed" ? stores.filter((s) => s.store !== "loki") : stores;
}

/** How far ahead the filling-up alert looks, as the kubernetes-mixin's KubePersistentVolumeFillingUp does. */
export const FILL_HORIZON_SECONDS = 4 * 24 * 3600;
/** Share of the limit in use before a prediction counts (the mixin: under 15 % free). */
export const FILL_MIN_USED_RATIO = 0.85;

/** PromQL: the store's usage predicted `seconds` ahead from its last 6 hours (15-minute steps). */
export function predictedBytes(usage: StoreUsage, seconds = FILL_HORIZON_SECONDS): string {
  return `predict_linear((${usage.usedBytes})[6h:15m], ${seconds})`;
}

/** PromQL: the store's volume reported by the kubelet (absent on plugins without volume stats). */
export function volumeStats(usage: StoreUsage, ns: Namespaces): string | undefined {
  return usage.claimPattern === undefined
    ? undefined
    : `kubelet_volume_stats_used_bytes{namespace="${ns.platform}",persistentvolumeclaim=~"${usage.claimPattern}"}`;
}
