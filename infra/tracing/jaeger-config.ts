import { PLATFORM_SERVICES } from "../platform/naming";

export const BADGER_MOUNT = "/badger";

export type JaegerStorage = { kind: "memory"; maxTraces: number } | { kind: "badger"; ttlHours: number };

/** Jaeger v2's collector-style configuration: OTLP in, one storage backend, query UI, health. */
export function jaegerConfig(storage: JaegerStorage) {
  const j = PLATFORM_SERVICES.jaeger;
  const backend =
    storage.kind === "memory"
      ? { memory: { max_traces: storage.maxTraces } }
      : {
          badger: {
            directories: { keys: `${BADGER_MOUNT}/keys`, values: `${BADGER_MOUNT}/values` },
            ephemeral: false,
            ttl: { spans: `${storage.ttlHours}h` },
          },
        };
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
