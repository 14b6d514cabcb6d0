import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import {
  CONTAINER_PORT,
  dependencyUrlEnv,
  HTTP_PORT_NAME,
  PATHS,
  SERVICE_DEPENDENCIES,
  SERVICE_NAME_LABEL,
  SERVICE_VERSION_ENV,
  type ServiceName,
} from "../../contract";
import type { StackConfig } from "../config/schema";
import { OPEN_RULE_REASON_ANNOTATION } from "../platform/labels";
import type { Namespaces } from "../platform/naming";
import { clusterUrl, PLATFORM_SERVICES, SERVICE_PORT } from "../platform/naming";
import { CONTAINER_SECURITY_CONTEXT, HTTP_PROBES, POD_SECURITY_CONTEXT } from "../platform/workload";
import { loggingEnv, type ServiceLogging } from "./logging-env";

/** The Service port the demo services are reached on inside the cluster (defined in naming.ts). */
export { SERVICE_PORT };

export interface MicroserviceArgs {
  service: ServiceName;
  environment: string;
  namespaces: Namespaces;
  labels: Record<string, string>;
  settings: StackConfig["services"][ServiceName];
  image: string;
  imagePullPolicy: string;
  /** OTEL_EXPORTER_OTLP_ENDPOINT: the collector Service the Tracing component creates. */
  otlpEndpoint: string;
  /** The services that call this one (ingress allowed from their pods); empty = any client. */
  callers: ServiceName[];
  /** Pod labels of Prometheus, the blackbox exporter (synthetic probes) and the collector, for the NetworkPolicy. */
  prometheusPodLabels: Record<string, string>;
  proberPodLabels: Record<string, string>;
  collectorPodLabels: Record<string, string>;
  scrapeInterval: string;
  logging: ServiceLogging;
  /** Name of a Secret holding ADMIN_TOKEN (fault injection); unset disables the admin API. */
  adminTokenSecret?: pulumi.Input<string>;
}

/** Selector labels of a demo service's pods. */
export function serviceSelector(service: ServiceName): Record<string, string> {
  return { [SERVICE_NAME_LABEL]: service, "app.kubernetes.io/component": "demo-service" };
}

/** One demo service: Deployment, Service, ServiceMonitor, HPA, PodDisruptionBudget, NetworkPolicy. */
export class Microservice extends pulumi.ComponentResource {
  readonly deployment: k8s.apps.v1.Deployment;
  readonly k8sService: k8s.core.v1.Service;
  readonly serviceMonitor: k8s.apiextensions.CustomResource;
  readonly url: string;

  constructor(name: string, args: MicroserviceArgs, opts?: pulumi.ComponentResourceOptions) {
    super("observability-platform:services:Microservice", name, {}, opts);
    const { service, namespaces: ns, settings } = args;
    const selector = serviceSelector(service);
    const labels = { ...args.labels, ...selector };
    const namespace = ns.apps;
    const metadata = { name: service, namespace, labels };
    this.url = clusterUrl(service, namespace, SERVICE_PORT);

    const dependencyEnv = SERVICE_DEPENDENCIES[service].map((dep) => ({
      name: dependencyUrlEnv(dep),
      value: clusterUrl(dep, namespace, SERVICE_PORT),
    }));
    const resources = {
      requests: { cpu: settings.resources.cpuRequest, memory: settings.resources.memoryRequest },
      limits: {
        memory: settings.resources.memoryLimit,
        ...(settings.resources.cpuLimit ? { cpu: settings.resources.cpuLimit } : {}),
      },
    };

    this.deployment = new k8s.apps.v1.Deployment(
      `${name}-deployment`,
      {
        metadata,
        spec: {
          replicas: settings.replicas,
          selector: { matchLabels: selector },
          strategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } },
          template: {
            metadata: { labels, annotations: { "kubectl.kubernetes.io/default-container": service } },
            spec: {
              automountServiceAccountToken: false,
              terminationGracePeriodSeconds: 30,
              securityContext: POD_SECURITY_CONTEXT,
              containers: [
                {
                  name: service,
                  image: args.image,
                  imagePullPolicy: args.imagePullPolicy,
                  ports: [{ name: HTTP_PORT_NAME, containerPort: CONTAINER_PORT, protocol: "TCP" }],
                  env: [
                    { name: "PORT", value: String(CONTAINER_PORT) },
                    ...Object.entries(loggingEnv(args.logging)).map(([name, value]) => ({ name, value })),
                    // the image's tag (images.tag): service_build_info and the spans' service.version
                    { name: SERVICE_VERSION_ENV, value: args.image.split(":").pop() as string },
                    { name: "DEPLOYMENT_ENVIRONMENT", value: args.environment },
                    // readiness turns false this long before the listener closes, so endpoints update first
                    { name: "SHUTDOWN_DELAY_MS", value: "5000" },
                    { name: "SHUTDOWN_TIMEOUT_MS", value: "20000" },
                    { name: "OTEL_SERVICE_NAME", value: service },
                    { name: "OTEL_EXPORTER_OTLP_ENDPOINT", value: args.otlpEndpoint },
                    { name: "OTEL_EXPORTER_OTLP_PROTOCOL", value: "http/protobuf" },
                    { name: "K8S_POD_NAME", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } },
                    {
                      name: "OTEL_RESOURCE_ATTRIBUTES",
                      value: `k8s.namespace.name=${namespace},k8s.pod.name=$(K8S_POD_NAME)`,
                    },
                    ...dependencyEnv,
                    ...(args.adminTokenSecret
                      ? [
                          {
                            name: "ADMIN_TOKEN",
                            valueFrom: { secretKeyRef: { name: args.adminTokenSecret, key: "token" } },
                          },
                        ]
                      : []),
                  ],
                  resources,
                  ...HTTP_PROBES,
                  securityContext: CONTAINER_SECURITY_CONTEXT,
                },
              ],
            },
          },
        },
      },
      { parent: this },
    );

    this.k8sService = new k8s.core.v1.Service(
      `${name}-service`,
      {
        metadata,
        spec: {
          type: "ClusterIP",
          selector,
          ports: [{ name: HTTP_PORT_NAME, port: SERVICE_PORT, targetPort: HTTP_PORT_NAME, protocol: "TCP" }],
        },
      },
      { parent: this },
    );

    this.serviceMonitor = new k8s.apiextensions.CustomResource(
      `${name}-servicemonitor`,
      {
        apiVersion: "monitoring.coreos.com/v1",
        kind: "ServiceMonitor",
        metadata,
        spec: {
          selector: { matchLabels: selector },
          namespaceSelector: { matchNames: [namespace] },
          endpoints: [{ port: HTTP_PORT_NAME, path: PATHS.metrics, interval: args.scrapeInterval }],
        },
      },
      { parent: this },
    );

    new k8s.autoscaling.v2.HorizontalPodAutoscaler(
      `${name}-hpa`,
      {
        metadata,
        spec: {
          scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: service },
          minReplicas: settings.replicas,
          maxReplicas: settings.maxReplicas,
          metrics: [
            {
              type: "Resource",
              resource: { name: "cpu", target: { type: "Utilization", averageUtilization: settings.cpuTargetPercent } },
            },
          ],
        },
      },
      { parent: this, dependsOn: [this.deployment] },
    );

    new k8s.policy.v1.PodDisruptionBudget(
      `${name}-pdb`,
      { metadata, spec: { selector: { matchLabels: selector }, maxUnavailable: 1 } },
      { parent: this },
    );

    const inNamespace = (namespaceName: string, podLabels: Record<string, string>) => ({
      namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": namespaceName } },
      podSelector: { matchLabels: podLabels },
    });
    const httpPort = [{ protocol: "TCP", port: CONTAINER_PORT }];
    const entry = args.callers.length === 0;
    new k8s.networking.v1.NetworkPolicy(
      `${name}-netpol`,
      {
        metadata: entry
          ? {
              ...metadata,
              annotations: {
                [OPEN_RULE_REASON_ANNOTATION]: `${service} is the entry service: clients outside the cluster (ingress controller, port-forward, load tests) reach it on its HTTP port only`,
              },
            }
          : metadata,
        spec: {
          podSelector: { matchLabels: selector },
          policyTypes: ["Ingress", "Egress"],
          ingress: [
            // callers (any client for the entry service)
            entry
              ? { ports: httpPort }
              : {
                  from: args.callers.map((caller) => ({ podSelector: { matchLabels: serviceSelector(caller) } })),
                  ports: httpPort,
                },
            { from: [inNamespace(ns.platform, args.prometheusPodLabels)], ports: httpPort },
            // the blackbox exporter probes /readyz and the end-to-end reads through the Service
            { from: [inNamespace(ns.platform, args.proberPodLabels)], ports: httpPort },
          ],
          egress: [
            ...SERVICE_DEPENDENCIES[service].map((dep) => ({
              to: [{ podSelector: { matchLabels: serviceSelector(dep) } }],
              ports: httpPort,
            })),
            {
              to: [inNamespace(ns.platform, args.collectorPodLabels)],
              ports: [{ protocol: "TCP", port: PLATFORM_SERVICES.collector.otlpHttpPort }],
            },
            {
              to: [inNamespace("kube-system", { "k8s-app": "kube-dns" })],
              ports: [
                { protocol: "UDP", port: 53 },
                { protocol: "TCP", port: 53 },
              ],
            },
          ],
        },
      },
      { parent: this },
    );

    this.registerOutputs({ url: this.url });
  }
}
