import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { RESPONDER_PATHS } from "../../contract";
import { type AlertReceivers, alertmanagerConfig, type ResponderReceiver } from "../alerting/alertmanager";
import { ruleGroupsFor } from "../alerting/rule-set";
import { pinnedChart } from "../charts/chart";
import { mergeValues, staticValues } from "../charts/values-files";
import type { StackConfig } from "../config/schema";
import { clusterUrl, type Namespaces, PLATFORM_SERVICES, RELEASES, RESPONDER_TOKEN } from "../platform/naming";
import { alertmanagerSecretFile, GRAFANA_ADMIN_KEYS, monitoringValues } from "./values";

export interface MonitoringArgs {
  config: StackConfig;
  namespaces: Namespaces;
  labels: Record<string, string>;
  /** Webhook URLs and token (Pulumi secrets); absent ones become no-op receivers. */
  alertReceivers?: pulumi.Input<AlertReceivers>;
}

/**
 * Alertmanager's webhook to the alert responder (infra/responder/): its Service in the platform namespace,
 * and the token Secret the operator mounts into Alertmanager (alertmanagerSpec.secrets).
 */
export function responderReceiver(ns: Namespaces): ResponderReceiver {
  const { name, port } = PLATFORM_SERVICES.responder;
  return {
    url: `${clusterUrl(name, ns.platform, port)}${RESPONDER_PATHS.alerts}`,
    tokenFile: alertmanagerSecretFile(RESPONDER_TOKEN.secret, RESPONDER_TOKEN.key),
  };
}

/** kube-prometheus-stack (Prometheus, Alertmanager, Grafana) with its Grafana admin credentials. */
export class Monitoring extends pulumi.ComponentResource {
  readonly chart: k8s.helm.v4.Chart;
  readonly grafanaAdminPassword: pulumi.Output<string>;
  readonly values: Record<string, unknown>;
  readonly urls: { prometheus: string; alertmanager: string; grafana: string };

  constructor(name: string, args: MonitoringArgs, opts?: pulumi.ComponentResourceOptions) {
    super("observability-platform:monitoring:Monitoring", name, {}, opts);
    const { config, namespaces: ns, labels } = args;

    const password = new random.RandomPassword(
      `${name}-grafana-admin`,
      { length: 32, special: false },
      { parent: this },
    );
    const secretName = `${RELEASES.monitoring}-grafana-admin`;
    new k8s.core.v1.Secret(
      `${name}-grafana-admin`,
      {
        metadata: {
          name: secretName,
          namespace: ns.platform,
          labels: { ...labels, "app.kubernetes.io/name": "grafana" },
        },
        type: "Opaque",
        stringData: { [GRAFANA_ADMIN_KEYS.user]: "admin", [GRAFANA_ADMIN_KEYS.password]: password.result },
      },
      { parent: this },
    );
    this.grafanaAdminPassword = pulumi.secret(password.result);

    // The Alertmanager config holds webhook secrets: it stays an Output (kps renders it into a Secret).
    const alertmanager = pulumi
      .output(args.alertReceivers ?? {})
      .apply((r) => alertmanagerConfig({ responder: responderReceiver(ns), ...r }));
    this.values = mergeValues(staticValues("kubePrometheusStack"), monitoringValues(config, ns, labels, secretName));
    (this.values.alertmanager as Record<string, unknown>).config = alertmanager;

    // Rules as PrometheusRule objects in the platform namespace: Prometheus loads them from its environment's namespaces.
    for (const group of ruleGroupsFor(config, ns)) {
      new k8s.apiextensions.CustomResource(
        `${name}-rules-${group.name}`,
        {
          apiVersion: "monitoring.coreos.com/v1",
          kind: "PrometheusRule",
          metadata: {
            name: group.name,
            namespace: ns.platform,
            labels: { ...labels, "app.kubernetes.io/name": "prometheus-rules" },
          },
          spec: { groups: [group] },
        },
        { parent: this },
      );
    }
    this.chart = pinnedChart(
      `${name}-kps`,
      "kubePrometheusStack",
      { name: RELEASES.monitoring, namespace: ns.platform, values: this.values },
      this,
    );

    const s = PLATFORM_SERVICES;
    this.urls = {
      prometheus: clusterUrl(s.prometheus.name, ns.platform, s.prometheus.port),
      alertmanager: clusterUrl(s.alertmanager.name, ns.platform, s.alertmanager.port),
      grafana: clusterUrl(s.grafana.name, ns.platform, s.grafana.port),
    };
    this.registerOutputs({ urls: this.urls, grafanaAdminPassword: this.grafanaAdminPassword });
  }
}
