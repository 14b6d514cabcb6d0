import type { Values } from "../charts/values-files";
import type { StackConfig } from "../config/schema";
import type { Namespaces } from "../platform/naming";
import { EXEMPLAR_DESTINATION, grafanaDatasources } from "./datasources";

export const GRAFANA_ADMIN_KEYS = { user: "admin-user", password: "admin-password" } as const;

/** Alertmanager's base config: every route, the Watchdog one included, has a defined receiver. */
export function alertmanagerConfig(): Values {
  return {
    global: { resolve_timeout: "5m" },
    route: {
      receiver: "null",
      group_by: ["alertname", "service", "environment"],
      group_wait: "30s",
      group_interval: "5m",
      repeat_interval: "12h",
      routes: [{ receiver: "null", matchers: ['alertname = "Watchdog"'] }],
    },
    receivers: [{ name: "null" }],
    inhibit_rules: [
      {
        source_matchers: ["severity = critical"],
        target_matchers: ["severity =~ warning|info"],
        equal: ["namespace", "alertname"],
      },
    ],
    templates: ["/etc/alertmanager/config/*.tmpl"],
  };
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
  return {
    commonLabels: labels,
    prometheus: {
      prometheusSpec: {
        replicas: metrics.replicas,
        scrapeInterval: metrics.scrapeInterval,
        evaluationInterval: metrics.scrapeInterval,
        retention: `${metrics.retentionDays}d`,
        retentionSize: `${metrics.retentionSizeGi}GB`,
        externalLabels: { environment: config.environment },
        ...(storage.persistent ? { storageSpec: volumeClaim(config, metrics.storageGi) } : {}),
      },
    },
    alertmanager: {
      config: alertmanagerConfig(),
      alertmanagerSpec: {
        replicas: config.environment === "prod" ? 2 : 1,
        ...(storage.persistent ? { storage: volumeClaim(config, 2) } : {}),
      },
    },
    grafana: {
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
