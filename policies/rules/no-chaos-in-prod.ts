import type { ResourceValidationPolicy } from "@pulumi/policy";
import { configSchemaOf, type PolicyConfigOf } from "../config/schema";

const CHAOS_TYPE = /^kubernetes:(chaos-mesh\.org|litmuschaos\.io)\//;

/** Chaos experiments belong in dev and staging game days, not in the production stack definition. */
export const noChaosInProd: ResourceValidationPolicy = {
  name: "no-chaos-in-prod",
  description: "No Chaos Mesh or LitmusChaos objects in prod.",
  enforcementLevel: "advisory",
  configSchema: configSchemaOf("no-chaos-in-prod"),
  validateResource: (args, report) => {
    if (!CHAOS_TYPE.test(args.type)) return args.notApplicable("not a chaos experiment");
    const { environment } = args.getConfig<PolicyConfigOf<"no-chaos-in-prod">>();
    if (environment === "prod") report(`chaos experiment ${args.type.split(":")[2]} in prod`);
  },
};
