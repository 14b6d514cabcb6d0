import { stringify } from "yaml";
import type { StackConfig } from "../../infra/config/schema";
import { LOKI_S3_ENV, LOKI_TARGET_VOLUME_GI, LOKI_TARGETS, lokiObjectStoreEnv } from "../../infra/logging/values";
import type { KubernetesObject, RenderedObject } from "../../infra/render/render";

// A small Loki object set shaped as the loki chart renders simple scalable mode; edits break one thing each.

type Obj = Record<string, any>;

export const LOKI_TEST_NS = "obs-test-platform";

const rendered = (object: Obj): RenderedObject => ({
  object: object as KubernetesObject,
  origin: "loki",
  template: "loki/templates/x.yaml",
});

const podLabels = (target: string) => ({
  "app.kubernetes.io/name": "loki",
  "app.kubernetes.io/instance": "loki",
  "app.kubernetes.io/component": target,
});

/** The config file the chart writes for `c` (distributed, S3-compatible store unless AWS). */
export function lokiDistributedConfig(c: StackConfig): Obj {
  const store = c.distributed.loki.objectStore;
  const s3 = c.aws.enabled
    ? { bucketnames: "logs-bucket", region: c.aws.region }
    : {
        bucketnames: store?.bucket,
        endpoint: store?.endpoint,
        region: store?.region,
        s3forcepathstyle: store?.forcePathStyle,
        access_key_id: `\${${LOKI_S3_ENV.accessKeyId}}`,
        secret_access_key: `\${${LOKI_S3_ENV.secretAccessKey}}`,
      };
  return {
    common: {
      path_prefix: "/var/loki",
      replication_factor: c.distributed.loki.replicationFactor,
      compactor_grpc_address: `loki-backend.${LOKI_TEST_NS}.svc.cluster.local:9095`,
      storage: { s3 },
    },
    compactor: { retention_enabled: true, delete_request_store: "s3", working_directory: "/var/loki/compactor" },
    limits_config: { retention_period: `${c.logs.retentionDays * 24}h` },
    ingester: {
      chunk_encoding: c.logs.chunks.encoding,
      chunk_target_size: c.logs.chunks.targetSizeBytes,
      max_chunk_age: c.logs.chunks.maxChunkAge,
      chunk_idle_period: c.logs.chunks.idlePeriod,
    },
    schema_config: { configs: [{ from: "2024-01-01", store: "tsdb", object_store: "s3", schema: "v13" }] },
  };
}

function workload(c: StackConfig, target: (typeof LOKI_TARGETS)[number]): Obj {
  const claims = c.storage.persistent && target !== "read";
  return {
    apiVersion: "apps/v1",
    kind: target === "read" ? "Deployment" : "StatefulSet",
    metadata: { name: `loki-${target}`, namespace: LOKI_TEST_NS },
    spec: {
      replicas: c.distributed.loki[target],
      template: {
        metadata: { labels: podLabels(target) },
        spec: {
          containers: [
            {
              name: target,
              image: "docker.io/grafana/loki:3.7.6",
              args: ["-config.file=/etc/loki/config/config.yaml", "-config.expand-env=true", `-target=${target}`],
              env: c.aws.enabled ? [] : lokiObjectStoreEnv(),
              volumeMounts: [
                { name: "config", mountPath: "/etc/loki/config" },
                { name: "data", mountPath: "/var/loki" },
              ],
            },
          ],
          volumes: [
            { name: "config", configMap: { name: "loki", items: [{ key: "config.yaml", path: "config.yaml" }] } },
            ...(claims ? [] : [{ name: "data", emptyDir: {} }]),
          ],
        },
      },
      ...(claims
        ? {
            volumeClaimTemplates: [
              {
                metadata: { name: "data" },
                spec: { resources: { requests: { storage: `${LOKI_TARGET_VOLUME_GI}Gi` } } },
              },
            ],
          }
        : {}),
    },
  };
}

/** ConfigMap, the backend Service and the three targets; `edit` changes the config or a workload by name. */
export function lokiDistributedSet(
  c: StackConfig,
  edit: { config?: (cfg: Obj) => void; objects?: (named: (name: string) => Obj) => void } = {},
): RenderedObject[] {
  const cfg = lokiDistributedConfig(c);
  edit.config?.(cfg);
  const objects: Obj[] = [
    {
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: "loki", namespace: LOKI_TEST_NS },
      data: { "config.yaml": stringify(cfg) },
    },
    {
      apiVersion: "v1",
      kind: "Service",
      metadata: { name: "loki-backend", namespace: LOKI_TEST_NS },
      spec: { selector: podLabels("backend") },
    },
    ...LOKI_TARGETS.map((t) => workload(c, t)),
  ];
  edit.objects?.((name) => {
    const found = objects.find((o) => o.metadata.name === name && o.kind !== "Service");
    if (!found) throw new Error(`no object ${name} in the Loki set`);
    return found;
  });
  return objects.map(rendered);
}
