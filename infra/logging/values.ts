import { serviceAccountValues } from "../aws/names";
import type { Values } from "../charts/values-files";
import type { StackConfig } from "../config/schema";
import { chartLabels } from "../platform/labels";

export interface LokiStorage {
  /** The S3 bucket for chunks, ruler and delete requests when AWS is enabled. */
  s3?: { bucket: string; region: string };
}

/** Loki's ingester settings for chunk compression and flushing, from logs.chunks. */
export function lokiChunkSettings(chunks: StackConfig["logs"]["chunks"]) {
  return {
    chunk_encoding: chunks.encoding,
    chunk_target_size: chunks.targetSizeBytes,
    max_chunk_age: chunks.maxChunkAge,
    chunk_idle_period: chunks.idlePeriod,
  };
}

/** The per-environment values of the Loki chart (static ones are in charts-values/loki.yaml). */
export function lokiValues(config: StackConfig, labels: Record<string, string>, storage: LokiStorage): Values {
  const objectStore = storage.s3 ? "s3" : "filesystem";
  return {
    commonLabels: chartLabels(labels),
    // S3 credentials come from Loki's own role through its ServiceAccount: no keys, not the node's role
    ...(storage.s3 ? serviceAccountValues(config, "loki") : {}),
    loki: {
      storage: storage.s3
        ? {
            type: "s3",
            bucketNames: { chunks: storage.s3.bucket, ruler: storage.s3.bucket, admin: storage.s3.bucket },
            s3: { region: storage.s3.region },
          }
        : { type: "filesystem" },
      schemaConfig: {
        configs: [
          {
            from: "2024-01-01",
            store: "tsdb",
            object_store: objectStore,
            schema: "v13",
            index: { prefix: "loki_index_", period: "24h" },
          },
        ],
      },
      compactor: { delete_request_store: objectStore },
      // merged with the chart's default ingester block (wal.flush_on_shutdown), written to config.yaml
      ingester: lokiChunkSettings(config.logs.chunks),
      limits_config: { retention_period: `${config.logs.retentionDays * 24}h` },
    },
    singleBinary: {
      persistence: {
        enabled: config.storage.persistent,
        size: `${config.logs.storageGi}Gi`,
        ...(config.storage.storageClass ? { storageClass: config.storage.storageClass } : {}),
      },
    },
  };
}
