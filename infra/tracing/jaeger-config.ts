import type { Input } from "@pulumi/pulumi";
import { PLATFORM_SERVICES } from "../platform/naming";

export const BADGER_MOUNT = "/badger";

/** OpenSearch through Jaeger's Elasticsearch-family client: daily indices, basic auth from a mounted file. */
export interface OpenSearchStorage {
  kind: "opensearch";
  /** An Output when it is the Amazon domain's endpoint. */
  serverUrl: Input<string>;
  /** Indices are `<prefix>-jaeger-span-YYYY-MM-DD`; the index cleaner deletes whole days by this name. */
  indexPrefix: string;
  username: string;
  /** A file from a Secret volume: the password never enters the ConfigMap. */
  passwordFile: string;
  /** Only for the self-hosted chart's demo certificates (see jaeger-storage.ts). */
  skipVerify: boolean;
  shards: number;
  /** How far back queries look: the retention, no further. */
  retentionHours: number;
}

export type JaegerStorage =
  | { kind: "memory"; maxTraces: number }
  | { kind: "badger"; ttlHours: number }
  | OpenSearchStorage;

/** Go's reference time as Jaeger's date layout: one index per UTC day. */
export const DAILY_INDEX_LAYOUT = "2006-01-02";

function opensearchBackend(s: OpenSearchStorage) {
  const daily = { date_layout: DAILY_INDEX_LAYOUT, rollover_frequency: "day", shards: s.shards, replicas: 1 };
  return {
    opensearch: {
      server_urls: [s.serverUrl],
      // OpenSearch speaks the ES 7 API; fixed so startup does not depend on version detection
      version: 7,
      // daily indices, no rollover aliases: retention is deleting whole days (the index cleaner)
      use_aliases: false,
      create_mappings: true,
      max_span_age: `${s.retentionHours}h`,
      indices: { index_prefix: s.indexPrefix, spans: { ...daily }, services: { ...daily } },
      auth: { basic: { username: s.username, password_file: s.passwordFile } },
      tls: { insecure: false, insecure_skip_verify: s.skipVerify },
    },
  };
}

function backendOf(storage: JaegerStorage) {
  if (storage.kind === "memory") return { memory: { max_traces: storage.maxTraces } };
  if (storage.kind === "opensearch") return opensearchBackend(storage);
  return {
    badger: {
      directories: { keys: `${BADGER_MOUNT}/keys`, values: `${BADGER_MOUNT}/values` },
      ephemeral: false,
      ttl: { spans: `${storage.ttlHours}h` },
    },
  };
}

/** Jaeger v2's collector-style configuration: OTLP in, one storage backend, query UI, health. */
export function jaegerConfig(storage: JaegerStorage) {
  const j = PLATFORM_SERVICES.jaeger;
  const backend = backendOf(storage);
  return {
    service: {
      extensions: ["jaeger_storage", "jaeger_query", "healthcheckv2"],
      pipelines: { traces: { receivers: ["otlp"], processors: ["batch"], exporters: ["jaeger_storage_exporter"] } },
      telemetry: {
        resource: { "service.name": "jaeger" },
        metrics: {
          level: "detailed",
          readers: [{ pull: { exporter: { prometheus: { host: "0.0.0.0", port: j.metricsPort } } } }],
        },
      },
    },
    extensions: {
      healthcheckv2: { use_v2: true, http: { endpoint: `0.0.0.0:${j.healthPort}` } },
      jaeger_query: { storage: { traces: "primary_store" } },
      jaeger_storage: { backends: { primary_store: backend } },
    },
    receivers: {
      otlp: {
        protocols: {
          grpc: { endpoint: `0.0.0.0:${j.otlpGrpcPort}` },
          http: { endpoint: `0.0.0.0:${j.otlpHttpPort}` },
        },
      },
    },
    processors: { batch: {} },
    exporters: { jaeger_storage_exporter: { trace_storage: "primary_store" } },
  };
}
