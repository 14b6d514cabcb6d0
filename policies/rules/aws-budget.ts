import type { StackValidationPolicy } from "@pulumi/policy";
import { configSchemaOf, type PolicyConfigOf } from "../config/schema";

/** Prod telemetry storage on AWS grows with traffic; a budget alerts before the bill does, so it is required. */
export const awsBudget: StackValidationPolicy = {
  name: "aws-budget",
  description: "A prod stack that uses AWS defines an AWS Budget.",
  enforcementLevel: "mandatory",
  configSchema: configSchemaOf("aws-budget"),
  validateStack: (args, report) => {
    const { environment } = args.getConfig<PolicyConfigOf<"aws-budget">>();
    if (environment !== "prod") return args.notApplicable("not prod");
    const usesAws = args.resources.some((r) => r.type.startsWith("aws:") || r.type === "pulumi:providers:aws");
    if (!usesAws) return args.notApplicable("no AWS resources");
    if (!args.resources.some((r) => r.type === "aws:budgets/budget:Budget"))
      report("prod uses AWS but has no aws.budgets.Budget");
  },
};
