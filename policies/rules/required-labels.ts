import type { ResourceValidationPolicy } from "@pulumi/policy";
import { chartProps, isChart, isKubernetesObject, podLabelsOf } from "../lib/kubernetes";
import { get, isRecord } from "../lib/values";

export const REQUIRED_LABELS = [
  "app.kubernetes.io/name",
  "app.kubernetes.io/part-of",
  "app.kubernetes.io/managed-by",
  "environment",
  "team",
];

/** Where the charts we use take labels for everything they render (kps/loki/jaeger, otel-collector, alloy). */
export const CHART_LABEL_PATHS = ["commonLabels", "additionalLabels", "controller.podLabels"];

const missing = (labels: unknown) => REQUIRED_LABELS.filter((l) => !isRecord(labels) || !labels[l]);

/** Ownership and cost attribution rely on these labels on every object, including what charts render. */
export const requiredLabels: ResourceValidationPolicy = {
  name: "kubernetes-required-labels",
  description: `Kubernetes objects (and chart label values) carry ${REQUIRED_LABELS.join(", ")}.`,
  enforcementLevel: "mandatory",
  validateResource: (args, report) => {
    if (isChart(args.type)) {
      const { release, values } = chartProps(args.props);
      const found = CHART_LABEL_PATHS.filter((p) => isRecord(get(values, p)));
      if (found.length === 0) report(`chart ${release} sets none of ${CHART_LABEL_PATHS.join(", ")}`);
      for (const p of found) {
        const lacking = missing(get(values, p));
        if (lacking.length > 0) report(`chart ${release} values ${p} lack ${lacking.join(", ")}`);
      }
      return;
    }
    if (!isKubernetesObject(args.type)) args.notApplicable("not a Kubernetes object");
    const lacking = missing(args.props.metadata?.labels);
    if (lacking.length > 0) report(`metadata.labels lack ${lacking.join(", ")}`);
    const podLabels = podLabelsOf(args.type, args.props);
    if (podLabels !== undefined || args.props.spec?.template) {
      const podLacking = missing(podLabels);
      if (podLacking.length > 0) report(`pod template labels lack ${podLacking.join(", ")}`);
    }
  },
};
