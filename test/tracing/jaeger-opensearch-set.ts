import { stringify } from "yaml";
import type { StackConfig } from "../../infra/config/schema";
import type { KubernetesObject, RenderedObject } from "../../infra/render/render";
import { jaegerConfig } from "../../infra/tracing/jaeger-config";
import { jaegerOpenSearchValues, openSearchStorage } from "../../infra/tracing/jaeger-storage";

type Obj = Record<string, any>;

export interface Edits {
  config?: (os: Obj) => void;
  sts?: (s: Obj) => void;
  cleaner?: (c: Obj) => void;
  objects?: (o: RenderedObject[]) => RenderedObject[];
}

export const rendered = (origin: string, object: Obj): RenderedObject => ({
  object: object as KubernetesObject,
  origin,
  template: `${origin}/templates/x.yaml`,
});

/** Jaeger's OpenSearch URL in the platform namespace `ns` (the chart's client Service). */
export const openSearchUrl = (ns: string) => `https://opensearch-cluster-master.${ns}.svc.cluster.local:9200`;

/**
 * The jaeger chart's all-in-one Deployment as it renders: its user config mounted, plus the storage's own
 * mounts and volumes; the selector is the pod labels when given.
 */
export function jaegerDeployment(args: {
  namespace?: string;
  podLabels?: Obj;
  strategy?: Obj;
  mounts?: Obj[];
  volumes?: Obj[];
}): Obj {
  const { namespace, podLabels, strategy, mounts = [], volumes = [] } = args;
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name: "jaeger", ...(namespace ? { namespace } : {}) },
    spec: {
      ...(strategy ? { strategy } : {}),
      ...(podLabels ? { selector: { matchLabels: podLabels } } : {}),
      template: {
        ...(podLabels ? { metadata: { labels: podLabels } } : {}),
        spec: {
          containers: [
            {
              name: "jaeger",
              image: "jaegertracing/jaeger:2.19.0",
              args: ["--config", "/etc/jaeger/user-config.yaml"],
              volumeMounts: [
                { name: "user-config", mountPath: "/etc/jaeger/user-config.yaml", subPath: "user-config.yaml" },
                ...mounts,
              ],
            },
          ],
          volumes: [{ name: "user-config", configMap: { name: "user-config" } }, ...volumes],
        },
      },
    },
  };
}

/** Jaeger and OpenSearch as the charts render them in `scale: distributed`; each edit changes one thing. */
export function jaegerOpenSearchSet(c: StackConfig, NS: string, edit: Edits = {}): RenderedObject[] {
  const URL = openSearchUrl(NS);
  const cfg = jaegerConfig(openSearchStorage(c, { serverUrl: URL, username: "admin", skipVerify: true })) as Obj;
  edit.config?.(cfg.extensions.jaeger_storage.backends.primary_store.opensearch);
  const jaegerLabels = { "app.kubernetes.io/name": "jaeger" };
  const osLabels = { "app.kubernetes.io/name": "opensearch", "app.kubernetes.io/instance": "opensearch" };
  const values = jaegerOpenSearchValues(
    openSearchStorage(c, { serverUrl: URL, username: "admin", skipVerify: true }),
    c,
    {},
  ) as Obj;
  const deploy = jaegerDeployment({
    namespace: NS,
    podLabels: jaegerLabels,
    strategy: { type: "Recreate" },
    mounts: values.jaeger.extraVolumeMounts,
    volumes: values.jaeger.extraVolumes,
  });
  const sts: Obj = {
    kind: "StatefulSet",
    metadata: { name: "opensearch-cluster-master", namespace: NS },
    spec: {
      replicas: c.distributed.jaeger.opensearch.nodes,
      volumeClaimTemplates: [
        {
          metadata: { name: "opensearch-cluster-master" },
          spec: { resources: { requests: { storage: `${c.distributed.jaeger.opensearch.storageGi}Gi` } } },
        },
      ],
      template: {
        metadata: { labels: osLabels },
        spec: {
          containers: [
            {
              name: "opensearch",
              image: "opensearchproject/opensearch:3.6.0",
              volumeMounts: [{ name: "opensearch-cluster-master", mountPath: "/usr/share/opensearch/data" }],
            },
          ],
        },
      },
    },
  };
  edit.sts?.(sts);
  const cleaner: Obj = {
    name: "jaeger-es-index-cleaner",
    image: "jaegertracing/jaeger-es-index-cleaner:2.19.0",
    args: [String(values.esIndexCleaner.numberOfDays), URL],
    env: values.esIndexCleaner.extraEnv,
  };
  edit.cleaner?.(cleaner);
  const objects = [
    rendered("jaeger", {
      kind: "ConfigMap",
      metadata: { name: "user-config", namespace: NS },
      data: { "user-config.yaml": stringify(cfg) },
    }),
    rendered("jaeger", deploy),
    rendered("jaeger", {
      kind: "Service",
      metadata: { name: "jaeger", namespace: NS },
      spec: { selector: jaegerLabels, ports: [{ name: "otlp-grpc", port: 4317 }] },
    }),
    rendered("jaeger", {
      kind: "CronJob",
      metadata: { name: "jaeger-es-index-cleaner", namespace: NS },
      spec: {
        schedule: values.esIndexCleaner.schedule,
        jobTemplate: { spec: { template: { spec: { containers: [cleaner] } } } },
      },
    }),
    rendered("opensearch", {
      kind: "Service",
      metadata: { name: "opensearch-cluster-master", namespace: NS },
      spec: { selector: osLabels, ports: [{ name: "http", port: 9200 }] },
    }),
    rendered("opensearch", sts),
  ];
  return edit.objects ? edit.objects(objects) : objects;
}
