import * as aws from "@pulumi/aws";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { SERVICE_DEPENDENCIES, SERVICE_NAMES, type ServiceName } from "../../contract";
import type { AlertReceivers } from "../alerting/alertmanager";
import { CostGuardrails } from "../aws/budget";
import { AwsIdentity } from "../aws/identity";
import { collectorCallsAws } from "../aws/names";
import { AwsTelemetryDestinations } from "../aws/telemetry-destinations";
import { ChaosEngineering, INJECT_ANNOTATION } from "../chaos/chaos-component";
import type { StackConfig } from "../config/schema";
import { capacityDashboardOptions } from "../dashboards/capacity";
import { costDashboardOptions } from "../dashboards/cost";
import { Dashboards } from "../dashboards/dashboards-component";
import { multiEnvironmentDashboardOptions } from "../dashboards/multi-environment";
import { dashboardSettings } from "../dashboards/settings";
import { Logging } from "../logging/logging";
import { Monitoring } from "../monitoring/monitoring";
import { SyntheticProbes } from "../probes/probes-component";
import { Responder } from "../responder/responder-component";
import { serviceLogging } from "../services/logging-env";
import { Microservice } from "../services/microservice";
import { Tracing } from "../tracing/tracing";
import { commonLabels } from "./labels";
import { namespaces, otlpEntry, PLATFORM_SERVICES, POD_LABELS, serviceImage } from "./naming";

export interface ObservabilityPlatformArgs {
  config: StackConfig;
  alertReceivers?: pulumi.Input<AlertReceivers>;
}

/** Who calls each service (the reverse of SERVICE_DEPENDENCIES). */
function callersOf(service: ServiceName): ServiceName[] {
  return SERVICE_NAMES.filter((caller) => SERVICE_DEPENDENCIES[caller].includes(service));
}

/** The whole platform for one environment: namespaces, metrics, logs, traces, synthetic probes and the demo services. */
export class ObservabilityPlatform extends pulumi.ComponentResource {
  readonly urls: Record<string, string>;
  readonly portForward: Record<string, string>;
  readonly grafanaAdminPassword: pulumi.Output<string>;
  readonly adminToken?: pulumi.Output<string>;
  readonly monitoring: Monitoring;
  readonly logging: Logging;
  readonly tracing: Tracing;
  readonly probes: SyntheticProbes;
  readonly responder: Responder;
  readonly chaos?: ChaosEngineering;
  readonly services: Record<ServiceName, Microservice>;

  constructor(name: string, args: ObservabilityPlatformArgs, opts?: pulumi.ComponentResourceOptions) {
    super("observability-platform:platform:ObservabilityPlatform", name, {}, opts);
    const { config } = args;
    const ns = namespaces(config);
    const labelsFor = (component: string) => commonLabels(config, component);

    const providers: pulumi.ProviderResource[] = [];
    const k8sProvider = config.kubeContext
      ? new k8s.Provider(`${name}-k8s`, { context: config.kubeContext }, { parent: this })
      : undefined;
    if (k8sProvider) providers.push(k8sProvider);
    const awsTags = {
      environment: config.environment,
      team: config.team,
      "cost-center": config.costCenter,
      "managed-by": "pulumi",
    };
    if (config.aws.enabled) {
      providers.push(
        new aws.Provider(
          `${name}-aws`,
          { region: config.aws.region as aws.Region, defaultTags: { tags: awsTags } },
          { parent: this },
        ),
      );
    }
    // components take the providers map; Kubernetes objects created here take the one provider
    const childOpts: pulumi.ComponentResourceOptions = { parent: this, providers };
    const k8sOpts: pulumi.CustomResourceOptions = { parent: this, provider: k8sProvider };
    // AWS Budgets and Cost Anomaly Detection for this environment (docs/aws.md)
    if (config.aws.enabled) new CostGuardrails(`${name}-cost-guardrails`, { config, tags: awsTags }, childOpts);

    // Chaos Mesh injects only into namespaces carrying its annotation: the apps namespace, where chaos is enabled.
    const chaosTarget = (namespace: string) => config.chaos.enabled && namespace === ns.apps;
    const namespaceResources = [ns.platform, ns.apps].map(
      (namespace) =>
        new k8s.core.v1.Namespace(
          `${name}-${namespace.endsWith("-apps") ? "apps" : "platform"}-ns`,
          {
            metadata: {
              name: namespace,
              labels: labelsFor(namespace),
              ...(chaosTarget(namespace) ? { annotations: { ...INJECT_ANNOTATION } } : {}),
            },
          },
          k8sOpts,
        ),
    );
    const afterNamespaces = { ...childOpts, dependsOn: namespaceResources };
    // The roles exist before the charts whose ServiceAccounts use them (Pod Identity binds a pod when it starts).
    const awsIdentity = config.aws.enabled
      ? new AwsIdentity(`${name}-aws-identity`, { config, namespaces: ns, tags: awsTags }, childOpts)
      : undefined;
    // The log groups and the stream exist before the collector writes to them.
    const awsDestinations = collectorCallsAws(config)
      ? new AwsTelemetryDestinations(`${name}-aws-destinations`, { config, tags: awsTags }, childOpts)
      : undefined;
    const afterIdentity = [awsIdentity, awsDestinations].filter((r) => r !== undefined);

    this.monitoring = new Monitoring(
      `${name}-monitoring`,
      { config, namespaces: ns, labels: labelsFor("monitoring"), alertReceivers: args.alertReceivers, awsTags },
      { ...afterNamespaces, dependsOn: [...namespaceResources, ...afterIdentity] },
    );
    new Dashboards(
      `${name}-dashboards`,
      {
        settings: dashboardSettings(config),
        namespace: ns.platform,
        labels: labelsFor("dashboards"),
        capacity: capacityDashboardOptions(config),
        cost: costDashboardOptions(config),
        multiEnvironment: multiEnvironmentDashboardOptions(config),
      },
      afterNamespaces,
    );
    this.logging = new Logging(
      `${name}-logging`,
      { config, namespaces: ns, labels: labelsFor("logging"), awsTags },
      { ...afterNamespaces, dependsOn: [...namespaceResources, this.monitoring, ...afterIdentity] },
    );
    this.tracing = new Tracing(
      `${name}-tracing`,
      { config, namespaces: ns, labels: labelsFor("tracing"), awsTags },
      { ...afterNamespaces, dependsOn: [...namespaceResources, this.monitoring, ...afterIdentity] },
    );

    // The Probe custom resources need the operator's CRDs (kube-prometheus-stack).
    this.probes = new SyntheticProbes(
      `${name}-probes`,
      { config, namespaces: ns, labels: labelsFor("probes") },
      { ...afterNamespaces, dependsOn: [...namespaceResources, this.monitoring] },
    );

    // The alert responder: Alertmanager (configured by Monitoring) posts to it; its ServiceMonitor needs the CRDs.
    // Deployed in every mode (`off` decides nothing), so switching is one config change.
    this.responder = new Responder(
      `${name}-responder`,
      { config, namespaces: ns, labels: labelsFor("responder"), otlpEndpoint: this.tracing.otlpHttpEndpoint },
      { ...afterNamespaces, dependsOn: [...namespaceResources, this.monitoring, this.tracing] },
    );

    // Chaos Mesh (its CRDs, then the Schedules), the Pushgateway and its ServiceMonitor need the operator's CRDs.
    if (config.chaos.enabled) {
      this.chaos = new ChaosEngineering(
        `${name}-chaos`,
        { config, namespaces: ns, labels: labelsFor("chaos") },
        { ...afterNamespaces, dependsOn: [...namespaceResources, this.monitoring] },
      );
    }

    let adminTokenSecret: k8s.core.v1.Secret | undefined;
    if (config.faultInjection) {
      const token = new random.RandomPassword(
        `${name}-fault-admin-token`,
        { length: 40, special: false },
        { parent: this },
      );
      adminTokenSecret = new k8s.core.v1.Secret(
        `${name}-fault-admin-token`,
        {
          metadata: { name: "fault-admin-token", namespace: ns.apps, labels: labelsFor("fault-injection") },
          type: "Opaque",
          stringData: { token: token.result },
        },
        { ...k8sOpts, dependsOn: namespaceResources },
      );
      this.adminToken = pulumi.secret(token.result);
    }

    this.services = Object.fromEntries(
      SERVICE_NAMES.map((service) => [
        service,
        new Microservice(
          `${name}-${service}`,
          {
            service,
            environment: config.environment,
            namespaces: ns,
            labels: labelsFor(service),
            settings: config.services[service],
            image: serviceImage(config.images, service),
            imagePullPolicy: config.images.pullPolicy,
            otlpEndpoint: this.tracing.otlpHttpEndpoint,
            callers: callersOf(service),
            prometheusPodLabels: POD_LABELS.prometheus,
            proberPodLabels: POD_LABELS.blackboxExporter,
            collectorPodLabels: otlpEntry(config, ns).podLabels,
            scrapeInterval: config.metrics.scrapeInterval,
            logging: serviceLogging(config),
            adminTokenSecret: adminTokenSecret?.metadata.name,
          },
          { ...afterNamespaces, dependsOn: [...namespaceResources, this.monitoring, this.tracing] },
        ),
      ]),
    ) as Record<ServiceName, Microservice>;

    const s = PLATFORM_SERVICES;
    this.urls = {
      ...this.monitoring.urls,
      jaeger: this.tracing.jaegerQueryUrl,
      loki: this.logging.lokiUrl,
      otlpHttp: this.tracing.otlpHttpEndpoint,
      order: this.services.order.url,
      responder: this.responder.url,
      ...(this.chaos ? { pushgateway: this.chaos.pushgatewayUrl } : {}),
    };
    const forward = (service: string, local: number, remote: number) =>
      `kubectl -n ${ns.platform} port-forward svc/${service} ${local}:${remote}`;
    this.portForward = {
      grafana: forward(s.grafana.name, 3000, s.grafana.port),
      prometheus: forward(s.prometheus.name, 9090, s.prometheus.port),
      alertmanager: forward(s.alertmanager.name, 9093, s.alertmanager.port),
      jaeger: forward(s.jaeger.name, 16686, s.jaeger.queryPort),
      // its web page lists the latest probes with their debug logs
      blackboxExporter: forward(s.blackboxExporter.name, s.blackboxExporter.port, s.blackboxExporter.port),
      order: `kubectl -n ${ns.apps} port-forward svc/order 8080:80`,
      // its /metrics (decisions, actions, their effect); POST /alerts needs the token in Secret responder-token
      responder: forward(s.responder.name, 8081, s.responder.port),
      // the runner pushes results here; the Chaos Mesh dashboard asks for a service-account token (securityMode)
      ...(this.chaos
        ? {
            pushgateway: forward(s.pushgateway.name, s.pushgateway.port, s.pushgateway.port),
            chaosDashboard: forward(s.chaosDashboard.name, s.chaosDashboard.port, s.chaosDashboard.port),
          }
        : {}),
    };
    this.grafanaAdminPassword = this.monitoring.grafanaAdminPassword;
    this.registerOutputs({
      urls: this.urls,
      portForward: this.portForward,
      grafanaAdminPassword: this.grafanaAdminPassword,
      adminToken: this.adminToken,
    });
  }
}
