import { serviceAccountValues } from "../aws/names";
import type { Values } from "../charts/values-files";
import type { StackConfig } from "../config/schema";
import { chartLabels } from "../platform/labels";
import { LOKI_OBJECT_STORE_SECRET } from "../platform/naming";

export interface LokiStorage {
  /** The S3 bucket for chunks, ruler and delete requests when AWS is enabled. */
  s3?: { bucket: string; region: string };
}

/** The simple scalable targets of the loki chart (deploymentMode SimpleScalable). */
export const LOKI_TARGETS = ["read", "write", "backend"] as const;
export type LokiTarget = (typeof LOKI_TARGETS)[number];

/** Env vars Loki expands (`-config.expand-env=true`, set by the chart) into its S3 keys. */
export const LOKI_S3_ENV = {
  accessKeyId: "LOKI_S3_ACCESS_KEY_ID",
  secretAccessKey: "LOKI_S3_SECRET_ACCESS_KEY",
} as const;

/** nginx is stateless: two replicas keep pushes and queries flowing through a node drain (and get a PDB). */
export const LOKI_GATEWAY_REPLICAS = 2;

/**
 * Requests and limits per target. Upstream's sizing (https://grafana.com/docs/loki/latest/setup/size/, tier
 * under 3 TB/day) gives 2 CPU / 4 Gi per ingester (the write target), 1 CPU / 1 Gi per querier (read) and
 * 2 CPU / 10 Gi for the compactor (backend); prod ingests far less (docs/scaling.md), so these start lower and
 * the replica counts carry growth.
 */
export const LOKI_TARGET_RESOURCES: Record<LokiTarget, Values> = {
  read: { requests: { cpu: "250m", memory: "512Mi" }, limits: { memory: "2Gi" } },
  write: { requests: { cpu: "500m", memory: "1Gi" }, limits: { memory: "4Gi" } },
  backend: { requests: { cpu: "250m", memory: "512Mi" }, limits: { memory: "2Gi" } },
};

/** Volumes of the write (WAL) and backend (compactor, ruler) targets: chunks live in the object store. */
export const LOKI_TARGET_VOLUME_GI = 10;

/** Loki's ingester settings for chunk compression and flushing, from logs.chunks. */
export function lokiChunkSettings(chunks: StackConfig["logs"]["chunks"]) {
  return {
    chunk_encoding: chunks.encoding,
    chunk_target_size: chunks.targetSizeBytes,
    max_chunk_age: chunks.maxChunkAge,
    chunk_idle_period: chunks.idlePeriod,
  };
}

/** Where Loki keeps its chunks: AWS's S3 (role, no keys), an S3-compatible store (keys from env), or its disk. */
export type LokiObjectStore =
  | { kind: "aws"; bucket: string; region: string }
  | { kind: "s3-compatible"; endpoint: string; bucket: string; region: string; forcePathStyle: boolean }
  | { kind: "filesystem" };

/** The store for this stack: the AWS bucket when given, else in `distributed` the configured S3-compatible one. */
export function lokiObjectStore(config: StackConfig, storage: LokiStorage): LokiObjectStore {
  if (storage.s3) return { kind: "aws", ...storage.s3 };
  if (config.scale !== "distributed") return { kind: "filesystem" };
  const store = config.distributed.loki.objectStore;
  if (!store)
    throw new Error(
      "distributed.loki.objectStore is required with scale distributed and aws.enabled false (endpoint, bucket, region, forcePathStyle)",
    );
  return { kind: "s3-compatible", ...store };
}

function storageValues(store: LokiObjectStore): Values {
  if (store.kind === "filesystem") return { type: "filesystem" };
  const bucketNames = { chunks: store.bucket, ruler: store.bucket, admin: store.bucket };
  if (store.kind === "aws") return { type: "s3", bucketNames, s3: { region: store.region } };
  return {
    type: "s3",
    bucketNames,
    s3: {
      endpoint: store.endpoint,
      region: store.region,
      s3ForcePathStyle: store.forcePathStyle,
      // placeholders Loki expands from its env at start: the keys never enter the chart values or ConfigMap
      accessKeyId: `\${${LOKI_S3_ENV.accessKeyId}}`,
      secretAccessKey: `\${${LOKI_S3_ENV.secretAccessKey}}`,
    },
  };
}

/** The S3 keys as env vars of a Loki container, from the Secret the Logging component creates. */
export function lokiObjectStoreEnv(): { name: string; valueFrom: { secretKeyRef: { name: string; key: string } } }[] {
  const fromSecret = (name: string, key: string) => ({
    name,
    valueFrom: { secretKeyRef: { name: LOKI_OBJECT_STORE_SECRET.name, key } },
  });
  return [
    fromSecret(LOKI_S3_ENV.accessKeyId, LOKI_OBJECT_STORE_SECRET.accessKeyId),
    fromSecret(LOKI_S3_ENV.secretAccessKey, LOKI_OBJECT_STORE_SECRET.secretAccessKey),
  ];
}

/** The chart claims a target's volume when `volumeClaimsEnabled` (or the undocumented `enabled`) is true. */
function persistence(config: StackConfig, sizeGi: number): Values {
  const on = config.storage.persistent;
  return {
    volumeClaimsEnabled: on,
    ...(on ? { size: `${sizeGi}Gi` } : {}),
    ...(on && config.storage.storageClass ? { storageClass: config.storage.storageClass } : {}),
  };
}

/**
 * The simple scalable topology: read, write and backend targets sized from `distributed.loki`, the gateway in
 * front; the chart's defaults add hard per-node anti-affinity and a PDB (maxUnavailable 1) to each target, and
 * replicas spread over zones where the nodes carry a zone label.
 */
export function lokiDistributedValues(
  config: StackConfig,
  store: LokiObjectStore,
  labels: Record<string, string>,
): Values {
  const sizes = config.distributed.loki;
  const env = store.kind === "s3-compatible" ? { extraEnv: lokiObjectStoreEnv() } : {};
  const target = (name: LokiTarget, replicas: number): Values => ({
    replicas,
    resources: LOKI_TARGET_RESOURCES[name],
    ...env,
    topologySpreadConstraints: [
      {
        maxSkew: 1,
        topologyKey: "topology.kubernetes.io/zone",
        whenUnsatisfiable: "ScheduleAnyway",
        // as the chart's own anti-affinity: its values pass through tpl
        labelSelector: {
          matchLabels: {
            "app.kubernetes.io/component": name,
            "app.kubernetes.io/name": '{{ include "loki.name" . }}',
            "app.kubernetes.io/instance": "{{ .Release.Name }}",
          },
        },
      },
    ],
  });
  const volumes = { persistence: persistence(config, LOKI_TARGET_VOLUME_GI) };
  return {
    deploymentMode: "SimpleScalable",
    loki: { commonConfig: { replication_factor: sizes.replicationFactor } },
    singleBinary: { replicas: 0 },
    read: target("read", sizes.read),
    write: { ...target("write", sizes.write), ...volumes },
    backend: { ...target("backend", sizes.backend), ...volumes },
    gateway: {
      enabled: true,
      replicas: LOKI_GATEWAY_REPLICAS,
      // commonLabels stop at the gateway's pod template
      podLabels: chartLabels(labels),
      resources: { requests: { cpu: "50m", memory: "64Mi" }, limits: { memory: "256Mi" } },
      livenessProbe: { httpGet: { path: "/", port: "http" }, periodSeconds: 30, failureThreshold: 5 },
      metrics: { resources: { requests: { cpu: "10m", memory: "32Mi" }, limits: { memory: "64Mi" } } },
    },
  };
}

/** The per-environment values of the Loki chart (static ones are in charts-values/loki.yaml). */
export function lokiValues(config: StackConfig, labels: Record<string, string>, storage: LokiStorage): Values {
  const store = lokiObjectStore(config, storage);
  const objectStore = store.kind === "filesystem" ? "filesystem" : "s3";
  const common: Values = {
    commonLabels: chartLabels(labels),
    // S3 credentials come from Loki's own role through its ServiceAccount: no keys, not the node's role
    ...(store.kind === "aws" ? serviceAccountValues(config, "loki") : {}),
    loki: {
      storage: storageValues(store),
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
  };
  if (config.scale === "distributed") {
    const distributed = lokiDistributedValues(config, store, labels);
    return { ...common, ...distributed, loki: { ...(common.loki as Values), ...(distributed.loki as Values) } };
  }
  return {
    ...common,
    // monolithic: one binary, no scalable targets, no gateway (Grafana and Alloy talk to it directly)
    deploymentMode: "Monolithic",
    loki: { ...(common.loki as Values), commonConfig: { replication_factor: 1 } },
    read: { replicas: 0 },
    write: { replicas: 0 },
    backend: { replicas: 0 },
    gateway: { enabled: false },
    singleBinary: {
      replicas: 1,
      persistence: {
        enabled: config.storage.persistent,
        size: `${config.logs.storageGi}Gi`,
        ...(config.storage.storageClass ? { storageClass: config.storage.storageClass } : {}),
      },
    },
  };
}
