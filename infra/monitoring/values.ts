import type { Values } from "../charts/values-files";
import type { StackConfig } from "../config/schema";
import { chartLabels } from "../platform/labels";
import { type Namespaces, RESPONDER_TOKEN } from "../platform/naming";
import { EXEMPLAR_DESTINATION, grafanaDatasources } from "./datasources";

export const GRAFANA_ADMIN_KEYS = { user: "admin-user", password: "admin-password" } as const;

/**
 * Where the Prometheus operator mounts each Secret of `alertmanagerSpec.secrets` in the alertmanager
 * container: "The Secrets are mounted into /etc/alertmanager/secrets/<secret-name>" (Alertmanager CRD,
 * AlertmanagerSpec.secrets, operator v0.93).
 */
export const ALERTMANAGER_SECRETS_DIR = "/etc/alertmanager/secrets";

/** The file a key of a Secret listed in `alertmanagerSpec.secrets` becomes inside Alertmanager. */
export function alertmanagerSecretFile(secret: string, key: string): string {
  return `${ALERTMANAGER_SECRETS_DIR}/${secret}/${key}`;
}

function volumeClaim(config: StackConfig, sizeGi: number): Values {
  return {
    volumeClaimTemplate: {
      spec: {
        ...(config.storage.storageClass ? { storageClassName: config.storage.storageClass } : {}),
        accessModes: ["ReadWriteOnce"],
        resources: { requests: { storage: `${sizeGi}Gi` } },
      },
    },
  };
}

/** The per-environment values of kube-prometheus-stack (the static ones are in charts-values/). */
export function monitoringValues(
  config: StackConfig,
  ns: Namespaces,
  labels: Record<string, string>,
  grafanaAdminSecret: string,
): Values {
  const { metrics, storage } = config;
  const ownership = chartLabels(labels);
  return {
    commonLabels: ownership,
    "kube-state-metrics": { customLabels: ownership },
    "prometheus-node-exporter": { commonLabels: ownership },
    prometheus: {
      prometheusSpec: {
        replicas: metrics.replicas,
        scrapeInterval: metrics.scrapeInterval,
        evaluationInterval: metrics.scrapeInterval,
        retention: `${metrics.retentionDays}d`,
        retentionSize: `${metrics.retentionSizeGi}GB`,
        externalLabels: { environment: config.environment },
        podMetadata: { labels: ownership },
        ...(storage.persistent ? { storageSpec: volumeClaim(config, metrics.storageGi) } : {}),
      },
    },
    alertmanager: {
      alertmanagerSpec: {
        replicas: config.environment === "prod" ? 2 : 1,
        podMetadata: { labels: ownership },
        // the responder's bearer token, read from a file (credentials_file), never written into the config
        secrets: [RESPONDER_TOKEN.secret],
        ...(storage.persistent ? { storage: volumeClaim(config, 2) } : {}),
      },
    },
    grafana: {
      extraLabels: ownership,
      admin: {
        existingSecret: grafanaAdminSecret,
        userKey: GRAFANA_ADMIN_KEYS.user,
        passwordKey: GRAFANA_ADMIN_KEYS.password,
      },
      service: { type: config.grafana.loadBalancer ? "LoadBalancer" : "ClusterIP" },
      sidecar: { datasources: { exemplarTraceIdDestinations: EXEMPLAR_DESTINATION } },
      additionalDataSources: grafanaDatasources(ns),
    },
  };
}
