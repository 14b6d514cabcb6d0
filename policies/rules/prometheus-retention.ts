import type { ResourceValidationPolicy } from "@pulumi/policy";
import { configSchemaOf, type PolicyConfigOf } from "../config/schema";
import { chartProps, isChart } from "../lib/kubernetes";
import { durationHours, type Json } from "../lib/values";

const PROMETHEUS_CR = "kubernetes:monitoring.coreos.com/v1:Prometheus";

/** Metrics are kept long enough to debug, not forever, bounded in size, and survive restarts outside dev. */
export const prometheusRetention: ResourceValidationPolicy = {
  name: "prometheus-retention",
  description: "Prometheus retention within the environment's days, retentionSize set, persistent storage if required.",
  enforcementLevel: "mandatory",
  configSchema: configSchemaOf("prometheus-retention"),
  validateResource: (args, report) => {
    // The kube-prometheus-stack chart (under mocks) or the Prometheus object it renders (real preview).
    let spec: Json;
    let storage: Json;
    if (isChart(args.type) && chartProps(args.props).chart === "kube-prometheus-stack") {
      const { values } = chartProps(args.props);
      if (values.prometheus?.enabled === false) args.notApplicable("Prometheus disabled in the chart");
      spec = values.prometheus?.prometheusSpec ?? {};
      storage = spec.storageSpec;
    } else if (args.type === PROMETHEUS_CR) {
      spec = args.props.spec ?? {};
      storage = spec.storage;
    } else {
      return args.notApplicable("not Prometheus");
    }
    const { minDays, maxDays, persistentStorage } = args.getConfig<PolicyConfigOf<"prometheus-retention">>();
    const hours = durationHours(spec.retention);
    if (hours === undefined) report(`retention is not set (got ${JSON.stringify(spec.retention)})`);
    else if (hours < minDays * 24 || hours > maxDays * 24) {
      report(`retention ${spec.retention} is outside ${minDays}-${maxDays} days`);
    }
    if (!spec.retentionSize) report("retentionSize is not set: the volume can fill before time-based retention");
    if (persistentStorage && !storage?.volumeClaimTemplate) {
      report("no persistent storage (volumeClaimTemplate): metrics are lost on restart");
    }
  },
};
