import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { PATHS } from "../../contract";
import { CHAOS_MESH_INJECT_ANNOTATION } from "../../policies/rules/no-chaos-in-prod";
import { pinnedChart } from "../charts/chart";
import { mergeValues, staticValues, type Values } from "../charts/values-files";
import type { StackConfig } from "../config/schema";
import { chartLabels } from "../platform/labels";
import { clusterUrl, type Namespaces, PLATFORM_SERVICES, POD_LABELS, RELEASES } from "../platform/naming";
import { type ChaosObject, scheduleObject } from "./chaos-mesh";
import { stackPlan } from "./plan";

export interface ChaosEngineeringArgs {
  config: StackConfig;
  namespaces: Namespaces;
  labels: Record<string, string>;
}

/** The namespace annotation Chaos Mesh's namespace filter (controllerManager.enableFilterNamespace) looks for. */
export const INJECT_ANNOTATION = { [CHAOS_MESH_INJECT_ANNOTATION]: "enabled" };

/** Per-environment values of the Chaos Mesh chart; the rest is in charts-values/chaos-mesh.yaml. */
export function chaosMeshValues(labels: Record<string, string>): Values {
  return mergeValues(staticValues("chaosMesh"), { customLabels: chartLabels(labels) });
}

/** Pushgateway size: a few series per experiment run. */
const PUSHGATEWAY_STORAGE = "1Gi";

/** Per-environment values of the Pushgateway chart; the rest is in charts-values/prometheus-pushgateway.yaml. */
export function pushgatewayValues(config: StackConfig, ns: Namespaces, labels: Record<string, string>): Values {
  const { persistent, storageClass } = config.storage;
  return mergeValues(staticValues("pushgateway"), {
    podLabels: chartLabels(labels),
    // the chart puts its ServiceMonitor in `monitoring` unless told otherwise
    serviceMonitor: { namespace: ns.platform, interval: config.metrics.scrapeInterval },
    persistentVolume: { enabled: persistent, size: PUSHGATEWAY_STORAGE, ...(storageClass ? { storageClass } : {}) },
  });
}

/**
 * What Chaos Mesh 2.8.3 generates anew on every `helm template` (found by rendering twice: see
 * test/infra/chaos.test.ts): a self-signed CA with the webhook and daemon mTLS certificates signed by it,
 * the CA bundle the webhooks are registered with, and a random `rollme` annotation that restarts the pods.
 *
 * Why ignored rather than fixed or switched off: the webhook certificate could be given through values, but the
 * daemon's mTLS certificates and `rollme` cannot; the project has no TLS provider and no cert-manager; and the
 * webhooks are not optional (`chaos-mesh-validation-auth` is what makes securityMode check the user's own
 * RBAC, the mutating ones set the defaults the controller relies on). So the first install's certificates — all
 * made by one render, so they agree — are kept, and a later `pulumi up` neither replaces them nor restarts
 * Chaos Mesh. They are valid for five years; to rotate, disable chaos, `pulumi up`, enable it again.
 */
export const REGENERATED_ON_RENDER: Readonly<Record<string, readonly string[]>> = {
  "Secret/chaos-mesh-webhook-certs": ["data"],
  "Secret/chaos-mesh-daemon-certs": ["data"],
  "Secret/chaos-mesh-daemon-client-certs": ["data"],
  "Deployment/chaos-controller-manager": ["spec.template.metadata.annotations.rollme"],
  "DaemonSet/chaos-daemon": ["spec.template.metadata.annotations.rollme"],
  "MutatingWebhookConfiguration/chaos-mesh-mutation": ["webhooks[*].clientConfig.caBundle"],
  "ValidatingWebhookConfiguration/chaos-mesh-validation": ["webhooks[*].clientConfig.caBundle"],
  "ValidatingWebhookConfiguration/chaos-mesh-validation-auth": ["webhooks[*].clientConfig.caBundle"],
};

/** The transform on the Chaos Mesh chart: ignoreChanges on exactly the fields of REGENERATED_ON_RENDER. */
export const keepGeneratedCertificates: pulumi.ResourceTransform = (args) => {
  const kind = args.type.split(":").pop() ?? "";
  const paths = REGENERATED_ON_RENDER[`${kind}/${args.props.metadata?.name}`];
  if (!paths) return undefined;
  return { props: args.props, opts: pulumi.mergeOptions(args.opts, { ignoreChanges: [...paths] }) };
};

/** Chaos Mesh's controller and daemon both name their metrics port `http` on their Services. */
const CHAOS_MESH_METRICS_COMPONENTS = [
  POD_LABELS.chaosController["app.kubernetes.io/component"],
  POD_LABELS.chaosDaemon["app.kubernetes.io/component"],
];

/**
 * Chaos engineering for one environment (only where `chaos.enabled`): Chaos Mesh in the platform namespace,
 * injecting only into namespaces annotated with INJECT_ANNOTATION (the platform annotates the apps namespace),
 * its controller and daemon scraped; the Pushgateway that keeps game-day results; and a Schedule per recurring
 * experiment when `chaos.schedules` is on. One-off experiments are created by the runner, never by `pulumi up`.
 */
export class ChaosEngineering extends pulumi.ComponentResource {
  readonly chaosMeshValues: Values;
  readonly pushgatewayValues: Values;
  readonly schedules: ChaosObject[];
  /** In-cluster URL the game-day runner pushes to. */
  readonly pushgatewayUrl: string;

  constructor(name: string, args: ChaosEngineeringArgs, opts?: pulumi.ComponentResourceOptions) {
    super("observability-platform:chaos:ChaosEngineering", name, {}, opts);
    const { config, namespaces: ns, labels } = args;
    this.chaosMeshValues = chaosMeshValues(labels);
    this.pushgatewayValues = pushgatewayValues(config, ns, labels);
    const chaosMesh = pinnedChart(
      `${name}-chaos-mesh`,
      "chaosMesh",
      { name: RELEASES.chaosMesh, namespace: ns.platform, values: this.chaosMeshValues },
      this,
      [keepGeneratedCertificates],
    );
    pinnedChart(
      `${name}-pushgateway`,
      "pushgateway",
      { name: RELEASES.pushgateway, namespace: ns.platform, values: this.pushgatewayValues },
      this,
    );
    const { pushgateway } = PLATFORM_SERVICES;
    this.pushgatewayUrl = clusterUrl(pushgateway.name, ns.platform, pushgateway.port);

    // The chart ships no ServiceMonitor: the controller's (:10080) and the daemons' metrics, by their Services.
    new k8s.apiextensions.CustomResource(
      `${name}-chaos-mesh-servicemonitor`,
      {
        apiVersion: "monitoring.coreos.com/v1",
        kind: "ServiceMonitor",
        metadata: { name: RELEASES.chaosMesh, namespace: ns.platform, labels },
        spec: {
          selector: {
            matchLabels: {
              "app.kubernetes.io/name": POD_LABELS.chaosController["app.kubernetes.io/name"],
              "app.kubernetes.io/instance": RELEASES.chaosMesh,
            },
            matchExpressions: [
              { key: "app.kubernetes.io/component", operator: "In", values: CHAOS_MESH_METRICS_COMPONENTS },
            ],
          },
          namespaceSelector: { matchNames: [ns.platform] },
          endpoints: [
            {
              port: PLATFORM_SERVICES.chaosController.metricsPortName,
              path: PATHS.metrics,
              interval: config.metrics.scrapeInterval,
            },
          ],
        },
      },
      { parent: this, dependsOn: [chaosMesh] },
    );

    this.schedules = config.chaos.schedules
      ? stackPlan(config)
          .map((experiment) => scheduleObject(experiment, ns.apps, labels))
          .filter((s): s is ChaosObject => s !== undefined)
      : [];
    for (const schedule of this.schedules) {
      // the Schedule CRD comes with the chart
      new k8s.apiextensions.CustomResource(`${name}-schedule-${schedule.metadata.name}`, schedule, {
        parent: this,
        dependsOn: [chaosMesh],
      });
    }
    this.registerOutputs({ pushgatewayUrl: this.pushgatewayUrl });
  }
}
