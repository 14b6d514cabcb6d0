import type { ResourceValidationPolicy } from "@pulumi/policy";
import { chartProps, isChart, isChartChild, isKubernetesObject, kindOf, podLabelsOf } from "../lib/kubernetes";
import { get, isRecord } from "../lib/values";

/** Every object the program creates itself carries these. */
export const REQUIRED_LABELS = [
  "app.kubernetes.io/name",
  "app.kubernetes.io/part-of",
  "app.kubernetes.io/managed-by",
  "environment",
  "team",
];

/** What cost attribution and ownership need on every pod, whoever renders it. */
export const OWNERSHIP_LABELS = ["environment", "team"];

/** A chart names its own objects with one of these (`app` in older templates such as kps' dashboards). */
export const IDENTITY_LABELS = ["app.kubernetes.io/name", "app"];

/**
 * Where the charts we use take labels for what they render (kps/loki/jaeger, otel-collector, alloy, chaos-mesh,
 * the pushgateway: its podLabels label every object it renders).
 */
export const CHART_LABEL_PATHS = [
  "commonLabels",
  "additionalLabels",
  "controller.podLabels",
  "customLabels",
  "podLabels",
  // opensearch: every object it renders, pods included
  "labels",
];

/** The identity labels belong to the chart: set again through values they become duplicate keys. */
export const CHART_OWNED_LABEL_PREFIX = "app.kubernetes.io/";

/** Cluster-wide API definitions, shared by every environment's release: no environment or team owns them. */
const SHARED_DEFINITIONS = new Set(["CustomResourceDefinition"]);

const missing = (labels: unknown, required: string[]) => required.filter((l) => !isRecord(labels) || !labels[l]);

/**
 * Ownership and cost attribution rely on labels. Program objects carry the full set. Chart-made objects
 * (children of a chart in a preview) carry the chart's own identity label, and their pods — what costs
 * money — carry the ownership labels, handed to the chart through its label values.
 */
export const requiredLabels: ResourceValidationPolicy = {
  name: "kubernetes-required-labels",
  description: `Program objects carry ${REQUIRED_LABELS.join(", ")}; chart-made objects an identity label and pods ${OWNERSHIP_LABELS.join(", ")}.`,
  enforcementLevel: "mandatory",
  validateResource: (args, report) => {
    if (isChart(args.type)) {
      const { release, values } = chartProps(args.props);
      const found = CHART_LABEL_PATHS.filter((p) => isRecord(get(values, p)));
      if (found.length === 0) report(`chart ${release} sets none of ${CHART_LABEL_PATHS.join(", ")}`);
      for (const p of found) {
        const labels = get(values, p) as Record<string, unknown>;
        const lacking = missing(labels, OWNERSHIP_LABELS);
        if (lacking.length > 0) report(`chart ${release} values ${p} lack ${lacking.join(", ")}`);
        const owned = Object.keys(labels).filter((k) => k.startsWith(CHART_OWNED_LABEL_PREFIX));
        if (owned.length > 0)
          report(`chart ${release} values ${p} set ${owned.join(", ")}, which the chart sets itself (duplicate keys)`);
      }
      return;
    }
    if (!isKubernetesObject(args.type)) args.notApplicable("not a Kubernetes object");
    const podLabels = podLabelsOf(args.type, args.props);
    const hasPods = podLabels !== undefined || args.props.spec?.template;
    if (!isChartChild(args.urn)) {
      const lacking = missing(args.props.metadata?.labels, REQUIRED_LABELS);
      if (lacking.length > 0) report(`metadata.labels lack ${lacking.join(", ")}`);
      const podLacking = hasPods ? missing(podLabels, REQUIRED_LABELS) : [];
      if (podLacking.length > 0) report(`pod template labels lack ${podLacking.join(", ")}`);
      return;
    }
    if (SHARED_DEFINITIONS.has(kindOf(args.type)))
      args.notApplicable("cluster-wide definition shared by every release");
    const labels = args.props.metadata?.labels;
    if (IDENTITY_LABELS.every((l) => !isRecord(labels) || !labels[l])) {
      report(`metadata.labels have none of ${IDENTITY_LABELS.join(", ")}`);
    }
    if (hasPods) {
      const podLacking = missing(podLabels, OWNERSHIP_LABELS);
      if (podLacking.length > 0) report(`pod template labels lack ${podLacking.join(", ")}`);
    }
    // Pods the Prometheus operator creates take their labels from the resource's podMetadata.
    if (/^kubernetes:monitoring\.coreos\.com\/v1:(Prometheus|Alertmanager)$/.test(args.type)) {
      const podLacking = missing(args.props.spec?.podMetadata?.labels, OWNERSHIP_LABELS);
      if (podLacking.length > 0) report(`spec.podMetadata.labels lack ${podLacking.join(", ")}`);
    }
  },
};
