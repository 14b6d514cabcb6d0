import * as aws from "@pulumi/aws";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { RESPONDER_PATHS } from "../../contract";
import { type AlertReceivers, alertmanagerConfig, type ResponderReceiver } from "../alerting/alertmanager";
import { ruleGroupsFor } from "../alerting/rule-set";
import { ampWorkspaceArn, workloadRoleName, writesToAmp } from "../aws/names";
import { grafanaAmpStatements, policyDocument, prometheusStatements } from "../aws/policies";
import { WorkloadRole } from "../aws/workload-role";
import { pinnedChart } from "../charts/chart";
import { mergeValues, staticValues } from "../charts/values-files";
import type { StackConfig } from "../config/schema";
import {
  AWS_DATASOURCE_UIDS,
  clusterUrl,
  GRAFANA_PEER_CREDENTIALS_SECRET,
  type Namespaces,
  PLATFORM_SERVICES,
  RELEASES,
  RESPONDER_TOKEN,
} from "../platform/naming";
import { requireSecret } from "../platform/secrets";
import { peerCredentialVariables } from "./datasources";
import { ampDatasource, REMOTE_WRITE_SECRET, remoteWriteSecretKeys } from "./remote-write";
import { alertmanagerSecretFile, GRAFANA_ADMIN_KEYS, monitoringValues } from "./values";

export interface MonitoringArgs {
  config: StackConfig;
  namespaces: Namespaces;
  labels: Record<string, string>;
  /** Webhook URLs and token (Pulumi secrets); absent ones become no-op receivers. */
  alertReceivers?: pulumi.Input<AlertReceivers>;
  /** environment, team, cost-center, managed-by: the AMP workspace's and the Prometheus role's tags. */
  awsTags?: Record<string, string>;
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
    const adminSecret = new k8s.core.v1.Secret(
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
    const amp = writesToAmp(config) ? this.ampWorkspace(name, args) : undefined;
    // the Secrets the chart's pods and the operator read by name: created before the chart
    const chartSecrets = [adminSecret, this.remoteWriteSecret(name, args), this.peerCredentialsSecret(name, args)];
    this.values = mergeValues(
      staticValues("kubePrometheusStack"),
      monitoringValues(config, ns, labels, secretName, amp?.id),
    );
    if (amp) {
      // Grafana reads the long-term store through SigV4 with its own role
      const grafana = this.values.grafana as { additionalDataSources: unknown[] };
      grafana.additionalDataSources.push(ampDatasource(config.aws.region as string, amp.id, AWS_DATASOURCE_UIDS.amp));
    }
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
      undefined,
      chartSecrets.filter((secret) => secret !== undefined),
    );

    const s = PLATFORM_SERVICES;
    this.urls = {
      prometheus: clusterUrl(s.prometheus.name, ns.platform, s.prometheus.port),
      alertmanager: clusterUrl(s.alertmanager.name, ns.platform, s.alertmanager.port),
      grafana: clusterUrl(s.grafana.name, ns.platform, s.grafana.port),
    };
    this.registerOutputs({ urls: this.urls, grafanaAdminPassword: this.grafanaAdminPassword });
  }

  /**
   * The remote-write credentials as a Secret in Prometheus' namespace (the operator reads it by name), filled from
   * the Pulumi secrets; none without auth.
   */
  private remoteWriteSecret(name: string, args: MonitoringArgs): k8s.core.v1.Secret | undefined {
    const keys = Object.entries(remoteWriteSecretKeys(args.config));
    if (keys.length === 0) return undefined;
    return new k8s.core.v1.Secret(
      `${name}-remote-write`,
      {
        metadata: {
          name: REMOTE_WRITE_SECRET.name,
          namespace: args.namespaces.platform,
          labels: { ...args.labels, "app.kubernetes.io/name": "prometheus" },
        },
        type: "Opaque",
        stringData: Object.fromEntries(keys.map(([key, pulumiKey]) => [key, requireSecret(pulumiKey)])),
      },
      { parent: this },
    );
  }

  /**
   * The peers' credentials as a Secret in Grafana's namespace, one env var per key (grafana.envFromSecrets), filled
   * from the Pulumi secrets; none when no peer has auth.
   */
  private peerCredentialsSecret(name: string, args: MonitoringArgs): k8s.core.v1.Secret | undefined {
    const variables = Object.entries(peerCredentialVariables(args.config.peers));
    if (variables.length === 0) return undefined;
    return new k8s.core.v1.Secret(
      `${name}-grafana-peer-credentials`,
      {
        metadata: {
          name: GRAFANA_PEER_CREDENTIALS_SECRET,
          namespace: args.namespaces.platform,
          labels: { ...args.labels, "app.kubernetes.io/name": "grafana" },
        },
        type: "Opaque",
        stringData: Object.fromEntries(variables.map(([variable, key]) => [variable, requireSecret(key)])),
      },
      { parent: this },
    );
  }

  /**
   * The Amazon Managed Service for Prometheus workspace, Prometheus' role (remote write on it only) and
   * Grafana's extra policy (queries on it only). Grafana's role itself is AwsIdentity's.
   */
  private ampWorkspace(name: string, args: MonitoringArgs): aws.amp.Workspace {
    const { config, namespaces: ns } = args;
    const tags = args.awsTags ?? {};
    const workspace = new aws.amp.Workspace(
      `${name}-amp`,
      { alias: `${config.namespacePrefix}-${config.environment}`, tags },
      { parent: this },
    );
    const arn = workspace.id.apply((id) => ampWorkspaceArn(config, id));
    new WorkloadRole(
      `${name}-prometheus-role`,
      { config, workload: "prometheus", namespace: ns.platform, statements: arn.apply(prometheusStatements), tags },
      { parent: this },
    );
    new aws.iam.RolePolicy(
      `${name}-grafana-amp`,
      {
        role: workloadRoleName(config, "grafana"),
        name: "grafana-amp-query",
        policy: arn.apply((a) => JSON.stringify(policyDocument(grafanaAmpStatements(a)))),
      },
      { parent: this },
    );
    return workspace;
  }
}
