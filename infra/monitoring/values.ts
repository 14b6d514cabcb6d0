import type * as pulumi from "@pulumi/pulumi";
import { COST_LABELS } from "../../contract";
import { serviceAccountValues } from "../aws/names";
import type { Values } from "../charts/values-files";
import type { StackConfig } from "../config/schema";
import { chartLabels } from "../platform/labels";
import { GRAFANA_PEER_CREDENTIALS_SECRET, type Namespaces, RESPONDER_TOKEN } from "../platform/naming";
import {
  awsDatasources,
  awsGrafanaPlugins,
  EXEMPLAR_DESTINATION,
  grafanaDatasources,
  peerCredentialVariables,
} from "./datasources";
import { distributedPrometheusSpec } from "./remote-write";
import { CLUSTER_LABEL, clusterScrapeClass } from "./scrape-class";

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

/**
 * The labels (of commonLabels, which every Namespace the program creates carries) that tell this environment's
 * namespaces from every other's: its environment, and that this program made them (a namespace someone else
 * labelled `environment: dev` is not ours).
 */
const ENVIRONMENT_NAMESPACE_LABELS = ["environment", "app.kubernetes.io/part-of"] as const;

/**
 * The namespaces this environment's Prometheus takes ServiceMonitors, PodMonitors, PrometheusRules, Probes and
 * ScrapeConfigs from (and its Alertmanager AlertmanagerConfigs): its own. The chart's default (`{}`, every
 * namespace) makes environments sharing a cluster scrape each other's targets and load each other's rules.
 * `labels`: the program's labels of this environment (commonLabels).
 */
export function environmentNamespaceSelector(labels: Record<string, string>): { matchLabels: Record<string, string> } {
  const matchLabels: Record<string, string> = {};
  for (const key of ENVIRONMENT_NAMESPACE_LABELS) {
    const value = labels[key];
    if (!value) throw new Error(`the namespace selector needs label ${key}, absent from ${JSON.stringify(labels)}`);
    matchLabels[key] = value;
  }
  return { matchLabels };
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
  /** The Amazon Managed Service for Prometheus workspace Prometheus remote-writes to (kind "amp"). */
  ampWorkspaceId?: pulumi.Input<string>,
): Values {
  const { metrics, storage } = config;
  const ownership = chartLabels(labels);
  const ownNamespaces = environmentNamespaceSelector(labels);
  return {
    commonLabels: ownership,
    "kube-state-metrics": {
      customLabels: ownership,
      // the cost series group by these pod and namespace labels: kube-state-metrics drops every label not listed
      metricLabelsAllowlist: [
        `pods=[${COST_LABELS.podLabels.join(",")}]`,
        `namespaces=[${COST_LABELS.podLabels.join(",")}]`,
      ],
    },
    "prometheus-node-exporter": { commonLabels: ownership },
    prometheus: {
      // IRSA: the role that signs remote writes to AMP (SigV4); {} without AMP
      ...serviceAccountValues(config, "prometheus"),
      prometheusSpec: {
        replicas: metrics.replicas,
        scrapeInterval: metrics.scrapeInterval,
        evaluationInterval: metrics.scrapeInterval,
        retention: `${metrics.retentionDays}d`,
        retentionSize: `${metrics.retentionSizeGi}GB`,
        // federation, remote write and alerts tell environments and clusters apart by these
        externalLabels: { environment: config.environment, [CLUSTER_LABEL]: config.cluster },
        // and every scraped series carries the cluster itself, so the chart's dashboards can select it
        scrapeClasses: [clusterScrapeClass(config.cluster)],
        podMetadata: { labels: ownership },
        serviceMonitorNamespaceSelector: ownNamespaces,
        podMonitorNamespaceSelector: ownNamespaces,
        ruleNamespaceSelector: ownNamespaces,
        probeNamespaceSelector: ownNamespaces,
        scrapeConfigNamespaceSelector: ownNamespaces,
        ...(storage.persistent ? { storageSpec: volumeClaim(config, metrics.storageGi) } : {}),
        // distributed: replicas from distributed.prometheus, one per node, remote write ({} in single)
        ...distributedPrometheusSpec(config, ns, ampWorkspaceId),
      },
    },
    alertmanager: {
      alertmanagerSpec: {
        replicas: config.environment === "prod" ? 2 : 1,
        podMetadata: { labels: ownership },
        // the responder's bearer token, read from a file (credentials_file), never written into the config
        secrets: [RESPONDER_TOKEN.secret],
        // the program makes no AlertmanagerConfig; another environment's must not join this routing tree
        alertmanagerConfigNamespaceSelector: ownNamespaces,
        ...(storage.persistent ? { storage: volumeClaim(config, 2) } : {}),
      },
    },
    grafana: {
      extraLabels: ownership,
      ...serviceAccountValues(config, "grafana"),
      admin: {
        existingSecret: grafanaAdminSecret,
        userKey: GRAFANA_ADMIN_KEYS.user,
        passwordKey: GRAFANA_ADMIN_KEYS.password,
      },
      service: { type: config.grafana.loadBalancer ? "LoadBalancer" : "ClusterIP" },
      sidecar: {
        datasources: { exemplarTraceIdDestinations: EXEMPLAR_DESTINATION },
        // The chart's own dashboards select `cluster="$cluster"` either way; this shows the variable. Its values
        // come from label_values(…, cluster): the cluster label the default scrape class puts on every series
        // (external labels reach only what leaves Prometheus). One value per Prometheus here; many when the
        // datasource is a global view (Thanos, Mimir) or a peer's.
        dashboards: { multicluster: { global: { enabled: true } } },
      },
      // the X-Ray plugin (pinned) and the CloudWatch/X-Ray datasources only when aws.enabled
      ...awsGrafanaPlugins(config),
      // the peers' credentials as env vars, which the datasources name as $PEER_…; only when a peer has auth
      ...(Object.keys(peerCredentialVariables(config.peers)).length > 0
        ? { envFromSecrets: [{ name: GRAFANA_PEER_CREDENTIALS_SECRET }] }
        : {}),
      additionalDataSources: [...grafanaDatasources(ns, config.peers, config.scale), ...awsDatasources(config)],
    },
  };
}
