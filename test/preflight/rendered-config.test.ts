import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { stringify } from "yaml";
import { TRACE_SAMPLING_HASH_SALT } from "../../contract";
import type { StackConfig } from "../../infra/config/schema";
import { loadStackConfig } from "../../infra/config/stack-file";
import {
  COLLECTOR_DEFAULT_HASH_SALT,
  durationSeconds,
  flagValues,
  prometheusBytes,
  quantityBytes,
  renderedConfigMatches,
  serviceTarget,
} from "../../infra/preflight/checks/rendered-config";
import {
  containersRunning,
  loadConfig,
  namespaceResolver,
} from "../../infra/preflight/checks/rendered-config/workloads";
import { asKubernetesObject } from "../../infra/preflight/collect";
import { preflight } from "../../infra/preflight/main";
import type { KubernetesObject, RenderedObject } from "../../infra/render/render";
import { lokiDistributedSet } from "../logging/loki-objects";
import { jaegerDeployment, jaegerOpenSearchSet } from "../tracing/jaeger-opensearch-set";

// Small object sets shaped like the charts render them; each broken variant changes one thing.

const NS = "obs-test-platform";
type Obj = Record<string, any>;

const rendered = (origin: string, object: Obj): RenderedObject => ({
  object: object as KubernetesObject,
  origin,
  template: `${origin}/templates/x.yaml`,
});
const configMap = (origin: string, name: string, data: Record<string, string>, namespace: string | undefined = NS) =>
  rendered(origin, {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: { name, ...(namespace ? { namespace } : {}) },
    data,
  });

function lokiConfig(c: StackConfig): Obj {
  return {
    common: { path_prefix: "/var/loki", storage: { filesystem: { chunks_directory: "/var/loki/chunks" } } },
    compactor: {
      retention_enabled: true,
      delete_request_store: "filesystem",
      working_directory: "/var/loki/compactor",
    },
    limits_config: { retention_period: `${c.logs.retentionDays * 24}h` },
    ingester: {
      chunk_encoding: c.logs.chunks.encoding,
      chunk_target_size: c.logs.chunks.targetSizeBytes,
      max_chunk_age: c.logs.chunks.maxChunkAge,
      chunk_idle_period: c.logs.chunks.idlePeriod,
      wal: { flush_on_shutdown: true },
    },
    schema_config: { configs: [{ from: "2024-01-01", store: "tsdb", object_store: "filesystem", schema: "v13" }] },
    runtime_config: { file: "/etc/loki/runtime-config/runtime-config.yaml" },
  };
}

function lokiSet(c: StackConfig, edit: { config?: (cfg: Obj) => void; sts?: (sts: Obj) => void } = {}) {
  const cfg = lokiConfig(c);
  edit.config?.(cfg);
  const sts: Obj = {
    apiVersion: "apps/v1",
    kind: "StatefulSet",
    metadata: { name: "loki", namespace: NS },
    spec: {
      template: {
        spec: {
          containers: [
            {
              name: "loki",
              image: "docker.io/grafana/loki:3.7.6",
              args: ["-config.file=/etc/loki/config/config.yaml", "-target=all"],
              volumeMounts: [
                { name: "config", mountPath: "/etc/loki/config" },
                { name: "runtime-config", mountPath: "/etc/loki/runtime-config" },
                { name: "storage", mountPath: "/var/loki" },
              ],
            },
          ],
          volumes: [
            { name: "config", configMap: { name: "loki", items: [{ key: "config.yaml", path: "config.yaml" }] } },
            { name: "runtime-config", configMap: { name: "loki-runtime" } },
            ...(c.storage.persistent ? [] : [{ name: "storage", emptyDir: {} }]),
          ],
        },
      },
      ...(c.storage.persistent
        ? {
            volumeClaimTemplates: [
              {
                metadata: { name: "storage" },
                spec: { resources: { requests: { storage: `${c.logs.storageGi}Gi` } } },
              },
            ],
          }
        : {}),
    },
  };
  edit.sts?.(sts);
  return [
    configMap("loki", "loki", { "config.yaml": stringify(cfg) }),
    configMap("loki", "loki-runtime", { "runtime-config.yaml": "{}\n" }),
    rendered("loki", sts),
  ];
}

function jaegerConfig(c: StackConfig): Obj {
  const backend = c.storage.persistent
    ? {
        badger: {
          directories: { keys: "/badger/keys", values: "/badger/values" },
          ephemeral: false,
          ttl: { spans: `${c.traces.retentionHours}h` },
        },
      }
    : { memory: { max_traces: c.traces.maxTracesInMemory } };
  return {
    exporters: { jaeger_storage_exporter: { trace_storage: "primary_store" } },
    extensions: {
      jaeger_storage: { backends: { primary_store: backend } },
      jaeger_query: { storage: { traces: "primary_store" } },
    },
    receivers: { otlp: { protocols: { grpc: { endpoint: "0.0.0.0:4317" } } } },
    processors: { batch: {} },
    service: {
      extensions: ["jaeger_storage", "jaeger_query"],
      pipelines: { traces: { receivers: ["otlp"], processors: ["batch"], exporters: ["jaeger_storage_exporter"] } },
    },
  };
}

/** Like the Jaeger chart: Deployment and Service without metadata.namespace (the release's applies). */
function jaegerSet(c: StackConfig, edit: { config?: (cfg: Obj) => void; deploy?: (d: Obj) => void } = {}) {
  if (c.scale === "distributed") return jaegerOpenSearchSet(c, NS); // mutations: test/tracing/jaeger-opensearch.test.ts
  const cfg = jaegerConfig(c);
  edit.config?.(cfg);
  const labels = { "app.kubernetes.io/name": "jaeger", "app.kubernetes.io/component": "all-in-one" };
  const badger = c.storage.persistent;
  const deploy: Obj = jaegerDeployment({
    podLabels: labels,
    strategy: { type: "Recreate" },
    mounts: badger ? [{ name: "badger", mountPath: "/badger" }] : [],
    volumes: badger ? [{ name: "badger", persistentVolumeClaim: { claimName: "jaeger-badger" } }] : [],
  });
  edit.deploy?.(deploy);
  const service = {
    apiVersion: "v1",
    kind: "Service",
    metadata: { name: "jaeger" },
    spec: { selector: labels, ports: [{ name: "otlp-grpc", port: 4317 }] },
  };
  const pvc = {
    apiVersion: "v1",
    kind: "PersistentVolumeClaim",
    metadata: { name: "jaeger-badger", namespace: NS },
    spec: { resources: { requests: { storage: `${c.traces.storageGi}Gi` } } },
  };
  return [
    configMap("jaeger", "user-config", { "user-config.yaml": stringify(cfg) }),
    rendered("jaeger", service),
    rendered("jaeger", deploy),
    ...(c.storage.persistent ? [{ object: pvc as KubernetesObject, origin: "program" }] : []),
  ];
}

function collectorConfig(c: StackConfig): Obj {
  return {
    receivers: { otlp: { protocols: { grpc: { endpoint: `\${env:MY_POD_IP}:4317` } } } },
    processors: {
      memory_limiter: { check_interval: "1s", limit_percentage: 80 },
      batch: {},
      tail_sampling: {
        policies: [
          {
            name: "baseline",
            type: "probabilistic",
            probabilistic: { sampling_percentage: c.traces.samplingPercentage, hash_salt: TRACE_SAMPLING_HASH_SALT },
          },
          { name: "errors", type: "status_code", status_code: { status_codes: ["ERROR"] } },
          { name: "slow", type: "latency", latency: { threshold_ms: c.slo.latencyThresholdSeconds * 1000 } },
        ],
      },
    },
    connectors: { span_metrics: {}, forward: {} },
    exporters: {
      "otlp_grpc/jaeger": { endpoint: `jaeger.${NS}.svc.cluster.local:4317` },
      prometheus: { endpoint: `\${env:MY_POD_IP}:8889` },
    },
    service: {
      pipelines: {
        traces: { receivers: ["otlp"], processors: ["memory_limiter"], exporters: ["span_metrics", "forward"] },
        "traces/sampled": {
          receivers: ["forward"],
          processors: ["memory_limiter", "tail_sampling", "batch"],
          exporters: ["otlp_grpc/jaeger"],
        },
        "metrics/spanmetrics": { receivers: ["span_metrics"], processors: ["batch"], exporters: ["prometheus"] },
      },
    },
  };
}

function collectorSet(c: StackConfig, edit: (cfg: Obj) => void = () => {}) {
  const cfg = collectorConfig(c);
  edit(cfg);
  const deploy = {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name: "otel-collector", namespace: NS },
    spec: {
      template: {
        spec: {
          containers: [
            {
              name: "opentelemetry-collector",
              image: "otel/opentelemetry-collector-contrib:0.158.0",
              args: ["--config=/conf/relay.yaml"],
              volumeMounts: [{ name: "opentelemetry-collector-configmap", mountPath: "/conf" }],
            },
          ],
          volumes: [
            {
              name: "opentelemetry-collector-configmap",
              configMap: { name: "otel-collector", items: [{ key: "relay", path: "relay.yaml" }] },
            },
          ],
        },
      },
    },
  };
  return [configMap("otel-collector", "otel-collector", { relay: stringify(cfg) }), rendered("otel-collector", deploy)];
}

// prod's distributed Prometheus (Pulumi.prod.yaml): one per node, basic-auth remote write; queue by hand from
// (200000 + 300 × 30) series / 30 s × 1.3 headroom / 4000 samples/s per shard → 3, and 10 × the rate → 18 shards
const secretRef = (key: string) => ({ name: "kps-prometheus-remote-write", key });
const distributedPrometheus = {
  affinity: {
    podAntiAffinity: {
      requiredDuringSchedulingIgnoredDuringExecution: [{ topologyKey: "kubernetes.io/hostname", labelSelector: {} }],
    },
  },
  remoteWrite: [
    {
      name: "long-term",
      url: "https://metrics.internal.example.com/api/v1/push",
      basicAuth: { username: secretRef("username"), password: secretRef("password") },
      queueConfig: { capacity: 10000, maxSamplesPerSend: 2000, minShards: 3, maxShards: 18 },
    },
  ],
};

function prometheus(c: StackConfig, edit: (spec: Obj) => void = () => {}): RenderedObject {
  const m = c.metrics;
  const spec: Obj = {
    replicas: m.replicas,
    scrapeInterval: m.scrapeInterval,
    retention: `${m.retentionDays}d`,
    retentionSize: `${m.retentionSizeGi}GB`,
    enableFeatures: ["exemplar-storage"],
    ...(c.storage.persistent
      ? { storage: { volumeClaimTemplate: { spec: { resources: { requests: { storage: `${m.storageGi}Gi` } } } } } }
      : {}),
    ...(c.scale === "distributed" ? distributedPrometheus : {}),
  };
  edit(spec);
  return rendered("kps", {
    apiVersion: "monitoring.coreos.com/v1",
    kind: "Prometheus",
    metadata: { name: "kps-prometheus", namespace: NS },
    spec,
  });
}

// The collector set below is the single-shaped one; distributed prod's gateway and samplers are checked on
// their real Helm render (test/tracing/collector-tiers.test.ts, and preflight in test/preflight/stacks-render.test.ts).
const platform = (c: StackConfig) => [
  ...(c.scale === "distributed" ? lokiDistributedSet(c) : lokiSet(c)),
  ...jaegerSet(c),
  ...(c.scale === "distributed" ? [] : collectorSet(c)),
  prometheus(c),
];
const messages = (objects: RenderedObject[], c: StackConfig) => renderedConfigMatches(objects, c).map((f) => f.message);

const dev = loadStackConfig("dev");
const prod = loadStackConfig("prod");
/** prod's stores in `scale: single` (Badger): the single-node checks. */
const prodSingle: StackConfig = { ...prod, scale: "single" };
/** The Loki sets below are the single binary (simple scalable: test/logging/loki-distributed.test.ts). */
const prodSingleLoki: StackConfig = { ...prod, scale: "single" };

describe("renderedConfigMatches on small object sets", () => {
  test.each([
    ["dev", dev],
    ["prod", prod],
  ])("a set that matches the %s config has no findings", (_, c) => {
    expect(renderedConfigMatches(platform(c), c)).toEqual([]);
  });

  test("findings name the object and its source template", () => {
    const objects = [...lokiSet(prod, { config: (cfg) => (cfg.limits_config.retention_period = "72h") })];
    expect(renderedConfigMatches(objects, prodSingleLoki)).toEqual([
      {
        check: "rendered-config",
        object: `ConfigMap ${NS}/loki (loki: loki/templates/x.yaml)`,
        message: expect.stringContaining('limits_config.retention_period is "72h", expected "744h"'),
      },
    ]);
  });

  describe("Loki", () => {
    const prod = prodSingleLoki;
    test("retention period differs", () => {
      const objects = lokiSet(prod, { config: (cfg) => (cfg.limits_config.retention_period = "30d") });
      expect(messages(objects, prod)).toEqual([expect.stringContaining('retention_period is "30d", expected "744h"')]);
    });

    test("retention period written in days is the same duration", () => {
      const objects = lokiSet(prod, { config: (cfg) => (cfg.limits_config.retention_period = "31d") });
      expect(messages(objects, prod)).toEqual([]);
    });

    test("compactor retention off, no working directory, no delete request store", () => {
      const objects = lokiSet(prod, {
        config: (cfg) => {
          cfg.compactor = { retention_enabled: false };
        },
      });
      expect(messages(objects, prod)).toEqual([
        expect.stringContaining("compactor.retention_enabled is false, expected true"),
        expect.stringContaining("compactor.working_directory is not set"),
        expect.stringContaining('compactor.delete_request_store is not set, expected "filesystem"'),
      ]);
    });

    test("delete request store differs from the storage backend", () => {
      const objects = lokiSet(prod, { config: (cfg) => (cfg.compactor.delete_request_store = "s3") });
      expect(messages(objects, prod)).toEqual([
        expect.stringContaining('delete_request_store is "s3", expected "filesystem"'),
      ]);
    });

    test("persistent storage missing: data directory on an emptyDir", () => {
      const objects = lokiSet(prod, {
        sts: (sts) => {
          delete sts.spec.volumeClaimTemplates;
          sts.spec.template.spec.volumes.push({ name: "storage", emptyDir: {} });
        },
      });
      expect(messages(objects, prod)).toEqual([
        expect.stringContaining('on volume "storage" (emptyDir), expected a volumeClaimTemplate'),
      ]);
    });

    test("claim size differs from logs.storageGi", () => {
      const objects = lokiSet(prod, {
        sts: (sts) => (sts.spec.volumeClaimTemplates[0].spec.resources.requests.storage = "10Gi"),
      });
      expect(messages(objects, prod)).toEqual([
        expect.stringContaining('requests storage "10Gi", expected "200Gi" (logs.storageGi)'),
      ]);
    });

    test("dev with a PVC: a volumeClaimTemplate although storage is not persistent", () => {
      const objects = lokiSet(dev, {
        sts: (sts) => {
          sts.spec.volumeClaimTemplates = [
            { metadata: { name: "storage" }, spec: { resources: { requests: { storage: "5Gi" } } } },
          ];
        },
      });
      expect(messages(objects, dev)).toEqual([
        expect.stringContaining('volumeClaimTemplate "storage" ("5Gi"), expected none: storage.persistent is false'),
      ]);
    });

    test("the StatefulSet reads a config file no ConfigMap provides", () => {
      const objects = lokiSet(prod, {
        sts: (sts) => (sts.spec.template.spec.containers[0].args[0] = "-config.file=/etc/loki/config/other.yaml"),
      });
      expect(messages(objects, prod)).toEqual([expect.stringContaining('has no file "other.yaml"')]);
    });

    test("chunk encoding and target size differ from logs.chunks", () => {
      const objects = lokiSet(prod, {
        config: (cfg) => {
          cfg.ingester.chunk_encoding = "snappy";
          cfg.ingester.chunk_target_size = 1_572_864;
        },
      });
      expect(messages(objects, prod)).toEqual([
        expect.stringContaining('ingester.chunk_encoding is "snappy", expected "zstd" (logs.chunks.encoding)'),
        expect.stringContaining(
          "ingester.chunk_target_size is 1572864, expected 4194304 (logs.chunks.targetSizeBytes)",
        ),
      ]);
    });

    test("chunk ages written in other units are the same durations", () => {
      const objects = lokiSet(prod, {
        config: (cfg) => {
          cfg.ingester.max_chunk_age = "120m";
          cfg.ingester.chunk_idle_period = "1800s";
        },
      });
      expect(messages(objects, prod)).toEqual([]);
    });

    test("no chunk settings at all: Loki would run its defaults, each one is named", () => {
      const objects = lokiSet(prod, { config: (cfg) => (cfg.ingester = { wal: { flush_on_shutdown: true } }) });
      expect(messages(objects, prod)).toEqual([
        expect.stringContaining('ingester.chunk_encoding is absent, expected "zstd"'),
        expect.stringContaining("ingester.chunk_target_size is absent, expected 4194304"),
        expect.stringContaining('ingester.max_chunk_age is absent, expected "2h"'),
        expect.stringContaining('ingester.chunk_idle_period is absent, expected "30m"'),
      ]);
    });

    test("a tenant override in the runtime config changes retention", () => {
      const objects = lokiSet(prod).map((r) =>
        r.object.metadata.name === "loki-runtime"
          ? configMap("loki", "loki-runtime", {
              "runtime-config.yaml": "overrides:\n  fake:\n    retention_period: 24h\n",
            })
          : r,
      );
      expect(messages(objects, prod)).toEqual([
        expect.stringContaining('overrides.fake.retention_period is "24h", expected "744h"'),
      ]);
    });
  });

  describe("Jaeger", () => {
    test("memory store bound differs from traces.maxTracesInMemory", () => {
      const objects = jaegerSet(dev, {
        config: (cfg) => (cfg.extensions.jaeger_storage.backends.primary_store.memory.max_traces = 1),
      });
      expect(messages(objects, dev)).toEqual([expect.stringContaining("max_traces is 1, expected 20000")]);
    });

    test("persistent stack with the memory store", () => {
      const objects = jaegerSet(prodSingle, {
        config: (cfg) => (cfg.extensions.jaeger_storage.backends.primary_store = { memory: { max_traces: 50000 } }),
      });
      expect(messages(objects, prodSingle)).toEqual([expect.stringContaining('is "memory", expected badger')]);
    });

    test("badger ephemeral, TTL differs", () => {
      const objects = jaegerSet(prodSingle, {
        config: (cfg) => {
          const badger = cfg.extensions.jaeger_storage.backends.primary_store.badger;
          badger.ephemeral = true;
          badger.ttl.spans = "72h";
        },
      });
      expect(messages(objects, prodSingle)).toEqual([
        expect.stringContaining("badger.ephemeral is true, expected false"),
        expect.stringContaining('badger.ttl.spans is "72h", expected "168h"'),
      ]);
    });

    test("badger TTL in days is not a Go duration", () => {
      const objects = jaegerSet(prodSingle, {
        config: (cfg) => (cfg.extensions.jaeger_storage.backends.primary_store.badger.ttl.spans = "7d"),
      });
      expect(messages(objects, prodSingle)).toEqual([expect.stringContaining('badger.ttl.spans is "7d"')]);
    });

    test("persistent storage missing: badger directories on no volume", () => {
      const objects = jaegerSet(prodSingle, {
        deploy: (d) => {
          const pod = d.spec.template.spec;
          pod.containers[0].volumeMounts.pop();
          pod.volumes.pop();
        },
      });
      expect(messages(objects, prodSingle)).toEqual([
        expect.stringContaining("directories.keys /badger/keys is on no mounted volume"),
        expect.stringContaining("directories.values /badger/values is on no mounted volume"),
      ]);
    });

    test("the claimed PVC is not in the set", () => {
      const objects = jaegerSet(prodSingle).filter((r) => r.object.kind !== "PersistentVolumeClaim");
      expect(messages(objects, prodSingle)).toEqual([
        expect.stringContaining(`PersistentVolumeClaim ${NS}/jaeger-badger, which is not in the set`),
      ]);
    });

    test("the Deployment does not run with the user config", () => {
      const objects = jaegerSet(dev, { deploy: (d) => (d.spec.template.spec.containers[0].args = []) });
      expect(messages(objects, dev)).toEqual([expect.stringContaining("has no --config")]);
    });

    test("dev with a PVC", () => {
      const objects = jaegerSet(dev, {
        deploy: (d) => d.spec.template.spec.volumes.push({ name: "badger", persistentVolumeClaim: { claimName: "x" } }),
      });
      expect(messages(objects, dev)).toEqual([
        expect.stringContaining('volume "badger" from PersistentVolumeClaim "x"'),
      ]);
    });
  });

  describe("Prometheus", () => {
    test("retention, size, replicas, scrape interval and exemplars differ", () => {
      const objects = [
        prometheus(prod, (s) => {
          s.retention = "15d";
          s.retentionSize = "40GB";
          s.replicas = 1;
          s.scrapeInterval = "60s";
          s.enableFeatures = [];
        }),
      ];
      expect(messages(objects, prod)).toEqual([
        expect.stringContaining('spec.retention is "15d", expected "30d"'),
        expect.stringContaining('spec.retentionSize is "40GB", expected "160GB"'),
        expect.stringContaining("spec.replicas is 1, expected 2"),
        expect.stringContaining('spec.scrapeInterval is "60s", expected "30s"'),
        expect.stringContaining('expected it to contain "exemplar-storage"'),
      ]);
    });

    test("persistent storage missing", () => {
      const objects = [prometheus(prod, (s) => delete s.storage)];
      expect(messages(objects, prod)).toEqual([
        expect.stringContaining("volumeClaimTemplate is absent, expected a 200Gi"),
      ]);
    });

    test("dev with a PVC", () => {
      const objects = [
        prometheus(
          dev,
          (s) => (s.storage = { volumeClaimTemplate: { spec: { resources: { requests: { storage: "5Gi" } } } } }),
        ),
      ];
      expect(messages(objects, dev)).toEqual([expect.stringContaining("expected none: storage.persistent is false")]);
    });
  });

  describe("collector", () => {
    // these fixtures are the single-collector shape; the distributed tiers are tested in test/tracing/collector-tiers.test.ts
    const prod: StackConfig = { ...loadStackConfig("prod"), scale: "single" };
    const withJaeger = (c: StackConfig, edit: (cfg: Obj) => void) => [...collectorSet(c, edit), ...jaegerSet(c)];

    test("tail sampling percentage differs", () => {
      const objects = withJaeger(prod, (cfg) => {
        cfg.processors.tail_sampling.policies[0].probabilistic.sampling_percentage = 50;
      });
      expect(messages(objects, prod)).toEqual([
        expect.stringContaining('policy "baseline": sampling_percentage 50, expected 10 (traces.samplingPercentage)'),
      ]);
    });

    test("a hash_salt other than the contract's: the services would keep other traces' access logs", () => {
      const objects = withJaeger(prod, (cfg) => {
        cfg.processors.tail_sampling.policies[0].probabilistic.hash_salt = "my-salt";
      });
      expect(messages(objects, prod)).toEqual([
        expect.stringContaining(
          `policy "baseline": hash_salt "my-salt", expected "${TRACE_SAMPLING_HASH_SALT}" (TRACE_SAMPLING_HASH_SALT)`,
        ),
      ]);
    });

    test("no latency policy at the SLO threshold: slow requests are logged but their traces would be dropped", () => {
      const objects = withJaeger(prod, (cfg) => {
        cfg.processors.tail_sampling.policies[2].latency.threshold_ms = 1000;
      });
      expect(messages(objects, prod)).toEqual([
        expect.stringContaining("no latency policy with threshold_ms 500 (slo.latencyThresholdSeconds)"),
      ]);
    });

    test("no hash_salt: the collector's default salt applies, which is the contract's", () => {
      expect(COLLECTOR_DEFAULT_HASH_SALT).toBe(TRACE_SAMPLING_HASH_SALT);
      const objects = withJaeger(prod, (cfg) => {
        delete cfg.processors.tail_sampling.policies[0].probabilistic.hash_salt;
      });
      expect(messages(objects, prod)).toEqual([]);
    });

    test("memory_limiter not first", () => {
      const objects = withJaeger(prod, (cfg) => {
        cfg.service.pipelines["traces/sampled"].processors = ["tail_sampling", "memory_limiter", "batch"];
      });
      expect(messages(objects, prod)).toEqual([expect.stringContaining("pipeline traces/sampled: processors")]);
      expect(messages(objects, prod)[0]).toContain("expected memory_limiter first");
    });

    test("sampling before span_metrics", () => {
      const objects = withJaeger(prod, (cfg) => {
        cfg.service.pipelines.traces.processors = ["memory_limiter", "tail_sampling"];
      });
      expect(messages(objects, prod)).toEqual([expect.stringContaining("runs tail_sampling before span_metrics")]);
    });

    test("the sampled pipeline does not sample, the first one exports to Jaeger directly", () => {
      const objects = withJaeger(prod, (cfg) => {
        cfg.service.pipelines.traces.exporters = ["span_metrics", "forward", "otlp_grpc/jaeger"];
        cfg.service.pipelines["traces/sampled"].processors = ["memory_limiter", "batch"];
      });
      expect(messages(objects, prod)).toEqual([
        expect.stringContaining('exports ["otlp_grpc/jaeger"] directly, bypassing tail sampling'),
        expect.stringContaining("pipeline traces/sampled: processors"),
      ]);
    });

    test("undefined components, unused receiver, one-sided connector", () => {
      const objects = withJaeger(prod, (cfg) => {
        cfg.receivers.zipkin = {};
        cfg.service.pipelines["traces/sampled"].processors.push("filter/health");
        delete cfg.service.pipelines["metrics/spanmetrics"];
      });
      expect(messages(objects, prod)).toEqual([
        expect.stringContaining('processor "filter/health" is not defined'),
        expect.stringContaining('connector "span_metrics" is exported to but no pipeline receives from it'),
        expect.stringContaining('receiver "zipkin" is defined but no pipeline uses it'),
      ]);
    });

    test("the Jaeger exporter points at a port the Jaeger Service lacks", () => {
      const objects = withJaeger(prod, (cfg) => {
        cfg.exporters["otlp_grpc/jaeger"].endpoint = `jaeger.${NS}.svc.cluster.local:14250`;
      });
      expect(messages(objects, prod)).toEqual([
        expect.stringContaining(`Service ${NS}/jaeger has ports [4317], not 14250`),
      ]);
    });

    test("the Jaeger exporter points at a Service that does not exist", () => {
      const objects = withJaeger(prod, (cfg) => {
        cfg.exporters["otlp_grpc/jaeger"].endpoint = "jaeger-collector:4317";
      });
      expect(messages(objects, prod)).toEqual([
        expect.stringContaining(`no Service ${NS}/jaeger-collector in the set`),
        expect.stringContaining("no traces exporter"),
      ]);
    });
  });

  describe("helpers", () => {
    test("durations: Prometheus has days, Go does not", () => {
      expect(durationSeconds("1d12h", "prometheus")).toBe(129_600);
      expect(durationSeconds("72h", "go")).toBe(259_200);
      expect(durationSeconds("3d", "go")).toBeUndefined();
      expect(durationSeconds("1.5h", "prometheus")).toBeUndefined();
    });

    test("sizes: Kubernetes quantities and Prometheus' base-2 units", () => {
      expect(quantityBytes("5Gi")).toBe(5 * 2 ** 30);
      expect(quantityBytes("5G")).toBe(5e9);
      expect(prometheusBytes("40GB")).toBe(40 * 2 ** 30);
      expect(prometheusBytes("40GiB")).toBe(40 * 2 ** 30);
    });

    test("flags in every spelling", () => {
      expect(flagValues(["--config", "/a.yaml", "--config=/b.yaml", "-config.file=/c.yaml"], "config")).toEqual([
        "/a.yaml",
        "/b.yaml",
      ]);
    });

    test("Service targets of endpoints", () => {
      expect(serviceTarget("jaeger.ns.svc.cluster.local:4317", "x")).toEqual({
        name: "jaeger",
        namespace: "ns",
        port: 4317,
      });
      expect(serviceTarget("dns:///jaeger:4317", "x")).toEqual({ name: "jaeger", namespace: "x", port: 4317 });
      expect(serviceTarget("http://jaeger.ns:4318/v1/traces", "x")).toEqual({
        name: "jaeger",
        namespace: "ns",
        port: 4318,
      });
      expect(serviceTarget("api.honeycomb.io:443", "x")).toBeUndefined();
    });
  });
});

// Per environment: the real program under the mock runtime, every chart rendered with real Helm (once).
describe.each([
  ["dev", "snappy", 1_572_864],
  ["staging", "zstd", 4_194_304],
  ["prod", "zstd", 4_194_304],
] as const)("stack %s rendered with real Helm", (stack, encoding, targetSize) => {
  let objects: RenderedObject[] = [];
  beforeAll(async () => {
    const out = mkdtempSync(path.join(os.tmpdir(), "rendered-config-"));
    try {
      let report: Awaited<ReturnType<typeof preflight>> | undefined;
      await jest.isolateModulesAsync(async () => {
        report = await preflight(stack, out);
      });
      if (!report) throw new Error("preflight did not run");
      expect(report.renderSkipped).toBeUndefined();
      const program: RenderedObject[] = report.resources
        .map(asKubernetesObject)
        .filter((o) => o !== undefined)
        .map((o) => ({ object: o as KubernetesObject, origin: "program" }));
      objects = [...program, ...report.rendered.flatMap((c) => c.objects)];
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  }, 600_000);

  test("the rendered configuration matches the stack config", () => {
    // The check must have something to read: each component is in the set.
    const images = objects.flatMap((r) =>
      ((r.object.spec as Obj | undefined)?.template?.spec?.containers ?? []).map((c: Obj) => String(c.image)),
    );
    for (const name of ["/loki:", "/jaeger:", "/opentelemetry-collector-contrib:"])
      expect(images.some((i) => i.includes(name))).toBe(true);
    expect(objects.some((r) => r.object.kind === "Prometheus")).toBe(true);

    const findings = renderedConfigMatches(objects, loadStackConfig(stack));
    expect(findings.map((f) => `${f.object}: ${f.message}`)).toEqual([]);
  });

  test(`the config file Loki starts with carries ${encoding} chunks of ${targetSize} bytes, 2h max age, 30m idle`, () => {
    const nsOf = namespaceResolver(objects);
    const [loki] = containersRunning(objects, nsOf, (name) => name === "loki");
    if (!loki) throw new Error("no Loki container in the render");
    const loaded = loadConfig(objects, nsOf, loki, "config.file");
    if (typeof loaded === "string") throw new Error(loaded);
    expect(loaded.source.origin).toBe("loki"); // the chart's own ConfigMap or Secret, not a test fixture
    expect(loaded.config.ingester).toMatchObject({
      chunk_encoding: encoding,
      chunk_target_size: targetSize,
      max_chunk_age: "2h",
      chunk_idle_period: "30m",
    });
  });
});
