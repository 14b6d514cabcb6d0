import type { ResourceValidationPolicy } from "@pulumi/policy";
import { configSchemaOf, type PolicyConfigOf } from "../config/schema";
import { chartProps, isChart } from "../lib/kubernetes";
import { durationHours, get } from "../lib/values";

/** Loki keeps logs forever unless the compactor deletes them; retention_period 0 means forever. */
export const lokiRetention: ResourceValidationPolicy = {
  name: "loki-retention",
  description: "Loki compactor retention is enabled and retention_period is within the environment's days.",
  enforcementLevel: "mandatory",
  configSchema: configSchemaOf("loki-retention"),
  validateResource: (args, report) => {
    if (!isChart(args.type) || chartProps(args.props).chart !== "loki") return args.notApplicable("not the Loki chart");
    const { values } = chartProps(args.props);
    const { minDays, maxDays } = args.getConfig<PolicyConfigOf<"loki-retention">>();
    if (get(values, "loki.compactor.retention_enabled") !== true) {
      report("loki.compactor.retention_enabled is not true: logs are never deleted");
    }
    const period = get(values, "loki.limits_config.retention_period");
    const hours = durationHours(period);
    if (hours === undefined) report(`loki.limits_config.retention_period is not set (got ${JSON.stringify(period)})`);
    else if (hours < minDays * 24 || hours > maxDays * 24) {
      report(`loki.limits_config.retention_period ${period} is outside ${minDays}-${maxDays} days`);
    }
  },
};
