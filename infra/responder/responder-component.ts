import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { CONTAINER_PORT, HTTP_PORT_NAME, PATHS, RESPONDER_NAME, RESPONDER_PATHS } from "../../contract";
import type { StackConfig } from "../config/schema";
import { OPEN_RULE_REASON_ANNOTATION } from "../platform/labels";
import {
  clusterUrl,
  type Namespaces,
  otlpEntry,
  PLATFORM_SERVICES,
  POD_LABELS,
  RESPONDER_TOKEN,
  serviceImage,
} from "../platform/naming";
import { CONTAINER_SECURITY_CONTEXT, HTTP_PROBES, POD_SECURITY_CONTEXT } from "../platform/workload";
import { responderEnv } from "./env";
import { roleRules } from "./rbac";

export interface ResponderArgs {
  config: StackConfig;
  namespaces: Namespaces;
  labels: Record<string, string>;
  /** OTEL_EXPORTER_OTLP_ENDPOINT: the collector Service the Tracing component creates. */
  otlpEndpoint: string;
}

/** A small, mostly idle process: a few webhooks a minute and a Prometheus query per decision. */
const RESOURCES = { requests: { cpu: "50m", memory: "96Mi" }, limits: { memory: "192Mi" } };

/** The API server's ports: 443 behind the `kubernetes` Service, 6443 where policies see the endpoint after DNAT. */
const API_SERVER_PORTS = [443, 6443];

const API_SERVER_REASON =
  "egress to the Kubernetes API server (TCP 443 and 6443) names no peer: its address is cluster-specific " +
  "(the kubernetes Service's endpoints, often outside the pod network), so no selector can match it; the " +
  "responder's Role limits what it may do there";

/**
 * The alert responder (apps/responder) in the platform namespace: its token Secret, ServiceAccount,
 * Deployment, Service, ServiceMonitor and NetworkPolicy, and in the apps namespace the Role (derived from
 * RESPONDER_OPERATIONS) and RoleBinding that let it restart and scale the services' Deployments.
 */
export class Responder extends pulumi.ComponentResource {
  readonly deployment: k8s.apps.v1.Deployment;
  readonly k8sService: k8s.core.v1.Service;
  readonly tokenSecret: k8s.core.v1.Secret;
  readonly role: k8s.rbac.v1.Role;
  /** In-cluster URL of its Service. */
  readonly url: string;

  constructor(name: string, args: ResponderArgs, opts?: pulumi.ComponentResourceOptions) {
    super("observability-platform:responder:Responder", name, {}, opts);
    const { config, namespaces: ns } = args;
    const selector = POD_LABELS.responder;
    const labels = { ...args.labels, ...selector };
    const metadata = { name: RESPONDER_NAME, namespace: ns.platform, labels };
    const { port } = PLATFORM_SERVICES.responder;
    this.url = clusterUrl(RESPONDER_NAME, ns.platform, port);

    const token = new random.RandomPassword(`${name}-token`, { length: 48, special: false }, { parent: this });
    this.tokenSecret = new k8s.core.v1.Secret(
      `${name}-token`,
      {
        metadata: { ...metadata, name: RESPONDER_TOKEN.secret },
        type: "Opaque",
        stringData: { [RESPONDER_TOKEN.key]: token.result },
      },
      { parent: this },
    );

    // No token for pods by default; the responder's pod opts in (it calls the API).
    const serviceAccount = new k8s.core.v1.ServiceAccount(
      `${name}-sa`,
      { metadata, automountServiceAccountToken: false },
      { parent: this },
    );

    this.role = new k8s.rbac.v1.Role(
      `${name}-role`,
      { metadata: { ...metadata, namespace: ns.apps }, rules: roleRules() },
      { parent: this },
    );
    const binding = new k8s.rbac.v1.RoleBinding(
      `${name}-rolebinding`,
      {
        metadata: { ...metadata, namespace: ns.apps },
        roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: RESPONDER_NAME },
        subjects: [{ kind: "ServiceAccount", name: RESPONDER_NAME, namespace: ns.platform }],
      },
      { parent: this, dependsOn: [this.role, serviceAccount] },
    );

    this.deployment = new k8s.apps.v1.Deployment(
      `${name}-deployment`,
      {
        metadata,
        spec: {
          replicas: 1,
          selector: { matchLabels: selector },
          // Never two responders at once: idempotency, cooldowns and the hourly cap live in the process.
          strategy: { type: "Recreate" },
          template: {
            metadata: { labels, annotations: { "kubectl.kubernetes.io/default-container": RESPONDER_NAME } },
            spec: {
              serviceAccountName: RESPONDER_NAME,
              automountServiceAccountToken: true,
              terminationGracePeriodSeconds: 30,
              securityContext: POD_SECURITY_CONTEXT,
              containers: [
                {
                  name: RESPONDER_NAME,
                  image: serviceImage(config.images, RESPONDER_NAME),
                  imagePullPolicy: config.images.pullPolicy,
                  ports: [{ name: HTTP_PORT_NAME, containerPort: CONTAINER_PORT, protocol: "TCP" }],
                  env: responderEnv(config, ns, args.otlpEndpoint),
                  resources: RESOURCES,
                  ...HTTP_PROBES,
                  securityContext: CONTAINER_SECURITY_CONTEXT,
                },
              ],
            },
          },
        },
      },
      { parent: this, dependsOn: [this.tokenSecret, serviceAccount, binding] },
    );

    this.k8sService = new k8s.core.v1.Service(
      `${name}-service`,
      {
        metadata,
        spec: {
          type: "ClusterIP",
          selector,
          ports: [{ name: HTTP_PORT_NAME, port, targetPort: HTTP_PORT_NAME, protocol: "TCP" }],
        },
      },
      { parent: this },
    );

    new k8s.apiextensions.CustomResource(
      `${name}-servicemonitor`,
      {
        apiVersion: "monitoring.coreos.com/v1",
        kind: "ServiceMonitor",
        metadata,
        spec: {
          selector: { matchLabels: selector },
          namespaceSelector: { matchNames: [ns.platform] },
          endpoints: [{ port: HTTP_PORT_NAME, path: PATHS.metrics, interval: config.metrics.scrapeInterval }],
        },
      },
      { parent: this },
    );

    const inPlatform = (podLabels: Record<string, string>) => ({
      namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": ns.platform } },
      podSelector: { matchLabels: podLabels },
    });
    const tcp = (...ports: number[]) => ports.map((p) => ({ protocol: "TCP", port: p }));
    new k8s.networking.v1.NetworkPolicy(
      `${name}-netpol`,
      {
        metadata: { ...metadata, annotations: { [OPEN_RULE_REASON_ANNOTATION]: API_SERVER_REASON } },
        spec: {
          podSelector: { matchLabels: selector },
          policyTypes: ["Ingress", "Egress"],
          ingress: [
            // Alertmanager posts the webhooks (RESPONDER_PATHS.alerts); Prometheus scrapes /metrics
            { from: [inPlatform(POD_LABELS.alertmanager)], ports: tcp(CONTAINER_PORT) },
            { from: [inPlatform(POD_LABELS.prometheus)], ports: tcp(CONTAINER_PORT) },
          ],
          egress: [
            {
              to: [
                {
                  namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "kube-system" } },
                  podSelector: { matchLabels: { "k8s-app": "kube-dns" } },
                },
              ],
              ports: [
                { protocol: "UDP", port: 53 },
                { protocol: "TCP", port: 53 },
              ],
            },
            { ports: tcp(...API_SERVER_PORTS) },
            // the hold query before each action, and the alert and burn rate while it verifies the action
            // (Prometheus' Service port is its pods' port, 9090)
            { to: [inPlatform(POD_LABELS.prometheus)], ports: tcp(PLATFORM_SERVICES.prometheus.port) },
            // its traces
            { to: [inPlatform(otlpEntry(config, ns).podLabels)], ports: tcp(otlpEntry(config, ns).port) },
          ],
        },
      },
      { parent: this },
    );

    this.registerOutputs({ url: this.url, alertsUrl: `${this.url}${RESPONDER_PATHS.alerts}` });
  }
}
